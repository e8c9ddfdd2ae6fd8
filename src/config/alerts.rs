//! The `alerts:` section: where transitions and collector health changes go.

use anyhow::{bail, Result};
use serde::{Deserialize, Serialize};

use super::logcfg::{SyslogFormat, SyslogServer};
use super::Dur;

/// What can raise an alert. Baselines never do.
pub const KINDS: [&str; 7] = [
    "down",
    "up",
    "collector_failed",
    "collector_recovered",
    "retired",
    "interfaces_changed",
    "not_decoding",
];

#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase", deny_unknown_fields)]
pub(super) enum RawSink {
    Syslog {
        name: Option<String>,
        kinds: Option<Vec<String>>,
        server: Option<String>,
        facility: Option<String>,
        format: Option<SyslogFormat>,
    },
    Exec {
        name: Option<String>,
        kinds: Option<Vec<String>>,
        command: Vec<String>,
        timeout: Option<Dur>,
    },
    Webhook {
        name: Option<String>,
        kinds: Option<Vec<String>>,
        url: String,
        timeout: Option<Dur>,
    },
    Email {
        name: Option<String>,
        kinds: Option<Vec<String>>,
        smtp: String,
        from: String,
        to: Vec<String>,
        username_env: Option<String>,
        password_env: Option<String>,
        timeout: Option<Dur>,
    },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum SinkSpec {
    /// `server: None`: the `log.syslog` server.
    Syslog {
        server: Option<SyslogServer>,
        facility: Option<String>,
        format: Option<SyslogFormat>,
    },
    Exec {
        command: Vec<String>,
        timeout: Dur,
    },
    Webhook {
        /// Shown without its path, query and user:password (they may hold a token).
        #[serde(serialize_with = "crate::secret::serialize_url")]
        url: String,
        timeout: Dur,
    },
    Email(EmailSpec),
}

/// Where and how `type: email` sends.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EmailSpec {
    pub smtp: String,
    pub from: String,
    pub to: Vec<String>,
    pub username_env: Option<String>,
    pub password_env: Option<String>,
    pub timeout: Dur,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AlertSink {
    /// How the outbox names it: `name:`, else its type (numbered when repeated).
    pub name: String,
    /// The kinds it gets (all when not given).
    pub kinds: Vec<String>,
    #[serde(flatten)]
    pub spec: SinkSpec,
}

/// Kinds a sink gets only when its `kinds:` names them.
pub const OPT_IN_KINDS: [&str; 2] = ["maintenance_start", "maintenance_end"];

fn kinds(k: Option<Vec<String>>) -> Result<Vec<String>> {
    let Some(k) = k else {
        return Ok(KINDS.iter().map(|s| s.to_string()).collect());
    };
    let known = |x: &str| KINDS.contains(&x) || OPT_IN_KINDS.contains(&x);
    if let Some(bad) = k.iter().find(|x| !known(x)) {
        bail!(
            "kinds: `{bad}` is not one of {}, {}",
            KINDS.join(", "),
            OPT_IN_KINDS.join(", ")
        );
    }
    Ok(k)
}

pub(super) fn resolve(raw: Vec<RawSink>) -> Result<Vec<AlertSink>> {
    let mut out: Vec<AlertSink> = Vec::new();
    for (i, r) in raw.into_iter().enumerate() {
        let at = |e: anyhow::Error| e.context(format!("alerts[{i}]"));
        let (name, kind_list, spec, kind_name) = match r {
            RawSink::Syslog {
                name,
                kinds: k,
                server,
                facility,
                format,
            } => {
                if let Some(f) = &facility {
                    if f.parse::<syslog::Facility>().is_err() {
                        return Err(at(anyhow::anyhow!(
                            "facility: `{f}` is not a syslog facility"
                        )));
                    }
                }
                let server = server
                    .map(|s| SyslogServer::parse(&s))
                    .transpose()
                    .map_err(at)?;
                (
                    name,
                    k,
                    SinkSpec::Syslog {
                        server,
                        facility,
                        format,
                    },
                    "syslog",
                )
            }
            RawSink::Exec {
                name,
                kinds: k,
                command,
                timeout,
            } => {
                if command.is_empty() {
                    return Err(at(anyhow::anyhow!("command: give the program and its arguments, like [/usr/local/bin/page-noc, --team, netops]")));
                }
                (
                    name,
                    k,
                    SinkSpec::Exec {
                        command,
                        timeout: timeout.unwrap_or(Dur(30)),
                    },
                    "exec",
                )
            }
            RawSink::Webhook {
                name,
                kinds: k,
                url,
                timeout,
            } => {
                if !(url.starts_with("http://") || url.starts_with("https://")) {
                    return Err(at(anyhow::anyhow!(
                        "url: `{}` must start with http:// or https://",
                        crate::secret::url_shown(&url)
                    )));
                }
                (
                    name,
                    k,
                    SinkSpec::Webhook {
                        url,
                        timeout: timeout.unwrap_or(Dur(10)),
                    },
                    "webhook",
                )
            }
            RawSink::Email {
                name,
                kinds: k,
                smtp,
                from,
                to,
                username_env,
                password_env,
                timeout,
            } => {
                if smtp
                    .rsplit_once(':')
                    .is_none_or(|(h, p)| h.is_empty() || p.parse::<u16>().is_err())
                {
                    return Err(at(anyhow::anyhow!(
                        "smtp: `{smtp}` needs a host and a port, like smtp.example.net:587"
                    )));
                }
                if to.is_empty() {
                    return Err(at(anyhow::anyhow!("to: name at least one recipient")));
                }
                let env = |key, v: Option<String>| {
                    v.map(|v| super::env_name(key, v)).transpose().map_err(&at)
                };
                let spec = SinkSpec::Email(EmailSpec {
                    smtp,
                    from,
                    to,
                    username_env: env("username_env", username_env)?,
                    password_env: env("password_env", password_env)?,
                    timeout: timeout.unwrap_or(Dur(30)),
                });
                (name, k, spec, "email")
            }
        };
        let name = name.unwrap_or_else(|| {
            let same = out
                .iter()
                .filter(|s| s.name == kind_name || s.name.starts_with(&format!("{kind_name}-")))
                .count();
            if same == 0 {
                kind_name.to_string()
            } else {
                format!("{kind_name}-{}", same + 1)
            }
        });
        if out.iter().any(|s| s.name == name) {
            return Err(at(anyhow::anyhow!("name: `{name}` is used twice")));
        }
        out.push(AlertSink {
            name,
            kinds: kinds(kind_list).map_err(at)?,
            spec,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(y: &str) -> Result<Vec<AlertSink>> {
        resolve(serde_yaml::from_str(y)?)
    }

    #[test]
    fn every_sink_type_with_defaults() {
        let s = parse(
            "- {type: syslog}\n- {type: exec, command: [/bin/cat], kinds: [down]}\n\
             - {type: webhook, url: 'http://127.0.0.1:9/x'}\n- {type: webhook, url: 'https://h/y', timeout: 3s}\n\
             - {type: email, smtp: 'mail:587', from: a@b, to: [c@d], password_env: PW}\n",
        )
        .unwrap();
        let names: Vec<&str> = s.iter().map(|x| x.name.as_str()).collect();
        assert_eq!(names, ["syslog", "exec", "webhook", "webhook-2", "email"]);
        assert_eq!(s[0].kinds, KINDS.to_vec());
        assert_eq!(s[1].kinds, ["down"]);
        assert_eq!(
            s[1].spec,
            SinkSpec::Exec {
                command: vec!["/bin/cat".into()],
                timeout: Dur(30)
            }
        );
        assert_eq!(
            s[3].spec,
            SinkSpec::Webhook {
                url: "https://h/y".into(),
                timeout: Dur(3)
            }
        );
    }

    #[test]
    fn mistakes_are_named() {
        let e = |y: &str| format!("{:#}", parse(y).unwrap_err());
        assert!(e("- {type: exec, command: []}").starts_with("alerts[0]: command:"));
        assert!(e("- {type: webhook, url: 'ftp://x'}").contains("must start with http://"));
        assert!(e("- {type: exec, command: [x], kinds: [sideways]}")
            .contains("`sideways` is not one of down, up"));
        assert!(e("- {type: pager}").contains("unknown variant `pager`"));
        assert!(e("- {type: webhook, url: 'http://x', urll: y}").contains("unknown field `urll`"));
        assert!(
            e("- {type: exec, command: [a], name: x}\n- {type: exec, command: [b], name: x}")
                .contains("`x` is used twice")
        );
    }
}
