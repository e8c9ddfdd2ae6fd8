//! `fcstats alerts [--test]`: what waits in the outbox, or a test event
//! through every sink.

use std::path::Path;

use anyhow::{bail, Result};

use crate::cli::OutputArgs;
use crate::config::Config;
use crate::exit;
use crate::notify::{self, Alert};
use crate::output::{self, Report, Value};
use crate::store::Store;

fn list(db: &Path) -> Result<Report> {
    let store = Store::open_existing(db)?;
    Ok(Report {
        columns: vec![
            "id",
            "created",
            "sink",
            "kind",
            "summary",
            "attempts",
            "last_try",
            "last_error",
        ],
        rows: store
            .pending_alerts()?
            .into_iter()
            .map(|a| {
                vec![
                    Value::Int(a.id),
                    Value::Time(Some(a.created)),
                    Value::text(a.sink),
                    Value::text(a.kind),
                    Value::text(a.summary),
                    Value::Int(a.attempts),
                    Value::Time(a.last_try),
                    Value::text(a.last_error.unwrap_or_default()),
                ]
            })
            .collect(),
        note: vec![],
    })
}

/// Sends a test event through every sink; the report says how each went.
fn test(cfg: &Config) -> Result<(Report, bool)> {
    let sinks = notify::sinks(cfg);
    if sinks.is_empty() {
        bail!(
            "{}: no alerts configured (see `alerts:` in config.example.yaml)",
            cfg.file.display()
        );
    }
    let alert = Alert {
        kind: crate::notify::AlertKind::Test,
        key: None,
        at: crate::time::now(),
        ..Alert::default()
    };
    let mut all_ok = true;
    let rows = sinks
        .iter()
        .map(|s| {
            let result = match s.send(&alert) {
                Ok(()) => "sent".to_string(),
                Err(e) => {
                    all_ok = false;
                    format!("failed: {e:#}")
                }
            };
            vec![Value::text(s.name()), Value::text(result)]
        })
        .collect();
    Ok((
        Report {
            columns: vec!["sink", "result"],
            rows,
            note: vec![],
        },
        all_ok,
    ))
}

pub fn run(cfg: &Config, db: &Path, send_test: bool, out: &OutputArgs) -> Result<i32> {
    let (report, ok) = if send_test {
        test(cfg)?
    } else {
        (list(db)?, true)
    };
    output::print(&report, out.format, !out.no_header)?;
    Ok(if ok { exit::OK } else { exit::ERROR })
}
