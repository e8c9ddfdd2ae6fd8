//! `report up`: every down->up transition in the window, newest first, with
//! the length of the outage that ended.

use anyhow::Result;

use crate::output::{Report, Value};
use crate::report::history::History;
use crate::report::window::Window;
use crate::state::EventKind;
use crate::store::Store;

/// `outage_start(key, at)` finds an outage's start before the loaded events.
pub fn build(
    h: &History,
    w: Window,
    outage_start: impl Fn(i64, i64) -> Result<Option<i64>>,
) -> Result<Report> {
    let mut rows: Vec<(i64, &str, &str, Vec<Value>)> = Vec::new();
    for e in &h.events {
        if e.kind != EventKind::Up || e.at < w.from || e.at > w.to {
            continue;
        }
        let Some(k) = h.keys.get(&e.key) else {
            continue;
        };
        let began = h
            .events_of(e.key)
            .iter()
            .rev()
            .find(|p| p.at < e.at && matches!(p.kind, EventKind::Down | EventKind::BaselineDown))
            .map(|p| p.at);
        let began = match began {
            Some(t) => t,
            None => outage_start(e.key, e.at)?.unwrap_or(k.first_seen),
        };
        rows.push((
            e.at,
            &k.key.exporter,
            &k.key.interface,
            vec![
                Value::text(&k.key.exporter),
                Value::text(&k.key.interface),
                Value::Time(Some(e.at)),
                Value::text(h.status_at(e.key, w.now).as_str()),
                Value::Secs(e.at - began),
                Value::text(h.collector(e)),
            ],
        ));
    }
    rows.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| (a.1, a.2).cmp(&(b.1, b.2))));
    Ok(Report {
        columns: vec![
            "exporter",
            "interface",
            "at",
            "state_now",
            "outage_s",
            "collectors",
        ],
        rows: rows.into_iter().map(|r| r.3).collect(),
        note: None,
    })
}

pub fn run(store: &Store, w: Window) -> Result<Report> {
    build(&History::load(store, w.from)?, w, |k, at| {
        store.outage_start(k, at)
    })
}
