//! `heartbeat: {url:}` (SPEC §11): a GET after every poll that read at least
//! one collector, for a dead man's switch (healthchecks and the like): when
//! the GETs stop, fcstats stopped. The URL carries a token: it is shown
//! without its path and query (SPEC §8).

use anyhow::{anyhow, bail, Result};

use crate::config::Heartbeat;
use crate::secret::url_shown;

/// One GET; 2xx is success. Never redirected (the token stays with its host).
pub fn send(h: &Heartbeat) -> Result<()> {
    let url = h.url()?;
    let shown = url_shown(&url);
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(h.timeout.std()))
        .max_redirects(0)
        .http_status_as_error(false)
        .build()
        .into();
    let response = agent
        .get(&url)
        .call()
        .map_err(|e| anyhow!("GET {shown}: {}", e.to_string().replace(&url, &shown)))?;
    let status = response.status();
    if !status.is_success() {
        bail!("GET {shown}: the server answered {status}");
    }
    Ok(())
}
