//! What an alert says, derived from a poll's changes. Pure.

use crate::model::inventory::Inventory;
use crate::model::{Key, KeyId, KeyState, State};
use crate::output::json::string as json_string;
use crate::signals::Raised;

pub use super::kind::AlertKind;
use crate::state::{EventKind, HealthChange, KeyChange};
use crate::time::rfc3339;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Alert {
    pub kind: AlertKind,
    pub key: Option<Key>,
    pub at: i64,
    /// up: the length of the outage that ended.
    pub outage_s: Option<i64>,
    pub collector: Option<String>,
    pub error: Option<String>,
    pub bps: Option<u64>,
    pub collectors: Vec<String>,
    /// The inventory's name and site of the key (SPEC §9), where it has them.
    pub name: Option<String>,
    pub site: Option<String>,
    /// interfaces_changed: the `Interfaces` count before and now.
    pub interfaces: Option<(u32, u32)>,
    /// maintenance_start, maintenance_end: the window's match, reason, from, to.
    pub maintenance: Option<(String, String, i64, i64)>,
    /// A `down` sent again while the outage goes on (`repeat:`; every poll
    /// for Alertmanager).
    pub reminder: bool,
    /// digest: the alerts it stands for.
    pub items: Vec<Alert>,
}

impl Alert {
    /// One alert standing for `items` (a poll's alerts for one sink).
    pub fn digest(items: Vec<Alert>, at: i64) -> Alert {
        Alert {
            kind: AlertKind::Digest,
            at,
            items,
            ..Alert::default()
        }
    }

    /// Whether it says something is wrong (a digest: any of its items).
    pub fn trouble(&self) -> bool {
        self.kind.is_trouble() || self.items.iter().any(Alert::trouble)
    }

    /// A digest's items, one title a line, at most `n` (then how many more).
    pub fn item_lines(&self, n: usize) -> Vec<String> {
        let mut lines: Vec<String> = self.items.iter().take(n).map(Alert::title).collect();
        if self.items.len() > n {
            lines.push(format!("… and {} more", self.items.len() - n));
        }
        lines
    }

    /// `150 down, 50 up`: a digest's items counted by kind.
    fn counts(&self) -> String {
        let mut counts: Vec<(AlertKind, usize)> = Vec::new();
        for i in &self.items {
            match counts.iter_mut().find(|c| c.0 == i.kind) {
                Some(c) => c.1 += 1,
                None => counts.push((i.kind, 1)),
            }
        }
        let parts: Vec<String> = counts.iter().map(|(k, n)| format!("{n} {k}")).collect();
        parts.join(", ")
    }
}

impl Alert {
    /// The event as one JSON object: kind, exporter, interface, at (RFC 3339
    /// UTC), outage_s (up), collector and error (collector events), bps, collectors.
    pub fn to_json(&self) -> String {
        let mut o = String::from("{");
        let mut field = |name: &str, value: String| {
            if o.len() > 1 {
                o.push_str(", ");
            }
            json_string(name, &mut o);
            o.push_str(": ");
            o.push_str(&value);
        };
        let text = |s: &str| {
            let mut v = String::new();
            json_string(s, &mut v);
            v
        };
        field("kind", text(self.kind.as_str()));
        if let Some(k) = &self.key {
            field("exporter", text(&k.exporter));
            field("interface", text(&k.interface));
        }
        field("at", text(&rfc3339(self.at)));
        if let Some(s) = self.outage_s {
            field("outage_s", s.to_string());
        }
        if let Some(c) = &self.collector {
            field("collector", text(c));
        }
        if let Some(e) = &self.error {
            field("error", text(e));
        }
        if let Some(b) = self.bps {
            field("bps", b.to_string());
        }
        let list: Vec<String> = self.collectors.iter().map(|c| text(c)).collect();
        field("collectors", format!("[{}]", list.join(", ")));
        if let Some((before, now)) = self.interfaces {
            field("interfaces_before", before.to_string());
            field("interfaces", now.to_string());
        }
        if let Some((scope, reason, from, to)) = &self.maintenance {
            field("match", text(scope));
            field("reason", text(reason));
            field("from", text(&rfc3339(*from)));
            field("to", text(&rfc3339(*to)));
        }
        if let Some(n) = &self.name {
            field("name", text(n));
        }
        if let Some(s) = &self.site {
            field("site", text(s));
        }
        if self.reminder {
            field("reminder", "true".into());
        }
        if self.kind == AlertKind::Digest {
            field("count", self.items.len().to_string());
            let items: Vec<String> = self.items.iter().map(Alert::to_json).collect();
            field("alerts", format!("[{}]", items.join(", ")));
        }
        o.push('}');
        o
    }

