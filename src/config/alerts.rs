//! The `alerts:` section: where transitions and collector health changes go.

use std::sync::Arc;

use anyhow::{bail, Result};
use serde::Serialize;

use super::Dur;
use crate::notify::{AlertKind, Shared, SinkConfig, SINK_TYPES};

/// One `alerts:` entry, resolved: the keys every sink shares, its type, and
/// its own keys (each sink type's file in `notify/` reads and checks them).
#[derive(Clone, Debug)]
pub struct AlertSink {
    pub shared: Shared,
    pub type_name: &'static str,
    pub spec: Arc<dyn SinkConfig>,
}

impl AlertSink {
    pub fn name(&self) -> &str {
        &self.shared.name
    }
}

impl Serialize for AlertSink {
    /// `type`, the shared keys, then the type's own (secrets masked).
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("type", self.type_name)?;
        m.serialize_entry("name", &self.shared.name)?;
        m.serialize_entry("kinds", &self.shared.kinds)?;
        m.serialize_entry("timeout", &self.shared.timeout)?;
        if let Some(r) = self.shared.repeat {
            m.serialize_entry("repeat", &r)?;
        }
        if let Some(d) = self.shared.digest {
            m.serialize_entry("digest", &d)?;
        }
        if let serde_yaml::Value::Mapping(own) = self.spec.shown() {
            for (k, v) in own {
                m.serialize_entry(&k, &v)?;
            }
        }
        m.end()
    }
}

/// `kinds:` by name; not given: every kind but the opt-in ones.
fn kinds(k: Option<Vec<String>>) -> Result<Vec<AlertKind>> {
    let Some(k) = k else {
        return Ok(AlertKind::DEFAULT.to_vec());
    };
    k.iter()
        .map(|x| {
            AlertKind::parse(x).ok_or_else(|| {
                let all: Vec<&str> = AlertKind::DEFAULT
                    .iter()
                    .chain(&AlertKind::OPT_IN)
                    .map(|k| k.as_str())
                    .collect();
                anyhow::anyhow!("kinds: `{x}` is not one of {}", all.join(", "))
            })
        })
        .collect()
}

/// The keys every sink shares, taken out of its entry (what is left is the
/// type's own).
struct SharedKeys {
    type_name: String,
    name: Option<String>,
    kinds: Option<Vec<String>>,
    timeout: Option<Dur>,
    repeat: Option<Dur>,
    digest: Option<usize>,
}

fn take_shared(entry: &mut serde_yaml::Mapping) -> Result<SharedKeys> {
    fn take<T: serde::de::DeserializeOwned>(
        m: &mut serde_yaml::Mapping,
        key: &str,
    ) -> Result<Option<T>> {
        m.remove(key)
            .map(|v| serde_yaml::from_value(v).map_err(|e| anyhow::anyhow!("{key}: {e}")))
            .transpose()
    }
    let type_name: String = take(entry, "type")?
        .ok_or_else(|| anyhow::anyhow!("type: missing; one of {}", type_names().join(", ")))?;
    Ok(SharedKeys {
        type_name,
        name: take(entry, "name")?,
        kinds: take(entry, "kinds")?,
        timeout: take(entry, "timeout")?,
        repeat: take(entry, "repeat")?,
        digest: take(entry, "digest")?,
    })
}

fn type_names() -> Vec<&'static str> {
    SINK_TYPES.iter().map(|t| t.name).collect()
}

/// `name:`, else the type, numbered when it repeats (`webhook-2`).
fn default_name(out: &[AlertSink], kind_name: &str) -> String {
    let same = out
        .iter()
        .filter(|s| s.name() == kind_name || s.name().starts_with(&format!("{kind_name}-")))
        .count();
    if same == 0 {
        kind_name.to_string()
    } else {
        format!("{kind_name}-{}", same + 1)
    }
}

