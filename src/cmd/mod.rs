//! One file per subcommand. Each returns the process exit code for a run that
//! did its job, or an error (exit 1, or 75 for `LockHeld`).

pub mod alerts;
pub mod check;
pub mod config_check;
pub mod db;
pub mod demo;
pub mod docs;
pub mod import;
pub mod maintenance;
pub mod metrics;
pub mod page;
pub mod poll;
pub mod report;
pub mod schedule;

use std::path::{Path, PathBuf};

use anyhow::Result;

use crate::config::{self, Config};

/// Loads the config named on the command line (or found on the search path),
/// saying its warnings once on stderr.
pub fn load_config(explicit: Option<&Path>) -> Result<Config> {
    let path = config::locate(explicit)?;
    let cfg = config::load(&path)?;
    for w in &cfg.warnings {
        log::warn!("{w}");
    }
    Ok(cfg)
}

/// `--db` or the config's `database:`, absolute.
pub fn database(explicit: Option<&Path>, cfg: &Config) -> PathBuf {
    match explicit {
        Some(p) => std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf()),
        None => cfg.database.clone(),
    }
}