    /// The alert back from its JSON (an outbox row), for the sinks that
    /// shape their own message from its fields.
    pub fn from_json(text: &str) -> anyhow::Result<Alert> {
        serde_json::from_str::<Wire>(text)?.alert()
    }

    /// What happened, in words (chat messages, incident titles).
    pub fn title(&self) -> String {
        let who = match &self.key {
            Some(k) => {
                let mut w = k.exporter.clone();
                if !k.interface.is_empty() {
                    w.push_str(&format!(" interface {}", k.interface));
                }
                let labels: Vec<&str> = [&self.name, &self.site]
                    .into_iter()
                    .flatten()
                    .map(String::as_str)
                    .collect();
                if !labels.is_empty() {
                    w.push_str(&format!(" ({})", labels.join(", ")));
                }
                w
            }
            None => format!("collector {}", self.collector.as_deref().unwrap_or("-")),
        };
        match self.kind {
            AlertKind::Down if self.reminder => format!(
                "Exporter {who} is still down: no NetFlow since {}",
                rfc3339(self.at)
            ),
            AlertKind::Down => format!("Exporter {who} is down: no NetFlow"),
            AlertKind::Up => match self.outage_s {
                Some(s) => format!(
                    "Exporter {who} is up again after {}",
                    crate::output::human_duration(s)
                ),
                None => format!("Exporter {who} is up again"),
            },
            AlertKind::Retired => {
                format!("Exporter {who} is retired: down longer than retire_after")
            }
            AlertKind::InterfacesChanged => match self.interfaces {
                Some((a, b)) => format!("Exporter {who}: interfaces {a} -> {b}"),
                None => format!("Exporter {who}: interfaces changed"),
            },
            AlertKind::NotDecoding => format!("Exporter {who} sends, but no flows are decoded"),
            AlertKind::CollectorFailed => format!(
                "Flow collector {} cannot be read: {}",
                self.collector.as_deref().unwrap_or("-"),
                self.error.as_deref().unwrap_or("-")
            ),
            AlertKind::CollectorRecovered => {
                format!(
                    "Flow collector {} is read again",
                    self.collector.as_deref().unwrap_or("-")
                )
            }
            AlertKind::MaintenanceStart | AlertKind::MaintenanceEnd => {
                let (scope, reason) = self
                    .maintenance
                    .as_ref()
                    .map_or(("-", "-"), |m| (m.0.as_str(), m.1.as_str()));
                let what = if self.kind == AlertKind::MaintenanceStart {
                    "starts"
                } else {
                    "ends"
                };
                format!("Maintenance {what}: {scope} ({reason})")
            }
            AlertKind::Digest => format!("{} alerts: {}", self.items.len(), self.counts()),
            AlertKind::Test => "fcstats alert test".into(),
        }
    }

    /// One line for people (email subjects, syslog).
    pub fn summary(&self) -> String {
        match (&self.key, &self.collector) {
            (Some(k), _) => {
                let mut s = format!(
                    "{}: exporter={} interface={} collectors={}",
                    self.kind,
                    k.exporter,
                    k.interface_shown(),
                    self.collectors.join(",")
                );
                if let Some(o) = self.outage_s {
                    s.push_str(&format!(" outage_s={o}"));
                }
                if let Some((before, now)) = self.interfaces {
                    s.push_str(&format!(" interfaces={before}->{now}"));
                }
                for (label, v) in [("name", &self.name), ("site", &self.site)] {
                    if let Some(v) = v {
                        s.push_str(&format!(" {label}=\"{v}\""));
                    }
                }
                s
            }
            (None, Some(c)) => match &self.error {
                Some(e) => format!("{}: collector={c} error={e}", self.kind),
                None => format!("{}: collector={c}", self.kind),
            },
            (None, None) if self.kind == AlertKind::Digest => {
                format!("digest: {}", self.title())
            }
            (None, None) => match &self.maintenance {
                Some((scope, reason, ..)) => format!("{}: {scope} reason=\"{reason}\"", self.kind),
                None => format!("{}: fcstats alert test", self.kind),
            },
        }
    }
}

