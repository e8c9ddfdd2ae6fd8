//! `report downtime`: per key downtime in the window (SPEC §4), most first;
//! `--total`: one summary row.

use anyhow::Result;

use crate::config::Config;
use crate::model::Status;
use crate::output::{Report, Value};
use crate::report::accounting::{account, availability, status_at, Account, Gaps};
use crate::report::history::History;
use crate::report::window::Window;
use crate::store::query::KeyRow;
use crate::store::Store;

#[derive(Clone, Debug, Default)]
pub struct Filter {
    pub exporter: Option<String>,
    /// `Some("")`: keys without an interface.
    pub interface: Option<String>,
}

impl Filter {
    fn accepts(&self, k: &KeyRow) -> bool {
        self.exporter.as_ref().is_none_or(|e| *e == k.key.exporter)
            && self
                .interface
                .as_ref()
                .is_none_or(|i| *i == k.key.interface)
    }
}

/// Every key seen before the window's end that the filter accepts, accounted,
/// in key id order. One pass over the keys and the (key, time)-ordered events.
pub fn accounts<'h>(
    h: &'h History,
    w: Window,
    gaps: &Gaps,
    filter: &Filter,
) -> Vec<(&'h KeyRow, Account)> {
    let mut keys: Vec<(i64, &KeyRow)> = h
        .keys
        .iter()
        .filter(|(_, k)| k.first_seen < w.to && filter.accepts(k))
        .map(|(&id, k)| (id, k))
        .collect();
    keys.sort_unstable_by_key(|(id, _)| *id);
    let mut events = h.events.as_slice();
    let mut changes: Vec<(i64, Status)> = Vec::new();
    keys.into_iter()
        .map(|(id, k)| {
            // Skip events of keys left out, then take this key's.
            let skip = events.partition_point(|e| e.key < id);
            events = &events[skip..];
            let n = events.partition_point(|e| e.key == id);
            let (mine, rest) = events.split_at(n);
            events = rest;
            let start = status_at(mine.iter().map(|e| (e.at, e.prev)), k.status, w.from);
            changes.clear();
            changes.extend(mine.iter().map(|e| (e.at, e.kind.after(e.prev))));
            (k, account(start, &changes, w.from, w.to, gaps))
        })
        .collect()
}

/// Most downtime first, then by key.
fn by_downtime(rows: &mut [(&KeyRow, Account)]) {
    rows.sort_by(|a, b| {
        b.1.downtime
            .cmp(&a.1.downtime)
            .then_with(|| a.0.key.cmp(&b.0.key))
    });
}

pub fn per_key(accts: &[(&KeyRow, Account)], all: bool) -> Report {
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
        ],
        rows: listed
            .iter()
            .map(|(k, a)| {
                vec![
                    Value::text(&k.key.exporter),
                    Value::text(&k.key.interface),
                    Value::Secs(a.downtime),
                    Value::Int(i64::from(a.outages)),
                    Value::Secs(a.longest),
                    Value::Pct(availability(a.observed(), a.downtime)),
                    Value::Secs(a.unobserved),
                ]
            })
            .collect(),
        note: None,
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
        ],
        rows: vec![vec![
            Value::Int(accts.len() as i64),
            Value::Int(accts.iter().filter(|(_, a)| a.outages > 0).count() as i64),
            Value::Secs(downtime),
            Value::Int(sum(|a| i64::from(a.outages))),
            Value::Pct(availability(observed, downtime)),
            Value::Secs(sum(|a| a.unobserved)),
        ]],
        note: None,
    }
}

pub fn run(
    store: &Store,
    cfg: &Config,
    w: Window,
    filter: &Filter,
    want_total: bool,
    all: bool,
) -> Result<Report> {
    let started = std::time::Instant::now();
    let h = History::load(store, w.from)?;
    log::debug!(
        "loaded {} keys and {} events in {:.3}s",
        h.keys.len(),
        h.events.len(),
        started.elapsed().as_secs_f64()
    );
    let gaps = Gaps::new(
        &store.polls_around(w.from, w.to)?,
        w.from,
        w.to,
        cfg.max_gap.secs() as i64,
    );
    let accts = accounts(&h, w, &gaps, filter);
    log::debug!("accounted at {:.3}s", started.elapsed().as_secs_f64());
    Ok(if want_total {
        total(&accts)
    } else {
        per_key(&accts, all)
    })
}
