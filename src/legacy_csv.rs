//! The old Python tool's `persistent_device_stats.csv` (SPEC §9), pure: its
//! rows read into changes, and the changes planned into each exporter's
//! events. `fcstats import legacy-csv` stores the plan.
//!
//! The old tool appended one row per exporter whose status changed between
//! two of its polls: `Exporter_Address,Current_NetFlow_bps,Status,
//! Status_Change,Date_Changed`, `Status` `Up` or `Down`, `Date_Changed` its
//! machine's naive local time with microseconds (`2020-09-15 14:23:45.123456`).
//! It polled continuously and logged only changes, so before an exporter's
//! first row it was in the other state, and the span of the file counts as
//! observed.

use std::collections::BTreeMap;
use std::io::Read;

use anyhow::{bail, Context, Result};
use chrono::NaiveDateTime;

use crate::model::{State, Status};
use crate::state::EventKind;

/// Where the file's naive times are local.
#[derive(Clone, Copy, Debug)]
pub enum Zone {
    /// This machine's zone (`TZ`, else /etc/localtime).
    Local,
    Named(chrono_tz::Tz),
}

impl Zone {
    /// The unix time of a naive local time. A time the clock showed twice
    /// (the hour it goes back) is taken the first time; a time it skipped
    /// (the hour it goes forward) is read as if the change had not happened.
    pub fn unix(&self, naive: NaiveDateTime) -> Option<i64> {
        match self {
            Zone::Local => crate::time::local_unix(&chrono::Local, naive),
            Zone::Named(tz) => crate::time::local_unix(tz, naive),
        }
    }

    pub fn name(&self) -> String {
        match self {
            Zone::Local => "the local time zone".into(),
            Zone::Named(tz) => tz.name().into(),
        }
    }
}

/// One row: the exporter's status from `at` on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    /// The file's line (the header is line 1).
    pub line: usize,
    pub exporter: String,
    pub state: State,
    pub bps: u64,
    pub at: i64,
}

/// The naive times the old tool wrote (pandas' `Timestamp`), with or
/// without fractions of a second, `T` or space.
fn naive(s: &str) -> Option<NaiveDateTime> {
    [
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
}

/// Reads the file's rows. `what` names it in errors (`FILE:LINE: ...`).
/// Rows whose `Status_Change` is not `Changed` say nothing and are skipped.
pub fn parse(r: impl Read, what: &str, zone: Zone) -> Result<Vec<Change>> {
    let mut csv = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(r);
    let header: Vec<String> = csv
        .headers()
        .with_context(|| format!("{what}:1: cannot read the header"))?
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').to_owned())
        .collect();
    let col = |name: &str| header.iter().position(|h| h == name);
    let need = |name: &str| {
        col(name).with_context(|| {
            format!(
                "{what}:1: no column `{name}`: this is not the old tool's persistent_device_stats.csv \
                 (its header is Exporter_Address,Current_NetFlow_bps,Status,Status_Change,Date_Changed)"
            )
        })
    };
    let (exporter, status, date) = (
        need("Exporter_Address")?,
        need("Status")?,
        need("Date_Changed")?,
    );
    let (bps, change) = (col("Current_NetFlow_bps"), col("Status_Change"));
    let mut out = Vec::new();
    for (i, rec) in csv.records().enumerate() {
        let line = i + 2;
        let rec = rec.with_context(|| format!("{what}:{line}: not a CSV row"))?;
        let field = |c: usize| rec.get(c).unwrap_or("");
        if change.is_some_and(|c| !field(c).eq_ignore_ascii_case("changed")) {
            continue;
        }
        let state = match field(status).to_ascii_lowercase().as_str() {
            "up" => State::Up,
            "down" => State::Down,
            other => bail!("{what}:{line}: Status `{other}` is neither Up nor Down"),
        };
        let when = field(date);
        let at = naive(when).and_then(|n| zone.unix(n)).with_context(|| {
            format!("{what}:{line}: Date_Changed `{when}` is not a time like 2020-09-15 14:23:45.123456")
        })?;
        let e = field(exporter);
        if e.is_empty() {
            bail!("{what}:{line}: empty Exporter_Address");
        }
        let rate = bps.map(field).unwrap_or("0");
        let bps = rate
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite() && *v >= 0.0)
            .with_context(|| {
                format!("{what}:{line}: Current_NetFlow_bps `{rate}` is not a non-negative number")
            })?;
        out.push(Change {
            line,
            exporter: e.to_owned(),
            state,
            bps: bps.round() as u64,
            at,
        });
    }
    Ok(out)
}

/// One event to store, as the state machine would have recorded it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PlannedEvent {
    pub at: i64,
    pub kind: EventKind,
    pub prev: Status,
    pub bps: u64,
}

/// One exporter's imported history.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyPlan {
    pub exporter: String,
    /// Ascending; the first is a baseline at the file's first time.
    pub events: Vec<PlannedEvent>,
}

impl KeyPlan {
    /// The status after the last event.
    pub fn last(&self) -> Status {
        let e = self.events.last().expect("a plan has events");
        e.kind.after(e.prev)
    }
}