/// The alerts of one poll: down and up transitions (never baselines, moves or
/// unknown), and collectors failing or recovering (a collector's first poll
/// alerts only if it fails).
pub fn alerts<'a>(
    changes: &[KeyChange],
    prior: impl Fn(KeyId) -> Option<&'a KeyState>,
    health: &[HealthChange],
    had_health: impl Fn(&str) -> bool,
    at: i64,
) -> Vec<Alert> {
    let mut out = Vec::new();
    for c in changes {
        let Some(ev) = &c.event else { continue };
        let kind = match ev.kind {
            EventKind::Down => AlertKind::Down,
            EventKind::Up => AlertKind::Up,
            EventKind::Retired => AlertKind::Retired,
            _ => continue,
        };
        let outage_s = match ev.kind {
            EventKind::Up => prior(c.id)
                .filter(|p| p.state == State::Down)
                .map(|p| ev.at - p.since),
            _ => None,
        };
        out.push(Alert {
            kind,
            key: Some(c.key.clone()),
            at: ev.at,
            outage_s,
            collector: None,
            error: None,
            bps: Some(ev.bps),
            collectors: ev.collector.iter().cloned().collect(),
            ..Alert::default()
        });
    }
    for h in health.iter().filter(|h| h.event) {
        let kind = match (h.new.ok, had_health(&h.collector)) {
            (false, _) => AlertKind::CollectorFailed,
            (true, true) => AlertKind::CollectorRecovered,
            (true, false) => continue,
        };
        out.push(Alert {
            kind,
            key: None,
            at,
            outage_s: None,
            collector: Some(h.collector.clone()),
            error: if h.new.ok {
                None
            } else {
                h.new.last_error.clone()
            },
            collectors: vec![h.collector.clone()],
            ..Alert::default()
        });
    }
    out
}

/// A signal's alert (`signals:`): the key, this poll, its bps and owner.
pub fn signal(key: Key, raised: Raised, at: i64, bps: u64, owner: &str) -> Alert {
    Alert {
        kind: raised.kind(),
        key: Some(key),
        at,
        bps: Some(bps),
        collectors: vec![owner.to_owned()],
        interfaces: match raised {
            Raised::InterfacesDropped { before, now } => Some((before, now)),
            Raised::NotDecoding => None,
        },
        ..Alert::default()
    }
}

/// An alert as its JSON says it (`Alert::to_json`'s fields); a digest's
/// items are read in the same pass.
#[derive(serde::Deserialize)]
struct Wire {
    kind: AlertKind,
    exporter: Option<String>,
    interface: Option<String>,
    at: String,
    outage_s: Option<i64>,
    collector: Option<String>,
    error: Option<String>,
    bps: Option<u64>,
    #[serde(default)]
    collectors: Vec<String>,
    name: Option<String>,
    site: Option<String>,
    interfaces_before: Option<u32>,
    interfaces: Option<u32>,
    #[serde(rename = "match")]
    scope: Option<String>,
    reason: Option<String>,
    from: Option<String>,
    to: Option<String>,
    #[serde(default)]
    reminder: bool,
    #[serde(default)]
    alerts: Vec<Wire>,
}

impl Wire {
    fn alert(self) -> anyhow::Result<Alert> {
        let time = |t: &str| crate::time::parse(t);
        let maintenance = match (self.scope, self.reason, self.from, self.to) {
            (Some(m), Some(r), Some(f), Some(t)) => Some((m, r, time(&f)?, time(&t)?)),
            _ => None,
        };
        Ok(Alert {
            kind: self.kind,
            key: self
                .exporter
                .map(|e| Key::new(e, self.interface.unwrap_or_default())),
            at: time(&self.at)?,
            outage_s: self.outage_s,
            collector: self.collector,
            error: self.error,
            bps: self.bps,
            collectors: self.collectors,
            name: self.name,
            site: self.site,
            interfaces: self.interfaces_before.zip(self.interfaces),
            maintenance,
            reminder: self.reminder,
            items: self
                .alerts
                .into_iter()
                .map(Wire::alert)
                .collect::<anyhow::Result<Vec<Alert>>>()?,
        })
    }
}

/// Every outage still open after this poll, as a `down` alert dated at its
/// start: keys known down (not unknown) after a down transition, but not
/// those whose down alert is this poll's, nor those `in_window`
/// (maintenance) says are covered now. Needs the briefs' `since`.
pub fn open_outages(
    snap: &crate::model::Snapshot,
    changes: &[KeyChange],
    in_window: impl Fn(&Alert) -> bool,
) -> Vec<Alert> {
    let mut out = Vec::new();
    for (i, brief) in snap.briefs.iter().enumerate() {
        let id = i as KeyId;
        let change = changes.iter().find(|c| c.id == id);
        let (state, unknown, since, first_seen, owner) = match (change, brief) {
            (Some(c), _) => {
                if c.event.as_ref().is_some_and(|e| e.kind == EventKind::Down) {
                    continue;
                }
                let n = &c.new;
                let unknown = n.unknown_since.is_some();
                (n.state, unknown, n.since, n.first_seen, n.owner.clone())
            }
            (None, Some(b)) => (b.state, b.unknown, b.since, b.first_seen, b.owner.clone()),
            (None, None) => continue,
        };
        // Down since first sight: a baseline, never alerted, never reminded.
        if state != State::Down || unknown || since == first_seen {
            continue;
        }
        let a = Alert {
            kind: AlertKind::Down,
            key: Some(snap.table.key(id)),
            at: since,
            bps: Some(0),
            collectors: owner.iter().map(|o| o.to_string()).collect(),
            ..Alert::default()
        };
        if !in_window(&a) {
            out.push(a);
        }
    }
    out
}

