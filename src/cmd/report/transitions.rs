//! What `report down` and `report up` share: the transitions of one kind in the
//! window, newest first, each with its outage length.

use anyhow::Result;

use super::Select;
use crate::output::{Report, Value};
use crate::report::history::History;
use crate::report::window::Window;
use crate::state::EventKind;
use crate::store::query::EventRow;

/// Every `kind` event in [from, to]; `outage_s(event)` gives its outage length.
pub fn report(
    h: &History,
    w: Window,
    kind: EventKind,
    sel: &Select,
    outage_s: impl Fn(&EventRow) -> Result<i64>,
) -> Result<Report> {
    let mut rows: Vec<(i64, &str, &str, Vec<Value>)> = Vec::new();
    for e in &h.events {
        if e.kind != kind || e.at < w.from || e.at > w.to {
            continue;
        }
        let Some(k) = h.key(e.key).filter(|k| sel.accepts(&k.key)) else {
            continue;
        };
        let mut row = vec![
            Value::text(&k.key.exporter),
            Value::text(&k.key.interface),
            Value::Time(Some(e.at)),
            Value::text(h.status_at(e.key, w.now).as_str()),
            Value::Secs(outage_s(e)?),
            Value::text(h.collector(e)),
        ];
        row.extend(sel.labels(&k.key));
        rows.push((e.at, &k.key.exporter, &k.key.interface, row));
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
            "name",
            "site",
        ],
        rows: rows.into_iter().map(|r| r.3).collect(),
        note: vec![],
    })
}
