//! What the HTTP sinks share: where the URL comes from (`url:`, or `url_env:`
//! naming a variable that holds it: URLs often carry a token), and one POST
//! of a JSON body — never redirected (a 3xx fails, naming its `Location`),
//! 2xx is success, the URL always shown without its path and query (SPEC §8).

use std::marker::PhantomData;

use anyhow::{anyhow, bail, Result};
use serde::{Deserialize, Serialize};

use super::{Alert, Shared, Sink, SinkConfig, SinkType};
use crate::config::{Config, Dur};
use crate::secret::url_shown;

/// The sink types that are a URL and a body: `slack`, `teams`.
pub const SLACK: SinkType = SinkType {
    name: "slack",
    read: super::read::<UrlConfig<super::slack::Message>>,
};
pub const TEAMS: SinkType = SinkType {
    name: "teams",
    read: super::read::<UrlConfig<super::teams::Card>>,
};

/// How a sink type that POSTs to a URL shapes an alert.
pub trait Body: std::fmt::Debug + Send + Sync + 'static {
    fn body(a: &Alert) -> String;
}

/// The keys of a sink that is a URL (and a body `B`).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct UrlConfig<B> {
    /// Shown without its path, query and user:password (they may hold a token).
    #[serde(
        default,
        serialize_with = "crate::secret::serialize_opt_url",
        skip_serializing_if = "Option::is_none"
    )]
    url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    url_env: Option<String>,
    #[serde(skip)]
    body: PhantomData<B>,
}

impl<B: Body> SinkConfig for UrlConfig<B> {
    fn check(&self) -> Result<()> {
        check_url(&self.url, &self.url_env, None)
    }

    fn build(&self, base: Shared, _cfg: &Config) -> Box<dyn Sink> {
        Box::new(Post::<B> {
            client: Client::new(base.timeout),
            base,
            url: self.url.clone(),
            url_env: self.url_env.clone(),
            body: PhantomData,
        })
    }
}

/// POSTs `B`'s body of each alert.
struct Post<B> {
    base: Shared,
    url: Option<String>,
    url_env: Option<String>,
    client: Client,
    body: PhantomData<B>,
}

impl<B: Body> Sink for Post<B> {
    fn shared(&self) -> &Shared {
        &self.base
    }

    fn send(&self, alert: &Alert) -> Result<()> {
        let url = url(&self.url, &self.url_env, None)?;
        self.client.post(&url, &[], &B::body(alert))
    }
}

/// Exactly one of `url` and `url_env` (or neither, with a `default`).
pub fn check_url(
    url: &Option<String>,
    url_env: &Option<String>,
    default: Option<&str>,
) -> Result<()> {
    match (url, url_env) {
        (Some(_), Some(_)) => bail!("set only one of url and url_env"),
        (Some(u), None) if !(u.starts_with("http://") || u.starts_with("https://")) => {
            bail!(
                "url: `{}` must start with http:// or https://",
                url_shown(u)
            )
        }
        (None, Some(v)) => crate::config::env_name("url_env", v.clone()).map(|_| ()),
        (None, None) if default.is_none() => {
            bail!("give url (or url_env, the name of a variable holding it)")
        }
        _ => Ok(()),
    }
}

/// The URL to use now.
pub fn url(
    url: &Option<String>,
    url_env: &Option<String>,
    default: Option<&str>,
) -> Result<String> {
    match (url, url_env) {
        (Some(u), _) => Ok(u.clone()),
        (None, Some(v)) => {
            std::env::var(v).map_err(|_| anyhow!("url_env names ${v}, which is not set"))
        }
        (None, None) => default.map(str::to_owned).ok_or_else(|| anyhow!("no url")),
    }
}

/// A receiver that answered 429 Too Many Requests: its alerts wait until
/// `Retry-After` (seconds; 60 when it gives none or a date).
#[derive(Debug)]
pub struct RetryAfter {
    pub secs: u64,
    pub said: String,
}

impl std::fmt::Display for RetryAfter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.said)
    }
}

impl std::error::Error for RetryAfter {}

/// An HTTP client for one sink: the sink's timeout covers each whole request.
pub struct Client {
    agent: ureq::Agent,
}

impl Client {
    pub fn new(timeout: Dur) -> Client {
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(timeout.std()))
            .max_redirects(0)
            .http_status_as_error(false)
            .build()
            .into();
        Client { agent }
    }

    /// POSTs `body` (JSON, with `headers`) to `url`.
    pub fn post(&self, url: &str, headers: &[(String, String)], body: &str) -> Result<()> {
        let shown = url_shown(url);
        let mut req = self
            .agent
            .post(url)
            .header("Content-Type", "application/json");
        for (k, v) in headers {
            req = req.header(k, v);
        }
        let response = req
            .send(body.as_bytes())
            .map_err(|e| anyhow!("POST {shown}: {}", e.to_string().replace(url, &shown)))?;
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
        if status.as_u16() == 429 {
            let secs = response
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
                .unwrap_or(60);
            return Err(RetryAfter {
                secs,
                said: format!("POST {shown}: the server answered {status}: retrying after {secs}s"),
            }
            .into());
        }
        if !status.is_success() {
            bail!("POST {shown}: the server answered {status}");
        }
        Ok(())
    }
}
