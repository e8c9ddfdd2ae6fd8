//! `type: syslog`: the alert as one message to a syslog server (the
//! `log.syslog` server unless `server:` is given): `fcstats alert {json}`.

use anyhow::{bail, Result};
use syslog::Severity;

use super::{Base, Sink};
use crate::config::{Config, SyslogConfig, SyslogFormat, SyslogServer};
use crate::logging::syslog::Syslog;

pub struct SyslogSink {
    base: Base,
    to: Option<Syslog>,
}

impl SyslogSink {
    pub fn new(
        base: Base,
        cfg: &Config,
        server: Option<SyslogServer>,
        facility: Option<String>,
        format: Option<SyslogFormat>,
    ) -> SyslogSink {
        let log = cfg.log.syslog.as_ref();
        let target = server
            .or_else(|| log.map(|l| l.server.clone()))
            .map(|server| SyslogConfig {
                server,
                facility: facility
                    .or_else(|| log.map(|l| l.facility.clone()))
                    .unwrap_or_else(|| "local0".into()),
                format: format
                    .or(log.map(|l| l.format))
                    .unwrap_or(SyslogFormat::Rfc5424),
            });
        SyslogSink {
            base,
            to: target.as_ref().map(Syslog::new),
        }
    }
}

impl Sink for SyslogSink {
    fn name(&self) -> &str {
        &self.base.name
    }

    fn wants(&self, kind: &str) -> bool {
        self.base.wants(kind)
    }

    fn send(&self, kind: &str, _summary: &str, payload: &str) -> Result<()> {
        let Some(to) = &self.to else {
            bail!("no server: give this sink `server:` or configure log.syslog.server");
        };
        let sev = match kind {
            "down" | "collector_failed" => Severity::LOG_WARNING,
            _ => Severity::LOG_NOTICE,
        };
        to.send_text(sev, &format_args!("fcstats alert {payload}"))?;
        Ok(())
    }
}
