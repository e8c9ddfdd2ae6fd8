//! Alerts: derived from a poll's changes, written to the outbox in the poll's
//! transaction, delivered after commit through every sink that wants them. A
//! failed delivery stays in the outbox for the next run (until
//! `alert_max_age`); a delivered one is removed, so it is never sent again.

mod alertmanager;
mod email;
pub mod event;
mod exec;
pub mod heartbeat;
pub mod http;
pub mod kind;
mod pagerduty;
mod slack;
mod syslog;
mod teams;
mod webhook;

use anyhow::Result;

use serde::Serialize;

use crate::config::{Config, Dur};
use crate::output::plural;
use crate::store::{NewAlert, Store};
use crate::time::rfc3339;
pub use event::Alert;
pub use kind::AlertKind;

/// One destination, built from its config. Each file of this folder is one
/// sink type: its config struct, its checks and its delivery together.
pub trait Sink {
    /// Its name, kinds and timeout.
    fn shared(&self) -> &Shared;
    /// Delivers one alert.
    fn send(&self, alert: &Alert) -> Result<()>;

    fn name(&self) -> &str {
        &self.shared().name
    }

    fn wants(&self, kind: AlertKind) -> bool {
        self.shared().wants(kind)
    }

    /// Whether every open outage is sent again at every poll (Alertmanager
    /// forgets an alert that is not).
    fn resend_open(&self) -> bool {
        false
    }
}

/// What every sink takes beside `type:`, read once for all of them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Shared {
    /// How the outbox names it: `name:`, else its type (numbered when repeated).
    pub name: String,
    /// The kinds it gets (all but the opt-in ones when not given).
    pub kinds: Vec<AlertKind>,
    /// The whole delivery of one alert ends by then (SPEC §8).
    pub timeout: Dur,
    /// Open outages are sent again every this long (by poll time).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repeat: Option<Dur>,
    /// More than this many alerts in one poll: one message listing them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub digest: Option<usize>,
}

impl Shared {
    pub fn wants(&self, kind: AlertKind) -> bool {
        kind == AlertKind::Test || self.kinds.contains(&kind)
    }
}

/// One sink type's own keys: read from its `alerts[]` entry (the shared keys
/// taken out), checked, shown by `config check`, and built into a sink.
pub trait SinkConfig: Shown + std::fmt::Debug + Send + Sync {
    /// Mistakes serde cannot see (the caller adds `alerts[N]`).
    fn check(&self) -> Result<()> {
        Ok(())
    }
    /// Whether it can send a `digest:` (one message for many alerts);
    /// sinks that need one event per incident cannot.
    fn takes_digest(&self) -> bool {
        true
    }
    /// The `timeout:` when none is given.
    fn default_timeout(&self) -> Dur {
        Dur(10)
    }
    fn build(&self, shared: Shared, cfg: &Config) -> Box<dyn Sink>;
}

/// A sink type: its `type:` and how its keys are read.
pub struct SinkType {
    pub name: &'static str,
    pub read: fn(serde_yaml::Value) -> Result<Box<dyn SinkConfig>>,
}

/// Every sink type. A new one is a file in this folder and a line here.
pub const SINK_TYPES: &[SinkType] = &[
    syslog::TYPE,
    exec::TYPE,
    webhook::TYPE,
    email::TYPE,
    http::SLACK,
    http::TEAMS,
    pagerduty::TYPE,
    alertmanager::TYPE,
];

/// `SinkType::read` for a config struct that serde reads (unknown keys refused).
fn read<T>(v: serde_yaml::Value) -> Result<Box<dyn SinkConfig>>
where
    T: SinkConfig + serde::de::DeserializeOwned + 'static,
{
    let c: T = serde_yaml::from_value(v)?;
    c.check()?;
    Ok(Box::new(c))
}

/// A sink config's keys as `config check` shows them (secrets masked by
/// their `Serialize`).
pub trait Shown {
    fn shown(&self) -> serde_yaml::Value;
}

impl<T: Serialize> Shown for T {
    fn shown(&self) -> serde_yaml::Value {
        serde_yaml::to_value(self).unwrap_or(serde_yaml::Value::Null)
    }
}

pub fn sinks(cfg: &Config) -> Vec<Box<dyn Sink>> {
    cfg.alerts
        .iter()
        .map(|s| s.spec.build(s.shared.clone(), cfg))
        .collect()
}

fn row(a: &Alert, sink: &str, created: i64) -> NewAlert {
    NewAlert {
        created,
        sink: sink.to_owned(),
        kind: a.kind.as_str().to_owned(),
        summary: a.summary(),
        payload: a.to_json(),
    }
}

/// One outbox row per alert and sink that wants it; for a sink with
/// `digest: N` that would get more than N of this poll's (at `at`), one row
/// standing for them all.
pub fn outbox(alerts: &[Alert], sinks: &[Box<dyn Sink>], at: i64) -> Vec<NewAlert> {
    let mut out = Vec::new();
    for s in sinks {
        let mine: Vec<&Alert> = alerts.iter().filter(|a| s.wants(a.kind)).collect();
        match s.shared().digest {
            Some(n) if mine.len() > n => {
                let items = mine.into_iter().cloned().collect();
                out.push(row(&Alert::digest(items, at), s.name(), at));
            }
            _ => out.extend(mine.into_iter().map(|a| row(a, s.name(), a.at))),
        }
    }
    out
}

