//! `report up`: every down->up transition in the window, newest first, with
//! the length of the outage that ended.

use anyhow::Result;

use super::{transitions, Select};
use crate::output::Report;
use crate::report::history::History;
use crate::report::window::Window;
use crate::state::EventKind;
use crate::store::Store;

/// outage_s: from the outage's start (its down transition, or the key's first
/// sighting if it was first seen down). `outage_start(key, at)` looks before
/// the loaded events.
pub fn build(
    h: &History,
    w: Window,
    sel: &Select,
    outage_start: impl Fn(i64, i64) -> Result<Option<i64>>,
) -> Result<Report> {
    transitions::report(h, w, EventKind::Up, sel, |e| {
        let loaded = h
            .events_of(e.key)
            .iter()
            .rev()
            .find(|p| p.at < e.at && matches!(p.kind, EventKind::Down | EventKind::BaselineDown))
            .map(|p| p.at);
        let began = match loaded {
            Some(t) => t,
            None => outage_start(e.key, e.at)?
                .or_else(|| h.key(e.key).map(|k| k.first_seen))
                .unwrap_or(e.at),
        };
        Ok(e.at - began)
    })
}

pub fn run(store: &Store, w: Window, sel: &Select) -> Result<Report> {
    build(&History::load(store, w.from, true)?, w, sel, |k, at| {
        store.outage_start(k, at)
    })
}
