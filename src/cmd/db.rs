//! `fcstats db undo --after TIME`: the way back from a poll recorded with a
//! wrong clock (SPEC §3). Takes the poll lock, so no poll runs meanwhile.

use std::path::Path;

use anyhow::Result;

use crate::exit;
use crate::output::plural;
use crate::store::{lock, Store};
use crate::time::rfc3339;

pub fn undo(db: &Path, after: i64) -> Result<i32> {
    let _lock = lock::acquire(db)?;
    let mut store = Store::open_existing(db)?;
    let u = store.undo_after(after)?;
    log::info!(
        "undone after {}: {} poll{} and {} event{} removed; {} key{} put back as {} left them, \
         {} first seen later removed; {} unsent alert{} removed",
        rfc3339(after),
        u.polls,
        plural(u.polls),
        u.events,
        plural(u.events),
        u.keys_restored,
        plural(u.keys_restored),
        rfc3339(after),
        u.keys_removed,
        u.alerts,
        plural(u.alerts),
    );
    Ok(exit::OK)
}
