//! `fcstats poll --every DUR`: a poll now, then one on every boundary of DUR
//! (aligned to the clock, so the schedule never drifts), one at a time, until
//! SIGTERM or SIGINT arrives between polls.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::{bail, Result};

use crate::config::{Config, Dur};
use crate::exit;
use crate::store::lock::LockHeld;
use crate::time::{now, rfc3339};

static STOP: AtomicBool = AtomicBool::new(false);

/// The first boundary of `every` after `t` (boundaries are multiples of
/// `every` since the epoch, so 5m polls land on :00, :05, ...).
pub fn next_slot(t: i64, every: i64) -> i64 {
    (t.div_euclid(every) + 1) * every
}

/// Sleeps until `t`, waking to check for a stop; false when told to stop.
fn sleep_until(t: i64) -> bool {
    while now() < t {
        if STOP.load(Ordering::SeqCst) {
            return false;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    !STOP.load(Ordering::SeqCst)
}

pub fn run(cfg: &Config, db: &Path, every: Dur) -> Result<i32> {
    if every.secs() == 0 {
        bail!("--every 0s: give a duration like 5m");
    }
    for sig in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT] {
        signal_hook::flag::register(sig, &STOP)?;
    }
    let every = every.secs() as i64;
    log::info!(
        "polling every {} until SIGTERM or SIGINT",
        Dur(every as u64)
    );
    loop {
        match super::poll::run(cfg, db, None) {
            Ok(_) => {}
            Err(e) if e.downcast_ref::<LockHeld>().is_some() => log::warn!("{e}"),
            Err(e) => log::error!("{e:#}"),
        }
        let next = next_slot(now(), every);
        log::debug!("next poll at {}", rfc3339(next));
        if !sleep_until(next) {
            log::info!("stopping: signal received");
            return Ok(exit::OK);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_aligned_to_the_interval() {
        assert_eq!(next_slot(1_000, 300), 1_200);
        assert_eq!(next_slot(1_200, 300), 1_500);
        assert_eq!(next_slot(1_199, 300), 1_200);
        assert_eq!(next_slot(-1, 300), 0);
    }
}