/// Names each key's alert with the inventory's name and site, and drops the
/// alerts of ignored keys (`ignore:`).
pub fn label(alerts: &mut Vec<Alert>, inventory: &Inventory) {
    alerts.retain_mut(|a| {
        let Some(k) = &a.key else { return true };
        let entry = inventory.lookup(&k.exporter, &k.interface);
        if inventory.ignores(&k.exporter, &k.interface, entry) {
            return false;
        }
        if let Some(e) = entry {
            a.name.clone_from(&e.name);
            a.site.clone_from(&e.site);
        }
        true
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{CollectorHealth, Status};
    use crate::state::Event;

    fn change(e: &str, kind: EventKind, collector: &str, bps: u64) -> KeyChange {
        KeyChange {
            id: e[1..].parse().unwrap(),
            key: Key::new(e, ""),
            new: KeyState {
                state: State::Up,
                since: 1000,
                unknown_since: None,
                owner: Some(collector.into()),
                bps,
                first_seen: 0,
                pending: None,
            },
            event: Some(Event {
                kind,
                at: 1000,
                prev: Status::Down,
                collector: Some(collector.into()),
                bps,
            }),
        }
    }

    fn health(c: &str, ok: bool, error: Option<&str>) -> HealthChange {
        HealthChange {
            collector: c.into(),
            new: CollectorHealth {
                ok,
                since: 1000,
                last_ok: None,
                last_error: error.map(str::to_owned),
            },
            event: true,
        }
    }

    #[test]
    fn transitions_and_health_changes_alert_and_baselines_do_not() {
        let e2 = KeyState {
            state: State::Down,
            since: 400,
            unknown_since: None,
            owner: Some("a".into()),
            bps: 0,
            first_seen: 0,
            pending: None,
        };
        let prior = |id| (id == 2).then_some(&e2);
        let changes = [
            change("e1", EventKind::Down, "a", 0),
            change("e2", EventKind::Up, "b", 70),
            change("e3", EventKind::BaselineDown, "a", 0),
            change("e4", EventKind::Moved, "b", 5),
            change("e5", EventKind::Unknown, "a", 5),
        ];
        let hs = [
            health("a", false, Some("refused")),
            health("b", true, None),
            health("new", true, None),
        ];
        let got = alerts(&changes, prior, &hs, |c| c != "new", 1000);
        let json: Vec<String> = got.iter().map(Alert::to_json).collect();
        assert_eq!(
            json,
            [
                r#"{"kind": "down", "exporter": "e1", "interface": "", "at": "1970-01-01T00:16:40Z", "bps": 0, "collectors": ["a"]}"#,
                r#"{"kind": "up", "exporter": "e2", "interface": "", "at": "1970-01-01T00:16:40Z", "outage_s": 600, "bps": 70, "collectors": ["b"]}"#,
                r#"{"kind": "collector_failed", "at": "1970-01-01T00:16:40Z", "collector": "a", "error": "refused", "collectors": ["a"]}"#,
                r#"{"kind": "collector_recovered", "at": "1970-01-01T00:16:40Z", "collector": "b", "collectors": ["b"]}"#,
            ]
        );
        assert_eq!(
            got[1].summary(),
            "up: exporter=e2 interface=- collectors=b outage_s=600"
        );
        assert_eq!(
            got[2].summary(),
            "collector_failed: collector=a error=refused"
        );
    }

    #[test]
    fn an_alert_reads_back_from_its_json_as_it_was() {
        let full = Alert {
            kind: AlertKind::InterfacesChanged,
            key: Some(Key::new("10.0.0.1", "Gi0/1")),
            at: 1_795_428_000,
            outage_s: Some(300),
            collector: Some("fc".into()),
            error: Some("refused \"x\"".into()),
            bps: Some(12),
            collectors: vec!["fc".into(), "fd".into()],
            name: Some("core-1".into()),
            site: Some("hq".into()),
            interfaces: Some((8, 6)),
            maintenance: Some((
                "site=lab".into(),
                "patching".into(),
                1_795_428_000,
                1_795_431_600,
            )),
            reminder: true,
            items: vec![],
        };
        assert_eq!(Alert::from_json(&full.to_json()).unwrap(), full);
        // A digest carries its alerts.
        let digest = Alert::digest(vec![full.clone(), full], 1_795_428_300);
        assert_eq!(Alert::from_json(&digest.to_json()).unwrap(), digest);
        let test = Alert {
            at: 0,
            ..Alert::default()
        };
        assert_eq!(Alert::from_json(&test.to_json()).unwrap(), test);
        assert!(Alert::from_json("{\"kind\": \"sideways\"}").is_err());
    }
}
