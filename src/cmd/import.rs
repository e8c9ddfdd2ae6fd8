//! `fcstats import legacy-csv FILE [--tz ZONE]`: the old tool's history into
//! the database, before fcstats's own (SPEC §9). Takes the poll lock.

use std::path::Path;

use anyhow::{bail, Context, Result};

use crate::config::Config;
use crate::exit;
use crate::legacy_csv::{self, Zone};
use crate::output::plural;
use crate::state::EventKind;
use crate::store::{lock, Store};
use crate::time::rfc3339;

pub fn legacy_csv(cfg: &Config, db: &Path, file: &Path, tz: Option<chrono_tz::Tz>) -> Result<i32> {
    if let Some(col) = &cfg.columns.interface {
        bail!(
            "the old tool counted exporters, not interfaces; with `columns.interface: {col}` \
             its history has no key to go to (import into a database without an interface column)"
        );
    }
    let zone = tz.map_or(Zone::Local, Zone::Named);
    let what = file.display().to_string();
    let text = std::fs::File::open(file).with_context(|| format!("cannot open {what}"))?;
    let mut changes = legacy_csv::parse(std::io::BufReader::new(text), &what, zone)?;
    let _lock = lock::acquire(db)?;
    let mut store = Store::open(db)?;
    let bounds = store.import_bounds()?;
    let read = changes.len();
    let mut refused: Vec<(usize, String)> = Vec::new();
    changes.retain(|c| match bounds.refuses(c.at) {
        Some(why) => {
            refused.push((c.line, why));
            false
        }
        None => true,
    });
    if let Some((line, why)) = refused.first() {
        log::warn!(
            "{what}: {} of {read} row{} refused, from line {line}: {why}",
            refused.len(),
            plural(read)
        );
    }
    let (Some(first), Some(last)) = (
        changes.iter().map(|c| c.at).min(),
        changes.iter().map(|c| c.at).max(),
    ) else {
        bail!(
            "{what}: nothing to import ({read} change row{} read)",
            plural(read)
        );
    };
    let plans = legacy_csv::plan(&changes, first);
    store.import_history(
        &what,
        &plans,
        (first, last),
        changes.len(),
        crate::time::now(),
    )?;
    let count = |k: EventKind| {
        plans
            .iter()
            .flat_map(|p| &p.events)
            .filter(|e| e.kind == k)
            .count()
    };
    let (downs, ups) = (count(EventKind::Down), count(EventKind::Up));
    use std::io::Write;
    writeln!(
        std::io::stdout(),
        "imported {} row{} of {what} (times read in {}): {} exporter{}, {downs} down{}, {ups} up{}, \
         from {} to {}; that span counts as observed up to fcstats's first poll",
        changes.len(),
        plural(changes.len()),
        zone.name(),
        plans.len(),
        plural(plans.len()),
        plural(downs),
        plural(ups),
        rfc3339(first),
        rfc3339(last),
    )?;
    Ok(exit::OK)
}
