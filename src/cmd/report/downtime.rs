//! `report downtime`: per key downtime in the window (SPEC §4), most first;
//! `--total`: one summary row.

use anyhow::Result;

use super::Select;
use crate::config::Config;
use crate::model::Status;
use crate::output::{Report, Value};
use crate::report::accounting::{account, account_in, availability, status_at, Account, Gaps};
use crate::report::history::History;
use crate::report::window::Window;
use crate::store::query::KeyRow;
use crate::store::Store;

/// Every key seen before the window's end that the filter accepts, accounted,
/// in key id order. One pass over the keys and the (key, time)-ordered events.
pub fn accounts<'h>(
    h: &'h History,
    w: Window,
    gaps: &Gaps,
    sel: &Select,
    windows: &[crate::maintenance::Window],
) -> Vec<(&'h KeyRow, Account)> {
    let keys = h
        .keys
        .iter()
        .filter(|(_, k)| k.first_seen < w.to && sel.accepts(&k.key));
    let mut events = h.events.as_slice();
    let mut changes: Vec<(i64, Status)> = Vec::new();
    keys.map(|&(id, ref k)| {
        // Skip events of keys left out, then take this key's: a walk, not a
        // binary search per key (keys and events are both in key order).
        let skip = events.iter().take_while(|e| e.key < id).count();
        events = &events[skip..];
        let n = events.iter().take_while(|e| e.key == id).count();
        let (mine, rest) = events.split_at(n);
        events = rest;
        let start = status_at(mine.iter().map(|e| (e.at, e.prev)), k.status, w.from);
        changes.clear();
        changes.extend(mine.iter().map(|e| (e.at, e.kind.after(e.prev))));
        if windows.is_empty() {
            return (k, account(start, &changes, w.from, w.to, gaps));
        }
        let owner = h.owner(k);
        let covers = |win: &crate::maintenance::Window| sel.in_window(win, &k.key, owner);
        let spans = crate::maintenance::key_spans(windows, covers, w.from, w.to);
        let maint = Gaps::from_spans(spans);
        (k, account_in(start, &changes, (w.from, w.to), gaps, &maint))
    })
    .filter(|(_, a)| !a.only_dormant())
    .collect()
}

/// Most downtime first, then by key (keys are unique: an unstable sort
/// gives the one order there is).
fn by_downtime(rows: &mut [(&KeyRow, Account)]) {
    rows.sort_unstable_by(|a, b| {
        b.1.downtime
            .cmp(&a.1.downtime)
            .then_with(|| a.0.key.cmp(&b.0.key))
    });
}

pub fn per_key(accts: &[(&KeyRow, Account)], all: bool, sel: &Select) -> Report {
    let mut listed: Vec<(&KeyRow, Account)> = accts
        .iter()
        .filter(|(_, a)| all || a.outages > 0)
        .copied()
        .collect();
    by_downtime(&mut listed);
    Report {
        columns: vec![
            "exporter",
            "interface",
            "downtime_s",
            "outages",
            "longest_s",
            "availability_pct",
            "unobserved_s",
            "name",
            "site",
            "maintenance_s",
        ],
        rows: listed
            .iter()
            .map(|(k, a)| {
                let mut row = vec![
                    Value::text(&k.key.exporter),
                    Value::text(&k.key.interface),
                    Value::Secs(a.downtime),
                    Value::Int(i64::from(a.outages)),
                    Value::Secs(a.longest),
                    Value::Pct(availability(a.observed(), a.downtime)),
                    Value::Secs(a.unobserved),
                ];
                row.extend(sel.labels(&k.key));
                row.push(Value::Secs(a.maintenance));
                row
            })
            .collect(),
        note: vec![],
    }
}

pub fn total(accts: &[(&KeyRow, Account)]) -> Report {
    let sum = |f: fn(&Account) -> i64| accts.iter().map(|(_, a)| f(a)).sum::<i64>();
    let (downtime, observed) = (sum(|a| a.downtime), sum(|a| a.observed()));
    Report {
        columns: vec![
            "keys",
            "keys_affected",
            "downtime_s",
            "outages",
            "availability_pct",
            "unobserved_s",
            "maintenance_s",
        ],
        rows: vec![vec![
            Value::Int(accts.len() as i64),
            Value::Int(accts.iter().filter(|(_, a)| a.outages > 0).count() as i64),
            Value::Secs(downtime),
            Value::Int(sum(|a| i64::from(a.outages))),
            Value::Pct(availability(observed, downtime)),
            Value::Secs(sum(|a| a.unobserved)),
            Value::Secs(sum(|a| a.maintenance)),
        ]],
        note: vec![],
    }
}