/// The exporters' events: each starts at `start` (the file's first time) in
/// the state opposite its first row (it changed then), then changes at each
/// row; a row repeating the status is no change. Two rows of one exporter
/// at the same second: the later row in the file wins.
pub fn plan(changes: &[Change], start: i64) -> Vec<KeyPlan> {
    let mut by_key: BTreeMap<&str, Vec<&Change>> = BTreeMap::new();
    for c in changes {
        by_key.entry(&c.exporter).or_default().push(c);
    }
    by_key
        .into_iter()
        .map(|(exporter, mut rows)| {
            rows.sort_by_key(|c| (c.at, c.line));
            rows.dedup_by(|later, kept| {
                let same = later.at == kept.at;
                if same {
                    *kept = *later;
                }
                same
            });
            let first = rows[0];
            let before = if first.at > start {
                match first.state {
                    State::Up => State::Down,
                    _ => State::Up,
                }
            } else {
                first.state
            };
            let baseline = match before {
                State::Up => EventKind::BaselineUp,
                _ => EventKind::BaselineDown,
            };
            let mut events = vec![PlannedEvent {
                at: start,
                kind: baseline,
                prev: Status::Unseen,
                bps: if before == first.state { first.bps } else { 0 },
            }];
            let mut state = before;
            for c in rows.iter().filter(|c| c.at > start) {
                if c.state == state {
                    continue;
                }
                let kind = match c.state {
                    State::Up => EventKind::Up,
                    _ => EventKind::Down,
                };
                let prev = Status::known_as(state, false);
                events.push(PlannedEvent {
                    at: c.at,
                    kind,
                    prev,
                    bps: c.bps,
                });
                state = c.state;
            }
            KeyPlan {
                exporter: exporter.to_owned(),
                events,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "Exporter_Address,Current_NetFlow_bps,Status,Status_Change,Date_Changed\n";

    fn utc() -> Zone {
        Zone::Named(chrono_tz::UTC)
    }

    #[test]
    fn rows_are_read_with_their_local_times() {
        let f = format!(
            "{HEADER}10.0.0.1,0,Down,Changed,2020-09-15 14:23:45.123456\n\
             10.0.0.1,416.0,Up,Changed,2020-09-15 15:00:00.5\n\
             10.0.0.2,5,Up,No Change,N/A\n"
        );
        let berlin = Zone::Named("Europe/Berlin".parse().unwrap());
        let rows = parse(f.as_bytes(), "p.csv", berlin).unwrap();
        // 14:23:45 CEST (UTC+2) = 12:23:45Z = 1600172625; fractions dropped.
        assert_eq!(
            rows,
            [
                Change {
                    line: 2,
                    exporter: "10.0.0.1".into(),
                    state: State::Down,
                    bps: 0,
                    at: 1_600_172_625
                },
                Change {
                    line: 3,
                    exporter: "10.0.0.1".into(),
                    state: State::Up,
                    bps: 416,
                    at: 1_600_174_800
                },
            ]
        );
    }

    #[test]
    fn bad_rows_name_the_file_and_line() {
        let err = |body: &str| {
            parse(format!("{HEADER}{body}").as_bytes(), "p.csv", utc())
                .unwrap_err()
                .to_string()
        };
        assert_eq!(
            err("10.0.0.1,0,Sideways,Changed,2020-09-15 14:23:45\n"),
            "p.csv:2: Status `sideways` is neither Up nor Down"
        );
        assert_eq!(
            err("10.0.0.1,0,Down,Changed,yesterday\n"),
            "p.csv:2: Date_Changed `yesterday` is not a time like 2020-09-15 14:23:45.123456"
        );
        let e = parse("Exporter,Status\n".as_bytes(), "p.csv", utc())
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("p.csv:1: no column `Exporter_Address`"),
            "{e}"
        );
    }

    #[test]
    fn the_clock_going_back_or_forward_is_read_once() {
        let berlin = Zone::Named("Europe/Berlin".parse().unwrap());
        let t = |s: &str| berlin.unix(naive(s).unwrap()).unwrap();
        // 2020-10-25 02:30 happened twice: the first (CEST, UTC+2) is 00:30Z.
        assert_eq!(t("2020-10-25 02:30:00"), 1_603_585_800);
        // 2020-03-29 02:30 never happened: read as CET, 01:30Z.
        assert_eq!(t("2020-03-29 02:30:00"), 1_585_445_400);
    }

    #[test]
    fn each_exporter_starts_in_the_state_before_its_first_change() {
        let c = |line, exporter: &str, state, at| Change {
            line,
            exporter: exporter.into(),
            state,
            bps: if state == State::Up { 7 } else { 0 },
            at,
        };
        let rows = [
            c(2, "a", State::Down, 1000),
            c(3, "b", State::Up, 1100),
            c(4, "a", State::Up, 1300),
            // A repeat: no change.
            c(5, "a", State::Up, 1400),
            c(6, "b", State::Down, 1500),
            // Same second as line 6: the later line wins.
            c(7, "b", State::Up, 1500),
        ];
        let p = plan(&rows, 1000);
        let ev = |at, kind, prev, bps| PlannedEvent {
            at,
            kind,
            prev,
            bps,
        };
        assert_eq!(
            p,
            [
                // a's first row is at the start: that is its baseline.
                KeyPlan {
                    exporter: "a".into(),
                    events: vec![
                        ev(1000, EventKind::BaselineDown, Status::Unseen, 0),
                        ev(1300, EventKind::Up, Status::Down, 7),
                    ]
                },
                // b came up at 1100: it was down from the start.
                KeyPlan {
                    exporter: "b".into(),
                    events: vec![
                        ev(1000, EventKind::BaselineDown, Status::Unseen, 0),
                        ev(1100, EventKind::Up, Status::Down, 7),
                    ]
                },
            ]
        );
        assert_eq!(p[1].last(), Status::Up);
    }
}
