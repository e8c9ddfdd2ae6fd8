//! `report status`: every key's state now, and which collectors the last poll read.

use std::collections::HashMap;

use anyhow::Result;

use super::Select;
use crate::cli::StateFilter;
use crate::config::Config;
use crate::maintenance::Window;
use crate::model::Status;
use crate::output::{Report, Value};
use crate::store::query::{CollectorRow, KeyRow, PollRow};
use crate::store::Store;

fn matches(s: Status, f: StateFilter) -> bool {
    matches!(
        (s, f),
        (Status::Up, StateFilter::Up)
            | (Status::Down, StateFilter::Down)
            | (
                Status::UnknownDown | Status::UnknownUp,
                StateFilter::Unknown
            )
            | (Status::Inactive, StateFilter::Inactive)
            | (Status::Retired, StateFilter::Retired)
    )
}

/// Down first, then unknown, up, inactive, retired.
fn rank(s: Status) -> u8 {
    match s {
        Status::Down => 0,
        Status::UnknownDown | Status::UnknownUp => 1,
        Status::Up => 2,
        Status::Inactive => 3,
        Status::Retired => 4,
        Status::Unseen => 5,
    }
}

/// The last poll and its failed collectors, for people.
pub fn last_poll_note(
    poll: Option<PollRow>,
    collectors: &[CollectorRow],
    cfg: &Config,
) -> Vec<Value> {
    let Some(p) = poll else {
        return vec![Value::text("no poll recorded yet")];
    };
    let failed: Vec<&str> = collectors
        .iter()
        .filter(|c| !c.ok && cfg.collectors.iter().any(|k| k.name == c.name))
        .map(|c| c.name.as_str())
        .collect();
    let mut read = format!(": {} of {} collectors read", p.ok, p.ok + p.failed);
    if !failed.is_empty() {
        read.push_str(&format!("; failed: {}", failed.join(", ")));
    }
    vec![
        Value::text("last poll "),
        Value::Time(Some(p.at)),
        Value::text(read),
    ]
}

pub fn build(
    keys: Vec<&KeyRow>,
    names: &HashMap<i64, String>,
    filter: Option<StateFilter>,
    sel: &Select,
    (note, windows): (Vec<Value>, &[Window]),
) -> Report {
    let mut keys: Vec<&KeyRow> = keys
        .into_iter()
        .filter(|k| filter.is_none_or(|f| matches(k.status, f)) && sel.accepts(&k.key))
        .collect();
    keys.sort_by(|a, b| {
        rank(a.status)
            .cmp(&rank(b.status))
            .then_with(|| a.key.cmp(&b.key))
    });
    Report {
        columns: vec![
            "exporter",
            "interface",
            "state",
            "since",
            "bps",
            "owner",
            "name",
            "site",
            "not_decoding",
            "maintenance",
        ],
        rows: keys
            .into_iter()
            .map(|k| {
                let owner = k.owner.and_then(|o| names.get(&o)).map(String::as_str);
                let maint = windows.iter().any(|w| sel.in_window(w, &k.key, owner));
                let mut row = vec![
                    Value::text(&k.key.exporter),
                    Value::text(&k.key.interface),
                    Value::Noted(k.status.as_str().into(), maint.then_some("maintenance")),
                    Value::Time(Some(k.since)),
                    Value::Int(k.bps as i64),
                    Value::text(
                        k.owner
                            .and_then(|o| names.get(&o))
                            .cloned()
                            .unwrap_or_default(),
                    ),
                ];
                row.extend(sel.labels(&k.key));
                row.push(Value::Bool(k.not_decoding));
                row.push(Value::Bool(maint));
                row
            })
            .collect(),
        note,
    }
}

pub fn run(
    store: &Store,
    cfg: &Config,
    filter: Option<StateFilter>,
    sel: &Select,
) -> Result<Report> {
    let keys = store.keys()?;
    let note = last_poll_note(store.last_poll_row()?, &store.collectors()?, cfg);
    let now = crate::time::now();
    let windows = super::windows(store, cfg, now, now + 1)?;
    let windows: Vec<Window> = windows.into_iter().filter(|w| w.contains(now)).collect();
    Ok(build(
        keys.iter().map(|(_, k)| k).collect(),
        &store.collector_names()?,
        filter,
        sel,
        (note, &windows),
    ))
}
