//! `report downtime`: per key downtime in the window (SPEC §4), most first;
//! `--total`: one summary row.

use anyhow::Result;

use crate::config::Config;
use crate::output::{Report, Value};
use crate::report::accounting::{account, availability, Account, Gaps};
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

/// Every key seen before the window's end that the filter accepts, accounted.
pub fn accounts<'h>(
    h: &'h History,
    w: Window,
    gaps: &Gaps,
    filter: &Filter,
) -> Vec<(&'h KeyRow, Account)> {
    let mut out: Vec<(&KeyRow, Account)> = h
        .keys
        .iter()
        .filter(|(_, k)| k.first_seen < w.to && filter.accepts(k))
        .map(|(&id, k)| {
            let start = h.status_at(id, w.from);
            let changes: Vec<(i64, crate::model::Status)> = h
                .events_of(id)
                .iter()
                .map(|e| (e.at, e.kind.after(e.prev)))
                .collect();
            (k, account(start, &changes, w.from, w.to, gaps))
        })
        .collect();
    out.sort_by(|a, b| {
        b.1.downtime
            .cmp(&a.1.downtime)
            .then_with(|| a.0.key.cmp(&b.0.key))
    });
    out
}

pub fn per_key(accts: &[(&KeyRow, Account)], all: bool) -> Report {
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
        rows: accts
            .iter()
            .filter(|(_, a)| all || a.outages > 0)
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
    let h = History::load(store, w.from)?;
    let gaps = Gaps::new(
        &store.polls_around(w.from, w.to)?,
        w.from,
        w.to,
        cfg.max_gap.secs() as i64,
    );
    let accts = accounts(&h, w, &gaps, filter);
    Ok(if want_total {
        total(&accts)
    } else {
        per_key(&accts, all)
    })
}
