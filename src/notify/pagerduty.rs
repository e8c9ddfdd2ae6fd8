//! `type: pagerduty`: PagerDuty Events API v2. A key's `down` triggers an
//! incident and its `up` resolves it, matched by `dedup_key =
//! fcstats/<exporter>/<interface>`; a collector's failure and recovery
//! likewise (`fcstats/collector/<name>`). The routing key (an integration
//! key: a secret) comes from `routing_key_env`.

use anyhow::{bail, Result};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::http::{self, Client};
use super::{Alert, AlertKind, Shared, Sink, SinkConfig, SinkType};
use crate::config::Config;
use crate::time::rfc3339;

pub const TYPE: SinkType = SinkType {
    name: "pagerduty",
    read: super::read::<PagerDutyConfig>,
};

/// The US service's endpoint; EU accounts set `url:`
/// (https://events.eu.pagerduty.com/v2/enqueue).
const ENQUEUE: &str = "https://events.pagerduty.com/v2/enqueue";

/// `type: pagerduty`'s keys.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PagerDutyConfig {
    /// The name of the variable holding the integration (routing) key.
    routing_key_env: String,
    #[serde(
        default,
        serialize_with = "crate::secret::serialize_opt_url",
        skip_serializing_if = "Option::is_none"
    )]
    url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    url_env: Option<String>,
}

impl SinkConfig for PagerDutyConfig {
    fn check(&self) -> Result<()> {
        crate::config::env_name("routing_key_env", self.routing_key_env.clone())?;
        http::check_url(&self.url, &self.url_env, Some(ENQUEUE))
    }

    fn takes_digest(&self) -> bool {
        false
    }

    fn build(&self, base: Shared, _cfg: &Config) -> Box<dyn Sink> {
        Box::new(PagerDuty {
            client: Client::new(base.timeout),
            base,
            config: self.clone(),
        })
    }
}

pub struct PagerDuty {
    base: Shared,
    config: PagerDutyConfig,
    client: Client,
}

/// What incident an alert is about.
pub fn dedup_key(a: &Alert) -> String {
    match (&a.key, a.kind) {
        (Some(k), AlertKind::Down | AlertKind::Up | AlertKind::Retired) => {
            format!("fcstats/{}/{}", k.exporter, k.interface)
        }
        (Some(k), kind) => format!("fcstats/{kind}/{}/{}", k.exporter, k.interface),
        (None, AlertKind::CollectorFailed | AlertKind::CollectorRecovered) => {
            format!(
                "fcstats/collector/{}",
                a.collector.as_deref().unwrap_or_default()
            )
        }
        (None, kind) => format!("fcstats/{kind}/{}", a.at),
    }
}

/// The Events API v2 event for one alert.
pub fn event(a: &Alert, routing_key: &str) -> serde_json::Value {
    let action = match a.kind {
        AlertKind::Up | AlertKind::CollectorRecovered | AlertKind::Retired => "resolve",
        _ => "trigger",
    };
    let severity = match a.kind {
        AlertKind::Down | AlertKind::CollectorFailed => "critical",
        AlertKind::InterfacesChanged | AlertKind::NotDecoding => "warning",
        _ => "info",
    };
    let source = a
        .key
        .as_ref()
        .map(|k| k.exporter.clone())
        .or_else(|| a.collector.clone())
        .unwrap_or_else(|| "fcstats".into());
    let mut payload = json!({
        "summary": a.title(),
        "source": source,
        "severity": severity,
        "timestamp": rfc3339(a.at),
        "class": a.kind.as_str(),
        "custom_details": {
            "kind": a.kind.as_str(),
            "exporter": a.key.as_ref().map(|k| &k.exporter),
            "interface": a.key.as_ref().map(|k| &k.interface),
            "at": rfc3339(a.at),
            "outage_s": a.outage_s,
            "collectors": a.collectors,
            "error": a.error,
        },
    });
    if let Some(n) = &a.name {
        payload["component"] = json!(n);
    }
    if let Some(s) = &a.site {
        payload["group"] = json!(s);
    }
    json!({
        "routing_key": routing_key,
        "event_action": action,
        "dedup_key": dedup_key(a),
        "payload": payload,
    })
}

impl Sink for PagerDuty {
    fn shared(&self) -> &Shared {
        &self.base
    }

    fn send(&self, alert: &Alert) -> Result<()> {
        let v = &self.config.routing_key_env;
        let Ok(key) = std::env::var(v) else {
            bail!("routing_key_env names ${v}, which is not set");
        };
        let url = http::url(&self.config.url, &self.config.url_env, Some(ENQUEUE))?;
        self.client.post(&url, &[], &event(alert, &key).to_string())
    }
}
