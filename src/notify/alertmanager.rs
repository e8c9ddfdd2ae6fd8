//! `type: alertmanager`: POST `/api/v2/alerts` of a Prometheus Alertmanager.
//! Alertmanager resolves an alert that is not sent again before its
//! `endsAt`, so every open outage is sent again at every poll with `endsAt`
//! ahead (`max_gap` from the sending: if fcstats stops, the alert ends after
//! it), and an up is sent with `endsAt` at the up time, which resolves it.
//! Labels: `alertname=ExporterDown`, `exporter`, `interface`, `name`, `site`.

use anyhow::Result;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::http::{self, Client};
use super::{Alert, AlertKind, Shared, Sink, SinkConfig, SinkType};
use crate::config::Config;
use crate::time::rfc3339;

pub const TYPE: SinkType = SinkType {
    name: "alertmanager",
    read: super::read::<AlertmanagerConfig>,
};

/// `type: alertmanager`'s keys: its base URL (`http://alertmanager:9093`).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AlertmanagerConfig {
    #[serde(
        default,
        serialize_with = "crate::secret::serialize_opt_url",
        skip_serializing_if = "Option::is_none"
    )]
    url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    url_env: Option<String>,
}

impl SinkConfig for AlertmanagerConfig {
    fn check(&self) -> Result<()> {
        http::check_url(&self.url, &self.url_env, None)
    }

    fn takes_digest(&self) -> bool {
        false
    }

    fn build(&self, mut base: Shared, cfg: &Config) -> Box<dyn Sink> {
        // Only what it can show: exporters down and back.
        base.kinds
            .retain(|k| matches!(k, AlertKind::Down | AlertKind::Up));
        Box::new(Alertmanager {
            client: Client::new(base.timeout),
            base,
            config: self.clone(),
            ttl: cfg.max_gap.secs() as i64,
        })
    }
}

pub struct Alertmanager {
    base: Shared,
    config: AlertmanagerConfig,
    client: Client,
    /// How long a sent `down` stays active without being sent again.
    ttl: i64,
}

/// The alerts to post for one fcstats alert (`now`: when it is sent).
pub fn alerts(a: &Alert, now: i64, ttl: i64) -> serde_json::Value {
    let key = a.key.clone().unwrap_or_default();
    let mut labels = json!({
        "alertname": "ExporterDown",
        "exporter": key.exporter,
        "interface": key.interface,
    });
    for (l, v) in [("name", &a.name), ("site", &a.site)] {
        if let Some(v) = v {
            labels[l] = json!(v);
        }
    }
    let (starts, ends) = match a.kind {
        AlertKind::Up => (a.at - a.outage_s.unwrap_or(0), a.at),
        _ => (a.at, now.max(a.at) + ttl),
    };
    json!([{
        "labels": labels,
        "annotations": {"summary": a.title()},
        "startsAt": rfc3339(starts),
        "endsAt": rfc3339(ends),
    }])
}

impl Sink for Alertmanager {
    fn shared(&self) -> &Shared {
        &self.base
    }

    fn resend_open(&self) -> bool {
        true
    }

    fn send(&self, alert: &Alert) -> Result<()> {
        let base = http::url(&self.config.url, &self.config.url_env, None)?;
        let url = format!("{}/api/v2/alerts", base.trim_end_matches('/'));
        let body = alerts(alert, crate::time::now(), self.ttl);
        self.client.post(&url, &[], &body.to_string())
    }
}
