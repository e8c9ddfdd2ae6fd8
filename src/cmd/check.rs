//! `fcstats check`: a Nagios/Icinga plugin over the database (SPEC §11). It
//! never polls. Every failure, from the config to the arguments, is UNKNOWN
//! (exit 3) with its reason on the first line, as plugins do.

use std::io::Write;
use std::path::Path;

use anyhow::Result;

use crate::check::{verdict, Counts, Range, State};
use crate::cli::KeyArgs;
use crate::config::Dur;
use crate::model::Status;
use crate::store::Store;
use crate::time::{now, rfc3339};

/// The plugin's flags as given (parsed here, so that a bad one is UNKNOWN).
pub struct Args<'a> {
    pub config: Option<&'a Path>,
    pub db: Option<&'a Path>,
    pub warning: Option<&'a str>,
    pub critical: Option<&'a str>,
    pub unknown_after: Option<&'a str>,
    pub keys: &'a KeyArgs,
}

/// Prints the plugin's output; returns its exit code.
pub fn run(a: &Args) -> Result<i32> {
    let (state, text) = match judge(a) {
        Ok(v) => v,
        Err(e) => (
            State::Unknown,
            format!(
                "FCSTATS UNKNOWN - {}\n",
                format!("{e:#}").replace('\n', " ")
            ),
        ),
    };
    std::io::stdout().write_all(text.as_bytes())?;
    Ok(state as i32)
}

fn judge(a: &Args) -> Result<(State, String)> {
    let cfg = super::load_config(a.config)?;
    let warning =
        Range::parse(a.warning.unwrap_or("0")).map_err(|e| anyhow::anyhow!("--warning: {e}"))?;
    let critical =
        Range::parse(a.critical.unwrap_or("0")).map_err(|e| anyhow::anyhow!("--critical: {e}"))?;
    let unknown_after = match a.unknown_after {
        Some(d) => Dur::parse(d).map_err(|e| anyhow::anyhow!("--unknown-after: {e}"))?,
        None => cfg.max_gap,
    };
    let sel = super::report::Select::new(&cfg.exporters, a.keys)?;
    let store = Store::open_existing(&super::database(a.db, &cfg))?;
    let counts = count(&store, &cfg, &sel, now())?;
    Ok(verdict(
        &counts,
        &warning,
        &critical,
        unknown_after.secs() as i64,
    ))
}

fn count(
    store: &Store,
    cfg: &crate::config::Config,
    sel: &super::report::Select,
    now: i64,
) -> Result<Counts> {
    let names = store.collector_names()?;
    let windows: Vec<_> = super::report::windows(store, cfg, now, now + 1)?
        .into_iter()
        .filter(|w| w.contains(now))
        .collect();
    let mut c = Counts {
        last_poll_age: store.last_poll()?.map(|t| (now - t).max(0)),
        collectors_failed: store
            .collectors()?
            .iter()
            .filter(|h| !h.ok && cfg.collectors.iter().any(|k| k.name == h.name))
            .count(),
        ..Counts::default()
    };
    let mut keys = store.keys()?;
    keys.sort_by(|a, b| a.1.key.cmp(&b.1.key));
    for (_, k) in keys.iter().filter(|(_, k)| sel.accepts(&k.key)) {
        let owner = k.owner.and_then(|o| names.get(&o)).map(String::as_str);
        match k.status {
            Status::Up => c.up += 1,
            Status::UnknownDown | Status::UnknownUp => c.unknown += 1,
            Status::Down if windows.iter().any(|w| sel.in_window(w, &k.key, owner)) => {
                c.maintenance += 1
            }
            Status::Down => {
                c.down += 1;
                let [name, site] = sel.labels(&k.key).map(|v| v.machine());
                let mut line = format!(
                    "{} {} down since {}",
                    k.key.exporter,
                    k.key.interface_shown(),
                    rfc3339(k.since)
                );
                let owner = owner.unwrap_or_default().to_owned();
                for (label, v) in [("collector", owner), ("name", name), ("site", site)] {
                    if !v.is_empty() {
                        line.push_str(&format!(" {label}=\"{v}\""));
                    }
                }
                c.lines
                    .push(crate::output::escape_controls(&line).into_owned());
            }
            Status::Unseen | Status::Inactive | Status::Retired => {}
        }
    }
    Ok(c)
}
