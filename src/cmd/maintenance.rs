//! `fcstats maintenance add|list|end|remove` (SPEC §10): windows kept in the
//! database, so that cron, the CronJob and people share them.

use std::io::Write;
use std::path::Path;

use anyhow::{bail, Context, Result};

use crate::cli::{MaintenanceCommand, ScopeArgs};
use crate::config::Config;
use crate::exit;
use crate::maintenance::{Scope, Window};
use crate::model::inventory::{Exporters, Ignore};
use crate::output::{self, Report, Value};
use crate::store::Store;
use crate::time::{now, rfc3339};

pub fn run(cfg: &Config, db: &Path, command: &MaintenanceCommand) -> Result<i32> {
    match command {
        MaintenanceCommand::Add {
            scope,
            duration,
            from,
            to,
            reason,
        } => {
            let (from, to) = match (duration, from, to) {
                (Some(d), _, _) if d.secs() == 0 => {
                    bail!("--for 0s is an empty window: give a duration like 2h")
                }
                (Some(d), _, _) => (now(), now().saturating_add(d.secs() as i64)),
                (None, Some(f), Some(t)) => (*f, *t),
                _ => bail!("give --for DUR, or --from T --to T"),
            };
            if to <= from {
                bail!(
                    "the window ends ({}) before it starts ({}): --to must be later than --from",
                    rfc3339(to),
                    rfc3339(from)
                );
            }
            add(cfg, db, scope_of(cfg, scope)?, (from, to), reason)
        }
        MaintenanceCommand::List { all, out } => {
            let store = Store::open_existing(db)?;
            output::print(&list(cfg, &store, *all, now())?, out.format, !out.no_header)?;
            Ok(exit::OK)
        }
        MaintenanceCommand::End { id } => {
            let store = Store::open(db)?;
            let w = store
                .end_window(*id, now())?
                .with_context(|| no_window(*id))?;
            say(&format!("ended window {id} ({})", w.scope.text()))
        }
        MaintenanceCommand::Remove { id } => {
            let store = Store::open(db)?;
            let w = store.remove_window(*id)?.with_context(|| no_window(*id))?;
            say(&format!("removed window {id} ({})", w.scope.text()))
        }
    }
}

fn no_window(id: i64) -> String {
    format!("there is no maintenance window {id} (`fcstats maintenance list --all` shows them)")
}

fn say(line: &str) -> Result<i32> {
    writeln!(std::io::stdout(), "{line}")?;
    Ok(exit::OK)
}

/// Who asks: the user behind sudo, else the user.
fn who() -> String {
    ["SUDO_USER", "USER", "LOGNAME"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|u| !u.is_empty()))
        .unwrap_or_else(|| "unknown".into())
}

fn scope_of(cfg: &Config, a: &ScopeArgs) -> Result<Scope> {
    if a.all {
        return Ok(Scope::All);
    }
    if let Some(c) = &a.collector {
        return Ok(Scope::Collector(c.clone()));
    }
    if (a.site.is_some() || a.name.is_some()) && cfg.inventory.is_none() {
        bail!("--site and --name match the inventory's; set inventory: to a CSV that names the exporters");
    }
    let exporter = match &a.exporter {
        Some(x) => Some(Exporters::parse(x).with_context(|| {
            format!("--exporter: `{x}` is not an address, a network (10.1.0.0/24) or an exporter's name")
        })?),
        None => None,
    };
    Ok(Scope::Keys(Ignore {
        exporter,
        site: a.site.clone(),
        name: a.name.as_deref().map(wildmatch::WildMatch::new),
        ..Ignore::default()
    }))
}

fn add(cfg: &Config, db: &Path, scope: Scope, (from, to): (i64, i64), reason: &str) -> Result<i32> {
    let store = Store::open(db)?;
    warn_if_empty(cfg, &store, &scope)?;
    let w = Window {
        id: None,
        scope,
        from,
        to,
        reason: reason.to_owned(),
        who: who(),
    };
    let id = store.add_window(&w, now())?;
    say(&format!(
        "added window {id}: {} from {} to {} ({})",
        w.scope.text(),
        rfc3339(from),
        rfc3339(to),
        w.reason
    ))
}

/// A window that covers nothing now is most likely a typo: say what it could
/// have meant (it is kept: it covers keys that appear later).
fn warn_if_empty(cfg: &Config, store: &Store, scope: &Scope) -> Result<()> {
    if let Scope::Collector(c) = scope {
        if !cfg.collectors.iter().any(|k| &k.name == c) {
            let names: Vec<&str> = cfg.collectors.iter().map(|k| k.name.as_str()).collect();
            log::warn!(
                "no collector `{c}` is configured; collectors: {}",
                names.join(", ")
            );
        }
        return Ok(());
    }
    let names = store.collector_names()?;
    let keys = store.keys()?;
    let inv = &cfg.exporters;
    let covered = keys.iter().any(|(_, k)| {
        let entry = inv.lookup(&k.key.exporter, &k.key.interface);
        let owner = k.owner.and_then(|o| names.get(&o)).map(String::as_str);
        scope.covers_key(&k.key.exporter, &k.key.interface, entry, owner)
    });
    if covered || keys.is_empty() {
        return Ok(());
    }
    let mut sites: Vec<&str> = inv
        .entries
        .iter()
        .filter_map(|e| e.site.as_deref())
        .collect();
    let mut known: Vec<&str> = inv
        .entries
        .iter()
        .filter_map(|e| e.name.as_deref())
        .collect();
    sites.sort_unstable();
    sites.dedup();
    known.sort_unstable();
    known.dedup();
    log::warn!(
        "`{}` matches no key now (the window is kept and covers any that appear); sites: {}; names: {}",
        scope.text(),
        if sites.is_empty() { "none".into() } else { sites.join(", ") },
        if known.is_empty() { "none".into() } else { known.join(", ") }
    );
    Ok(())
}

/// The windows not yet ended (all with `all`), and each config window's
/// current or next occurrence.
pub fn list(cfg: &Config, store: &Store, all: bool, now: i64) -> Result<Report> {
    let from = if all { i64::MIN } else { now };
    let mut rows: Vec<Vec<Value>> = store
        .windows(from, i64::MAX)?
        .into_iter()
        .map(|w| row(w.id.map_or(String::new(), |i| i.to_string()), &w))
        .collect();
    for (i, r) in cfg.maintenance.iter().enumerate() {
        if let Some(w) = r.occurrences(now, now + 400 * 86_400).into_iter().next() {
            rows.push(row(format!("config[{i}]"), &w));
        }
    }
    Ok(Report {
        columns: vec!["id", "match", "from", "to", "reason", "who"],
        rows,
        note: vec![],
    })
}

fn row(id: String, w: &Window) -> Vec<Value> {
    vec![
        Value::Text(id),
        Value::text(w.scope.text()),
        Value::Time(Some(w.from)),
        Value::Time(Some(w.to)),
        Value::text(&w.reason),
        Value::text(&w.who),
    ]
}