/// Whether a reminder of an outage down since `since` is due in the poll
/// interval (prev, at]: a multiple of `every` after `since` falls in it.
fn due(since: i64, (prev, at): (Option<i64>, i64), every: i64) -> bool {
    let Some(prev) = prev else { return false };
    every > 0 && at - since >= every && (at - since) / every > (prev - since).max(0) / every
}

/// The outbox rows of reminders: each open outage (`open`: a `down` alert
/// dated at its start) for each sink that sends them again now. Created at
/// this poll, so `alert_max_age` counts from the reminder.
pub fn reminders(
    open: &[Alert],
    sinks: &[Box<dyn Sink>],
    (prev, at): (Option<i64>, i64),
) -> Vec<NewAlert> {
    let mut out = Vec::new();
    for s in sinks.iter().filter(|s| s.wants(AlertKind::Down)) {
        let every = s.shared().repeat.map(|d| d.secs() as i64);
        for a in open {
            if s.resend_open() || every.is_some_and(|e| due(a.at, (prev, at), e)) {
                let a = Alert {
                    reminder: true,
                    ..a.clone()
                };
                out.push(row(&a, s.name(), at));
            }
        }
    }
    out
}

/// What a delivery run did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Delivered {
    pub sent: usize,
    pub failed: usize,
    pub dropped: usize,
    /// Left in the outbox for the next poll: the budget was spent.
    pub deferred: usize,
    /// Left in the outbox: their receiver asked to wait (429 Retry-After).
    pub waiting: usize,
}

/// One warning line for what was dropped and one for what waits for the
/// budget, not one per alert: backfilling drops thousands at once.
fn say_totals(d: &Delivered, drops: &[String], budget: std::time::Duration) {
    if d.dropped > 0 {
        log::warn!(
            "{} alert{} dropped, not sent: {} (-v lists them)",
            d.dropped,
            plural(d.dropped),
            drops.join("; ")
        );
    }
    if d.deferred > 0 {
        log::warn!(
            "alert_budget ({}s) spent: {} alert{} left in the outbox for the next poll",
            budget.as_secs(),
            d.deferred,
            plural(d.deferred)
        );
    }
}

/// Sends everything in the outbox, oldest first. Rows older than `max_age`
/// (from their poll time to `now`) or for a sink no longer configured are
/// dropped and logged. A sink that fails is not tried again in the same run
/// (its other alerts wait for the next), so a dead receiver costs one timeout.
pub fn deliver(
    store: &Store,
    sinks: &[Box<dyn Sink>],
    max_age: i64,
    now: i64,
    budget: std::time::Duration,
) -> Result<Delivered> {
    let started = std::time::Instant::now();
    let mut d = Delivered::default();
    let mut broken: Vec<String> = Vec::new();
    let mut drops: Vec<String> = Vec::new();
    for row in store.pending_alerts()? {
        let sink = sinks.iter().find(|s| s.name() == row.sink);
        let why_drop = match sink {
            None => Some(format!("sink {} is no longer configured", row.sink)),
            Some(_) if now - row.created > max_age => Some(format!(
                "it is older than alert_max_age ({}s; raised {})",
                max_age,
                rfc3339(row.created)
            )),
            Some(_) => None,
        };
        if let Some(why) = why_drop {
            log::debug!(
                "alert dropped: {} to {}: {why}; last error: {}",
                row.summary,
                row.sink,
                row.last_error.as_deref().unwrap_or("-")
            );
            store.alert_done(row.id)?;
            d.dropped += 1;
            if !drops.contains(&why) && drops.len() < 3 {
                drops.push(why);
            }
            continue;
        }
        let sink = sink.expect("checked above");
        if broken.contains(&row.sink) {
            d.failed += 1;
            continue;
        }
        // The receiver asked for a pause (429 Retry-After): not yet.
        if row.retry_at.is_some_and(|t| t > now) {
            d.waiting += 1;
            continue;
        }
        if started.elapsed() >= budget {
            d.deferred += 1;
            continue;
        }
        let sent = Alert::from_json(&row.payload)
            .map_err(|e| anyhow::anyhow!("the outbox row is not an alert fcstats reads ({e})"))
            .and_then(|alert| sink.send(&alert));
        match sent {
            Ok(()) => {
                store.alert_done(row.id)?;
                log::debug!("alert sent to {}: {}", row.sink, row.summary);
                d.sent += 1;
            }
            Err(err) => {
                let e = format!("{err:#}");
                log::warn!(
                    "alert to {} failed, kept for the next run: {} ({e})",
                    row.sink,
                    row.summary
                );
                let retry_at = err
                    .downcast_ref::<http::RetryAfter>()
                    .map(|r| now.saturating_add(r.secs as i64));
                store.alert_failed(row.id, now, &e, retry_at)?;
                broken.push(row.sink.clone());
                d.failed += 1;
            }
        }
    }
    say_totals(&d, &drops, budget);
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::due;

    #[test]
    fn a_reminder_is_due_when_a_period_ends_inside_the_poll_interval() {
        // Down at 1000, every 600 s: due in the interval holding 1600, 2200...
        assert!(!due(1000, (Some(1300), 1500), 600));
        assert!(due(1000, (Some(1500), 1600), 600));
        assert!(!due(1000, (Some(1600), 2100), 600));
        assert!(due(1000, (Some(2100), 2400), 600));
        // A long gap holding two periods: one reminder.
        assert!(due(1000, (Some(1100), 3000), 600));
        // The first poll, or a poll at the outage's start: none.
        assert!(!due(1000, (None, 5000), 600));
        assert!(!due(1000, (Some(900), 1000), 600));
    }
}
