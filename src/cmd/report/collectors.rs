//! `report collectors`: the health of every configured collector.

use anyhow::Result;

use crate::config::Config;
use crate::output::{Report, Value};
use crate::store::query::{CollectorRow, PollRow};
use crate::store::Store;

/// In config order; a configured collector not polled yet is left out. An ok
/// collector was read at the last poll.
pub fn build(rows: &[CollectorRow], configured: &[&str], last: Option<PollRow>) -> Report {
    let rows = configured
        .iter()
        .filter_map(|name| rows.iter().find(|r| r.name == *name))
        .map(|r| {
            let last_ok = if r.ok { last.map(|p| p.at) } else { r.last_ok };
            vec![
                Value::text(&r.name),
                Value::text(if r.ok { "ok" } else { "failed" }),
                Value::Time(Some(r.since)),
                Value::Time(last_ok),
                Value::text(r.last_error.clone().unwrap_or_default()),
            ]
        })
        .collect();
    Report {
        columns: vec!["collector", "state", "since", "last_ok", "last_error"],
        rows,
        note: vec![],
    }
}

pub fn run(store: &Store, cfg: &Config) -> Result<Report> {
    let names: Vec<&str> = cfg.collectors.iter().map(|c| c.name.as_str()).collect();
    Ok(build(&store.collectors()?, &names, store.last_poll_row()?))
}
