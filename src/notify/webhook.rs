//! `type: webhook`: an HTTP POST of the JSON event, or of `template:` (a body
//! of your own over the alert's fields), with `headers:` of your own. What
//! every HTTP sink does (url or url_env, never redirected, 429) is in `http`.

use std::collections::BTreeMap;

use anyhow::{bail, Result};
use serde::{Deserialize, Serialize};

use super::http::{self, Client};
use super::{Alert, Shared, Sink, SinkConfig, SinkType};
use crate::config::Config;
use crate::time::rfc3339;

pub const TYPE: SinkType = SinkType {
    name: "webhook",
    read: super::read::<WebhookConfig>,
};

/// The fields a template may name.
const FIELDS: [&str; 12] = [
    "kind",
    "exporter",
    "interface",
    "at",
    "outage_s",
    "collector",
    "error",
    "collectors",
    "name",
    "site",
    "title",
    "json",
];

/// `type: webhook`'s keys.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookConfig {
    /// Shown without its path, query and user:password (they may hold a token).
    #[serde(
        default,
        serialize_with = "crate::secret::serialize_opt_url",
        skip_serializing_if = "Option::is_none"
    )]
    url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    url_env: Option<String>,
    /// Sent as given; shown masked (an `Authorization` is a secret).
    #[serde(
        default,
        serialize_with = "masked",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    headers: BTreeMap<String, String>,
    /// Header name → the environment variable holding its value.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    headers_env: BTreeMap<String, String>,
    /// The body: `{field}` is the alert's field, escaped for a JSON string
    /// (so `{"text": "{title}"}` stays JSON); `{json}` is the whole event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    template: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    content_type: Option<String>,
}

fn masked<S: serde::Serializer>(h: &BTreeMap<String, String>, s: S) -> Result<S::Ok, S::Error> {
    s.collect_map(h.keys().map(|k| (k, "********")))
}

/// The `{name}`s of a template, in order.
fn placeholders(t: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = t;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close)
                if after[..close]
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c == '_')
                    && close > 0 =>
            {
                out.push(&after[..close]);
                rest = &after[close + 1..];
            }
            _ => rest = after,
        }
    }
    out
}

/// The template with each known `{field}` replaced by `fields`' value.
pub fn render(t: &str, a: &Alert) -> String {
    let key = a.key.clone().unwrap_or_default();
    let value = |f: &str| -> String {
        match f {
            "kind" => a.kind.as_str().to_owned(),
            "exporter" => key.exporter.clone(),
            "interface" => key.interface.clone(),
            "at" => rfc3339(a.at),
            "outage_s" => a.outage_s.map(|s| s.to_string()).unwrap_or_default(),
            "collector" => a.collector.clone().unwrap_or_default(),
            "error" => a.error.clone().unwrap_or_default(),
            "collectors" => a.collectors.join(","),
            "name" => a.name.clone().unwrap_or_default(),
            "site" => a.site.clone().unwrap_or_default(),
            "title" => a.title(),
            _ => a.to_json(),
        }
    };
    let mut out = t.to_owned();
    for f in FIELDS {
        let token = format!("{{{f}}}");
        if out.contains(&token) {
            let v = value(f);
            let v = if f == "json" {
                v
            } else {
                let mut quoted = String::new();
                crate::output::json::string(&v, &mut quoted);
                quoted[1..quoted.len() - 1].to_owned()
            };
            out = out.replace(&token, &v);
        }
    }
    out
}

impl SinkConfig for WebhookConfig {
    fn check(&self) -> Result<()> {
        http::check_url(&self.url, &self.url_env, None)?;
        for v in self.headers_env.values() {
            crate::config::env_name("headers_env", v.clone())?;
        }
        if let Some(t) = &self.template {
            if let Some(bad) = placeholders(t).into_iter().find(|p| !FIELDS.contains(p)) {
                bail!(
                    "template: `{{{bad}}}` is not a field; fields: {}",
                    FIELDS.join(", ")
                );
            }
        }
        Ok(())
    }

    fn build(&self, base: Shared, _cfg: &Config) -> Box<dyn Sink> {
        Box::new(Webhook {
            client: Client::new(base.timeout),
            base,
            config: self.clone(),
        })
    }
}

pub struct Webhook {
    base: Shared,
    config: WebhookConfig,
    client: Client,
}

impl Sink for Webhook {
    fn shared(&self) -> &Shared {
        &self.base
    }

    fn send(&self, alert: &Alert) -> Result<()> {
        let c = &self.config;
        let url = http::url(&c.url, &c.url_env, None)?;
        let mut headers: Vec<(String, String)> = c.headers.clone().into_iter().collect();
        for (name, var) in &c.headers_env {
            let Ok(v) = std::env::var(var) else {
                bail!("headers_env: {name} names ${var}, which is not set");
            };
            headers.push((name.clone(), v));
        }
        if let Some(ct) = &c.content_type {
            headers.push(("Content-Type".into(), ct.clone()));
        }
        let body = match &c.template {
            Some(t) => render(t, alert),
            None => alert.to_json(),
        };
        self.client.post(&url, &headers, &body)
    }
}
