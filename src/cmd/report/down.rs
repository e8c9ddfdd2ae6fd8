//! `report down`: every up->down transition in the window, newest first.

use anyhow::Result;

use super::{transitions, Select};
use crate::model::State;
use crate::output::Report;
use crate::report::history::History;
use crate::report::window::Window;
use crate::state::EventKind;
use crate::store::Store;

/// outage_s: down until it came back (an up, or a baseline up after an
/// imported history) or was retired, or to the window's end.
pub fn build(h: &History, w: Window, sel: &Select) -> Result<Report> {
    transitions::report(h, w, EventKind::Down, sel, |e| {
        let back = h
            .events_of(e.key)
            .iter()
            .find(|n| n.at > e.at && n.kind.after(n.prev).known() != Some(State::Down))
            .map_or(w.to, |n| n.at.min(w.to));
        Ok(back - e.at)
    })
}

pub fn run(store: &Store, w: Window, sel: &Select) -> Result<Report> {
    build(&History::load(store, w.from, true)?, w, sel)
}
