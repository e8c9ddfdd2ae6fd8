//! `type: webhook`: an HTTP POST of the JSON event (ureq); anything but 2xx fails.

use anyhow::{Context, Result};

use super::{Base, Sink};
use crate::config::Dur;

pub struct Webhook {
    base: Base,
    url: String,
    agent: ureq::Agent,
}

impl Webhook {
    pub fn new(base: Base, url: String, timeout: Dur) -> Webhook {
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(timeout.std()))
            .build()
            .into();
        Webhook { base, url, agent }
    }
}

impl Sink for Webhook {
    fn name(&self) -> &str {
        &self.base.name
    }

    fn wants(&self, kind: &str) -> bool {
        self.base.wants(kind)
    }

    fn send(&self, _kind: &str, _summary: &str, payload: &str) -> Result<()> {
        self.agent
            .post(&self.url)
            .header("Content-Type", "application/json")
            .send(payload.as_bytes())
            .with_context(|| format!("POST {}", self.url))?;
        Ok(())
    }
}
