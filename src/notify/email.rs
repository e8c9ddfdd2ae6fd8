//! `type: email`: one mail per alert over SMTP (lettre), STARTTLS when the
//! server offers it, login when username_env and password_env are set.

use anyhow::{bail, Context, Result};
use lettre::message::header::ContentType;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{Message, SmtpTransport, Transport};

use serde::{Deserialize, Serialize};

use super::{Shared, Sink, SinkConfig, SinkType};
use crate::config::{Config, Dur};

pub const TYPE: SinkType = SinkType {
    name: "email",
    read: super::read::<EmailConfig>,
};

/// `type: email`'s keys.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct EmailConfig {
    smtp: String,
    from: String,
    to: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    username_env: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    password_env: Option<String>,
}

impl SinkConfig for EmailConfig {
    fn check(&self) -> Result<()> {
        if self
            .smtp
            .rsplit_once(':')
            .is_none_or(|(h, p)| h.is_empty() || p.parse::<u16>().is_err())
        {
            bail!(
                "smtp: `{}` needs a host and a port, like smtp.example.net:587",
                self.smtp
            );
        }
        if self.to.is_empty() {
            bail!("to: name at least one recipient");
        }
        for (key, v) in [
            ("username_env", &self.username_env),
            ("password_env", &self.password_env),
        ] {
            if let Some(v) = v {
                crate::config::env_name(key, v.clone())?;
            }
        }
        Ok(())
    }

    fn default_timeout(&self) -> Dur {
        Dur(30)
    }

    fn build(&self, base: Shared, _cfg: &Config) -> Box<dyn Sink> {
        Box::new(Email {
            timeout: base.timeout,
            base,
            spec: self.clone(),
        })
    }
}

pub struct Email {
    base: Shared,
    spec: EmailConfig,
    timeout: Dur,
}

impl Email {
    fn env(var: &Option<String>, key: &str) -> Result<Option<String>> {
        var.as_ref()
            .map(|v| {
                std::env::var(v)
                    .with_context(|| format!("{key}: the environment variable {v} is not set"))
            })
            .transpose()
    }
}

impl Sink for Email {
    fn shared(&self) -> &Shared {
        &self.base
    }

    fn send(&self, alert: &super::Alert) -> Result<()> {
        let (summary, payload) = (alert.summary(), alert.to_json());
        let (host, port) = self
            .spec
            .smtp
            .rsplit_once(':')
            .expect("checked in the config");
        let port: u16 = port.parse().expect("checked in the config");
        let tls = Tls::Opportunistic(TlsParameters::new(host.to_owned())?);
        let mut mailer = SmtpTransport::builder_dangerous(host)
            .port(port)
            .tls(tls)
            .timeout(Some(self.timeout.std()));
        let user = Self::env(&self.spec.username_env, "username_env")?;
        let pass = Self::env(&self.spec.password_env, "password_env")?;
        if let (Some(u), Some(p)) = (user, pass) {
            mailer = mailer.credentials(Credentials::new(u, p));
        }
        let mut msg = Message::builder()
            .from(
                self.spec
                    .from
                    .parse()
                    .with_context(|| format!("from: `{}`", self.spec.from))?,
            )
            .subject(format!("fcstats: {summary}"));
        for t in &self.spec.to {
            msg = msg.to(t.parse().with_context(|| format!("to: `{t}`"))?);
        }
        let mail = msg
            .header(ContentType::TEXT_PLAIN)
            .body(format!("{summary}\n\n{payload}\n"))?;
        // lettre's timeout is per socket operation: the whole delivery is
        // bounded here (SPEC §8), on a thread left to end by itself past it.
        let transport = mailer.build();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(transport.send(&mail).map(|_| ()));
        });
        match rx.recv_timeout(self.timeout.std()) {
            Ok(sent) => sent.with_context(|| format!("SMTP {}", self.spec.smtp)),
            Err(_) => bail!(
                "SMTP {}: no answer within {} (timeout)",
                self.spec.smtp,
                self.timeout
            ),
        }
    }
}
