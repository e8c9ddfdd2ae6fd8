//! `type: webhook`: an HTTP POST of the JSON event (ureq); anything but 2xx
//! fails. Never redirected (a 301/302 would turn the POST into a body-less
//! GET, maybe to another host): a 3xx fails, naming its `Location`. The URL
//! is shown without its path and query (SPEC §8).

use anyhow::{anyhow, bail, Result};
use serde::{Deserialize, Serialize};

use super::{Shared, Sink, SinkConfig, SinkType};
use crate::config::Config;
use crate::secret::url_shown;

pub const TYPE: SinkType = SinkType {
    name: "webhook",
    read: super::read::<WebhookConfig>,
};

/// `type: webhook`'s keys.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookConfig {
    /// Shown without its path, query and user:password (they may hold a token).
    #[serde(serialize_with = "crate::secret::serialize_url")]
    url: String,
}

impl SinkConfig for WebhookConfig {
    fn check(&self) -> Result<()> {
        if !(self.url.starts_with("http://") || self.url.starts_with("https://")) {
            bail!(
                "url: `{}` must start with http:// or https://",
                url_shown(&self.url)
            );
        }
        Ok(())
    }

    fn build(&self, base: Shared, _cfg: &Config) -> Box<dyn Sink> {
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(base.timeout.std()))
            .max_redirects(0)
            .build()
            .into();
        Box::new(Webhook {
            base,
            url: self.url.clone(),
            agent,
        })
    }
}

/// An error text without the URL in it (ureq may quote it).
fn url_free(text: &str, url: &str) -> String {
    text.replace(url, &url_shown(url))
}

pub struct Webhook {
    base: Shared,
    url: String,
    agent: ureq::Agent,
}

impl Sink for Webhook {
    fn name(&self) -> &str {
        &self.base.name
    }

    fn wants(&self, kind: super::AlertKind) -> bool {
        self.base.wants(kind)
    }

    fn send(&self, alert: &super::Alert) -> Result<()> {
        let payload = alert.to_json();
        let shown = url_shown(&self.url);
        let response = self
            .agent
            .post(&self.url)
            .header("Content-Type", "application/json")
            .send(payload.as_bytes())
            .map_err(|e| anyhow!("POST {shown}: {}", url_free(&e.to_string(), &self.url)))?;
        let status = response.status();
        if status.is_redirection() {
            let to = response
                .headers()
                .get("location")
                .and_then(|l| l.to_str().ok())
                .map_or_else(|| "nowhere (no Location)".to_owned(), url_shown);
            bail!(
                "POST {shown}: the server redirects ({status}) to {to}: a webhook is never \
                 redirected; set `url:` to where it should go"
            );
        }
        Ok(())
    }
}
