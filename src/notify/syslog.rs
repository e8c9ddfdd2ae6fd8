//! `type: syslog`: the alert as one message to a syslog server (the
//! `log.syslog` server unless `server:` is given): `fcstats alert {json}`.

use anyhow::{bail, Result};
use serde::{Deserialize, Serialize};
use syslog::Severity;

use super::{Shared, Sink, SinkConfig, SinkType};
use crate::config::{Config, SyslogConfig, SyslogFormat, SyslogServer};
use crate::logging::syslog::Syslog;

pub const TYPE: SinkType = SinkType {
    name: "syslog",
    read: super::read::<SyslogSinkConfig>,
};

/// `type: syslog`'s keys; each left out is `log.syslog`'s.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SyslogSinkConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    server: Option<SyslogServer>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    facility: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    format: Option<SyslogFormat>,
}

impl SinkConfig for SyslogSinkConfig {
    fn check(&self) -> Result<()> {
        if let Some(f) = self
            .facility
            .as_ref()
            .filter(|f| f.parse::<syslog::Facility>().is_err())
        {
            bail!("facility: `{f}` is not a syslog facility");
        }
        Ok(())
    }

    fn build(&self, base: Shared, cfg: &Config) -> Box<dyn Sink> {
        let log = cfg.log.syslog.as_ref();
        let target = self
            .server
            .clone()
            .or_else(|| log.map(|l| l.server.clone()))
            .map(|server| SyslogConfig {
                server,
                facility: self
                    .facility
                    .clone()
                    .or_else(|| log.map(|l| l.facility.clone()))
                    .unwrap_or_else(|| "local0".into()),
                format: self
                    .format
                    .or(log.map(|l| l.format))
                    .unwrap_or(SyslogFormat::Rfc5424),
            });
        Box::new(SyslogSink {
            base,
            to: target.as_ref().map(Syslog::new),
        })
    }
}

pub struct SyslogSink {
    base: Shared,
    to: Option<Syslog>,
}

impl Sink for SyslogSink {
    fn shared(&self) -> &Shared {
        &self.base
    }

    fn send(&self, alert: &super::Alert) -> Result<()> {
        let Some(to) = &self.to else {
            bail!("no server: give this sink `server:` or configure log.syslog.server");
        };
        let sev = match alert.kind {
            super::AlertKind::Down | super::AlertKind::CollectorFailed => Severity::LOG_WARNING,
            _ => Severity::LOG_NOTICE,
        };
        to.send_text(sev, &format_args!("fcstats alert {}", alert.to_json()))?;
        Ok(())
    }
}
