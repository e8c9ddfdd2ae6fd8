//! The `log:` section: stderr level, a rotated log file, a remote syslog server.

use std::path::{Path, PathBuf};

use anyhow::{bail, Result};
use serde::{Deserialize, Serialize};

use super::{resolve_path, ByteSize};

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawLog {
    level: Option<String>,
    file: Option<String>,
    max_size: Option<ByteSize>,
    keep: Option<u32>,
    syslog: Option<RawSyslog>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSyslog {
    server: String,
    facility: Option<String>,
    format: Option<SyslogFormat>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SyslogFormat {
    Rfc5424,
    Rfc3164,
}

/// Where a syslog server listens.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SyslogServer {
    Udp(String),
    Tcp(String),
    Unix(PathBuf),
}

impl SyslogServer {
    pub(super) fn parse(s: &str) -> Result<SyslogServer> {
        let hostport = |rest: &str| -> Result<String> {
            if rest
                .rsplit_once(':')
                .is_none_or(|(h, p)| h.is_empty() || p.parse::<u16>().is_err())
            {
                bail!("log.syslog.server: `{s}` needs a host and a port, like udp://logs.example.net:514");
            }
            Ok(rest.to_owned())
        };
        if let Some(rest) = s.strip_prefix("udp://") {
            Ok(SyslogServer::Udp(hostport(rest)?))
        } else if let Some(rest) = s.strip_prefix("tcp://") {
            Ok(SyslogServer::Tcp(hostport(rest)?))
        } else if let Some(rest) = s.strip_prefix("unix://") {
            Ok(SyslogServer::Unix(PathBuf::from(rest)))
        } else {
            bail!("log.syslog.server: `{s}` must start with udp://, tcp:// or unix:// (like udp://logs.example.net:514 or unix:///dev/log)")
        }
    }
}

impl std::fmt::Display for SyslogServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SyslogServer::Udp(a) => write!(f, "udp://{a}"),
            SyslogServer::Tcp(a) => write!(f, "tcp://{a}"),
            SyslogServer::Unix(p) => write!(f, "unix://{}", p.display()),
        }
    }
}

impl<'de> serde::Deserialize<'de> for SyslogServer {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<SyslogServer, D::Error> {
        let text = String::deserialize(d)?;
        SyslogServer::parse(&text).map_err(|e| serde::de::Error::custom(format!("{e:#}")))
    }
}

impl Serialize for SyslogServer {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SyslogConfig {
    pub server: SyslogServer,
    pub facility: String,
    pub format: SyslogFormat,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LogConfig {
    /// Level of the log file and syslog; also of stderr when neither -v, -q
    /// nor RUST_LOG is given.
    #[serde(serialize_with = "ser_level")]
    pub level: log::LevelFilter,
    pub file: Option<PathBuf>,
    pub max_size: ByteSize,
    pub keep: u32,
    pub syslog: Option<SyslogConfig>,
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig {
            level: log::LevelFilter::Info,
            file: None,
            max_size: ByteSize(10 << 20),
            keep: 5,
            syslog: None,
        }
    }
}

fn ser_level<S: serde::Serializer>(l: &log::LevelFilter, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&l.as_str().to_ascii_lowercase())
}

pub(super) fn resolve(raw: RawLog, base: &Path) -> Result<LogConfig> {
    let d = LogConfig::default();
    let level = match raw.level {
        None => d.level,
        Some(l) => l.parse().map_err(|_| {
            anyhow::anyhow!("log.level: `{l}` is not one of off, error, warn, info, debug, trace")
        })?,
    };
    let max_size = raw.max_size.unwrap_or(d.max_size);
    if max_size.0 < 1024 {
        bail!("log.max_size: {max_size} is too small; use at least 1KiB (like 10MiB)");
    }
    let syslog = match raw.syslog {
        None => None,
        Some(s) => {
            let facility = s.facility.unwrap_or_else(|| "local0".into());
            if facility.parse::<syslog::Facility>().is_err() {
                bail!("log.syslog.facility: `{facility}` is not a syslog facility (kern, user, daemon, local0 ... local7, ...)");
            }
            Some(SyslogConfig {
                server: SyslogServer::parse(&s.server)?,
                facility,
                format: s.format.unwrap_or(SyslogFormat::Rfc5424),
            })
        }
    };
    Ok(LogConfig {
        level,
        file: raw.file.map(|f| resolve_path(base, &f)),
        max_size,
        keep: raw.keep.unwrap_or(d.keep),
        syslog,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(yaml: &str) -> Result<LogConfig> {
        resolve(
            serde_yaml::from_str(yaml).unwrap(),
            Path::new("/etc/fcstats"),
        )
    }

    #[test]
    fn defaults_and_a_full_section() {
        assert_eq!(parse("{}").unwrap(), LogConfig::default());
        let c = parse(
            "{level: debug, file: log/fcstats.log, max_size: 1MiB, keep: 3, \
             syslog: {server: 'tcp://127.0.0.1:5514', facility: local3, format: rfc3164}}",
        )
        .unwrap();
        assert_eq!(c.level, log::LevelFilter::Debug);
        assert_eq!(c.file, Some(PathBuf::from("/etc/fcstats/log/fcstats.log")));
        assert_eq!((c.max_size, c.keep), (ByteSize(1 << 20), 3));
        assert_eq!(
            c.syslog,
            Some(SyslogConfig {
                server: SyslogServer::Tcp("127.0.0.1:5514".into()),
                facility: "local3".into(),
                format: SyslogFormat::Rfc3164
            })
        );
        let u = parse("{syslog: {server: 'unix:///dev/log'}}")
            .unwrap()
            .syslog
            .unwrap();
        assert_eq!(
            (u.server, u.facility.as_str(), u.format),
            (
                SyslogServer::Unix("/dev/log".into()),
                "local0",
                SyslogFormat::Rfc5424
            )
        );
    }

    #[test]
    fn mistakes_are_named() {
        let e = |y: &str| parse(y).unwrap_err().to_string();
        assert!(e("{syslog: {server: 'logs:514'}}")
            .contains("must start with udp://, tcp:// or unix://"));
        assert!(e("{syslog: {server: 'udp://logs'}}").contains("needs a host and a port"));
        assert!(e("{syslog: {server: 'udp://h:1', facility: local9}}")
            .contains("`local9` is not a syslog facility"));
        assert!(e("{level: loud}").contains("`loud` is not one of"));
        assert!(e("{max_size: 10}").contains("too small"));
    }
}