fn resolve_one(raw: serde_yaml::Value, out: &[AlertSink]) -> Result<AlertSink> {
    let serde_yaml::Value::Mapping(mut entry) = raw else {
        bail!("give a mapping, like {{type: webhook, url: 'https://…'}}");
    };
    let keys = take_shared(&mut entry)?;
    let t = SINK_TYPES
        .iter()
        .find(|t| t.name == keys.type_name)
        .ok_or_else(|| {
            anyhow::anyhow!(
                "type: `{}` is not one of {}",
                keys.type_name,
                type_names().join(", ")
            )
        })?;
    let spec = (t.read)(serde_yaml::Value::Mapping(entry))?;
    if keys.digest.is_some() && !spec.takes_digest() {
        bail!(
            "digest: a {} sink needs one event per incident; leave digest out",
            t.name
        );
    }
    if keys.digest == Some(0) {
        bail!("digest: the number of alerts one poll may send one by one, at least 1");
    }
    let name = keys.name.unwrap_or_else(|| default_name(out, t.name));
    if out.iter().any(|s| s.name() == name) {
        bail!("name: `{name}` is used twice");
    }
    Ok(AlertSink {
        shared: Shared {
            name,
            kinds: kinds(keys.kinds)?,
            timeout: keys.timeout.unwrap_or_else(|| spec.default_timeout()),
            repeat: keys.repeat.filter(|d| d.secs() > 0),
            digest: keys.digest,
        },
        type_name: t.name,
        spec: Arc::from(spec),
    })
}

pub(super) fn resolve(raw: Vec<serde_yaml::Value>) -> Result<Vec<AlertSink>> {
    let mut out: Vec<AlertSink> = Vec::new();
    for (i, r) in raw.into_iter().enumerate() {
        let sink = resolve_one(r, &out).map_err(|e| e.context(format!("alerts[{i}]")))?;
        out.push(sink);
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
             - {type: webhook, url: 'http://127.0.0.1:9/x'}\n- {type: webhook, url: 'https://h/y?token=t', timeout: 3s}\n\
             - {type: email, smtp: 'mail:587', from: a@b, to: [c@d], password_env: PW}\n",
        )
        .unwrap();
        let names: Vec<&str> = s.iter().map(|x| x.name()).collect();
        assert_eq!(names, ["syslog", "exec", "webhook", "webhook-2", "email"]);
        assert_eq!(s[0].shared.kinds, AlertKind::DEFAULT.to_vec());
        assert_eq!(s[1].shared.kinds, [AlertKind::Down]);
        // Each type's own default timeout, or the one given.
        let timeouts: Vec<u64> = s.iter().map(|x| x.shared.timeout.secs()).collect();
        assert_eq!(timeouts, [10, 30, 10, 3, 30]);
        // As `config check` shows them: type, shared keys, own keys; the
        // webhook's token never.
        let shown = serde_yaml::to_string(&s[3]).unwrap();
        assert_eq!(
            shown,
            "type: webhook\nname: webhook-2\nkinds:\n- down\n- up\n- collector_failed\n- collector_recovered\n\
             - retired\n- interfaces_changed\n- not_decoding\ntimeout: 3s\nurl: https://h/…\n"
        );
    }

    #[test]
    fn mistakes_are_named() {
        let e = |y: &str| format!("{:#}", parse(y).unwrap_err());
        assert!(e("- {type: exec, command: []}").starts_with("alerts[0]: command:"));
        assert!(e("- {type: webhook, url: 'ftp://x'}").contains("must start with http://"));
        assert!(e("- {type: exec, command: [x], kinds: [sideways]}")
            .contains("`sideways` is not one of down, up"));
        assert_eq!(
            e("- {type: pager}"),
            "alerts[0]: type: `pager` is not one of syslog, exec, webhook, email, slack, teams, pagerduty, alertmanager"
        );
        assert!(e("- {type: webhook, url: 'http://x', urll: y}").contains("unknown field `urll`"));
        assert!(e("- {type: syslog, facility: nowhere}")
            .contains("facility: `nowhere` is not a syslog facility"));
        assert!(e("- {type: email, smtp: 'mail', from: a, to: [b]}")
            .contains("needs a host and a port"));
        assert!(
            e("- {type: exec, command: [a], name: x}\n- {type: exec, command: [b], name: x}")
                .contains("`x` is used twice")
        );
    }
}
