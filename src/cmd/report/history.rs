//! `report history` (SPEC §12): every event of the selected keys in the
//! window, oldest first, with the maintenance windows that covered them.

use anyhow::Result;

use super::Select;
use crate::maintenance::Window as Maint;
use crate::model::Status;
use crate::output::{human_duration, Report, Value};
use crate::report::history::History;
use crate::report::window::Window;
use crate::state::EventKind;
use crate::store::query::EventRow;

/// What an event adds to its kind, for people and scripts alike.
fn detail(e: &EventRow, h: &History) -> String {
    let after = e.kind.after(e.prev);
    match e.kind {
        EventKind::BaselineUp | EventKind::BaselineDown => match e.prev {
            Status::Unseen => after.as_str().to_owned(),
            prev => format!("{} (was {})", after.as_str(), prev.as_str()),
        },
        EventKind::Up => h
            .events_of(e.key)
            .iter()
            .rev()
            .find(|d| d.at < e.at && matches!(d.kind, EventKind::Down | EventKind::BaselineDown))
            .map(|d| format!("after {}", human_duration(e.at - d.at)))
            .unwrap_or_default(),
        EventKind::Unknown => format!(
            "was {}",
            e.prev.known().map_or("unseen", |s| match s {
                crate::model::State::Up => "up",
                _ => "down",
            })
        ),
        EventKind::Known => after.as_str().to_owned(),
        _ => String::new(),
    }
}

pub fn build(h: &History, w: Window, sel: &Select, windows: &[Maint]) -> Report {
    build_for(h, w, sel, windows, None)
}

/// `build`, for one key only (its row id) when `only` is given.
pub fn build_for(
    h: &History,
    w: Window,
    sel: &Select,
    windows: &[Maint],
    only: Option<i64>,
) -> Report {
    let mut rows: Vec<(i64, u8, Vec<Value>)> = Vec::new();
    let keys = h.keys_of(only).iter().filter(|(_, k)| sel.accepts(&k.key));
    for (id, k) in keys {
        let row = |at: i64, event: &str, collector: String, detail: String| {
            let mut r = vec![
                Value::text(&k.key.exporter),
                Value::text(&k.key.interface),
                Value::Time(Some(at)),
                Value::text(event),
                Value::Text(collector),
                Value::Text(detail),
            ];
            r.extend(sel.labels(&k.key));
            r
        };
        for e in h
            .events_of(*id)
            .iter()
            .filter(|e| e.at >= w.from && e.at < w.to)
        {
            rows.push((
                e.at,
                1,
                row(e.at, e.kind.as_str(), h.collector(e), detail(e, h)),
            ));
        }
        let owner = h.owner(k);
        for m in windows.iter().filter(|m| sel.in_window(m, &k.key, owner)) {
            let what = format!("{} ({})", m.scope.text(), m.reason);
            for (at, event, order) in [
                (m.from, "maintenance_start", 0),
                (m.to, "maintenance_end", 2),
            ] {
                if (w.from..w.to).contains(&at) {
                    rows.push((at, order, row(at, event, String::new(), what.clone())));
                }
            }
        }
    }
    // Oldest first; at one time a window's start before the key's event, its end after.
    rows.sort_by(|a, b| {
        (a.0, a.1)
            .cmp(&(b.0, b.1))
            .then_with(|| a.2[0].machine().cmp(&b.2[0].machine()))
            .then_with(|| a.2[1].machine().cmp(&b.2[1].machine()))
    });
    Report {
        columns: vec![
            "exporter",
            "interface",
            "at",
            "event",
            "collector",
            "detail",
            "name",
            "site",
        ],
        rows: rows.into_iter().map(|r| r.2).collect(),
        note: vec![],
    }
}

pub fn run(
    store: &crate::store::Store,
    cfg: &crate::config::Config,
    w: Window,
    sel: &Select,
) -> Result<Report> {
    let h = History::load(store, w.from, true)?;
    let windows = super::windows(store, cfg, w.from, w.to)?;
    Ok(build(&h, w, sel, &windows))
}
