//! `report down`: every up->down transition in the window, newest first.

use anyhow::Result;

use crate::output::{Report, Value};
use crate::report::history::History;
use crate::report::window::Window;
use crate::state::EventKind;
use crate::store::Store;

pub fn build(h: &History, w: Window) -> Report {
    let mut rows: Vec<(i64, &str, &str, Vec<Value>)> = Vec::new();
    for e in &h.events {
        if e.kind != EventKind::Down || e.at < w.from || e.at > w.to {
            continue;
        }
        let Some(k) = h.keys.get(&e.key) else {
            continue;
        };
        // Down until it came back, or to the window's end.
        let back = h
            .events_of(e.key)
            .iter()
            .find(|n| n.at > e.at && n.kind == EventKind::Up)
            .map_or(w.to, |n| n.at.min(w.to));
        rows.push((
            e.at,
            &k.key.exporter,
            &k.key.interface,
            vec![
                Value::text(&k.key.exporter),
                Value::text(&k.key.interface),
                Value::Time(Some(e.at)),
                Value::text(h.status_at(e.key, w.now).as_str()),
                Value::Secs(back - e.at),
                Value::text(h.collector(e)),
            ],
        ));
    }
    rows.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| (a.1, a.2).cmp(&(b.1, b.2))));
    Report {
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
    }
}

pub fn run(store: &Store, w: Window) -> Result<Report> {
    Ok(build(&History::load(store, w.from)?, w))
}