pub fn run(
    store: &Store,
    cfg: &Config,
    w: Window,
    sel: &Select,
    want_total: bool,
    all: bool,
) -> Result<Report> {
    let started = std::time::Instant::now();
    let h = History::load(store, w.from, false)?;
    log::debug!(
        "loaded {} keys and {} events in {:.3}s",
        h.keys.len(),
        h.events.len(),
        started.elapsed().as_secs_f64()
    );
    let gaps = super::gaps(store, cfg, w.from, w.to)?;
    let windows = super::windows(store, cfg, w.from, w.to)?;
    let accts = accounts(&h, w, &gaps, sel, &windows);
    log::debug!("accounted at {:.3}s", started.elapsed().as_secs_f64());
    Ok(if want_total {
        total(&accts)
    } else {
        per_key(&accts, all, sel)
    })
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::model::Key;
    use crate::output::Value;
    use crate::state::EventKind;
    use crate::store::query::EventRow;

    /// The event kind that takes a key from `prev` to `next`, if one does.
    fn kind(prev: Status, next: Status) -> Option<EventKind> {
        use Status::*;
        Some(match (prev, next) {
            (Unseen, Up) => EventKind::BaselineUp,
            (Unseen, Down) => EventKind::BaselineDown,
            (Up | UnknownUp, Down) => EventKind::Down,
            (Down | UnknownDown, Up) => EventKind::Up,
            (Up, UnknownUp) | (Down, UnknownDown) => EventKind::Unknown,
            (UnknownUp, Up) | (UnknownDown, Down) => EventKind::Known,
            _ => return None,
        })
    }

    fn status() -> impl Strategy<Value = Status> {
        prop_oneof![
            Just(Status::Down),
            Just(Status::Up),
            Just(Status::UnknownDown),
            Just(Status::UnknownUp)
        ]
    }

    /// Up to 6 keys, each with a valid random history of 5-minute polls.
    fn histories() -> impl Strategy<Value = History> {
        proptest::collection::vec(proptest::collection::vec((1i64..40, status()), 0..12), 1..6)
            .prop_map(|keys| {
                let mut rows = Vec::new();
                let mut events = Vec::new();
                for (id, steps) in keys.into_iter().enumerate() {
                    let id = id as i64;
                    let (mut status, mut at, mut first) = (Status::Unseen, 0, None);
                    for (dt, next) in steps {
                        at += dt * 300;
                        let Some(k) = kind(status, next) else {
                            continue;
                        };
                        first.get_or_insert(at);
                        events.push(EventRow {
                            key: id,
                            at,
                            kind: k,
                            prev: status,
                            collector: None,
                        });
                        status = next;
                    }
                    let Some(first_seen) = first else { continue };
                    rows.push((
                        id,
                        KeyRow {
                            key: Key::new(format!("10.0.0.{id}"), ""),
                            status,
                            since: at,
                            bps: 0,
                            owner: None,
                            first_seen,
                            not_decoding: false,
                        },
                    ));
                }
                History::new(rows, events)
            })
    }

    fn secs(v: &Value) -> i64 {
        match v {
            Value::Secs(n) | Value::Int(n) => *n,
            other => panic!("{other:?}"),
        }
    }

    proptest! {
        #[test]
        fn the_total_is_the_sum_of_the_rows(h in histories(), from in 0i64..20_000, len in 1i64..20_000, polls in proptest::collection::vec(0i64..40_000, 0..40)) {
            let w = Window { from, to: from + len, now: from + len };
            let mut polls = polls;
            polls.sort();
            let gaps = Gaps::new(&polls, w.from, w.to, 900);
            let inventory = crate::model::inventory::Inventory::default();
            let all = Select::all(&inventory);
            let accts = accounts(&h, w, &gaps, &all, &[]);
            let rows = per_key(&accts, true, &all).rows;
            let total = &total(&accts).rows[0];
            let sum = |col: usize| rows.iter().map(|r| secs(&r[col])).sum::<i64>();
            prop_assert_eq!(secs(&total[0]), rows.len() as i64);
            prop_assert_eq!(secs(&total[1]), rows.iter().filter(|r| secs(&r[3]) > 0).count() as i64);
            prop_assert_eq!(secs(&total[2]), sum(2));
            prop_assert_eq!(secs(&total[3]), sum(3));
            prop_assert_eq!(secs(&total[5]), sum(6));
            for (_, a) in &accts {
                prop_assert_eq!(a.downtime + a.up + a.unobserved, len);
            }
            // Most downtime first.
            let downtimes: Vec<i64> = rows.iter().map(|r| secs(&r[2])).collect();
            prop_assert!(downtimes.windows(2).all(|p| p[0] >= p[1]));
        }
    }
}
