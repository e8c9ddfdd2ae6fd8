//! `fcstats metrics`, and `metrics: {textfile:}` after every poll (SPEC §11):
//! the database's state in the Prometheus text format.

use std::io::Write;
use std::path::Path;

use anyhow::{bail, Context, Result};

use crate::config::Config;
use crate::exit;
use crate::metrics::{render, KeyMetric, Snapshot};
use crate::store::Store;

/// The metrics text of the database as it is now.
pub fn text(cfg: &Config, store: &Store) -> Result<String> {
    let sel = super::report::Select::all(&cfg.exporters);
    let mut keys = store.keys()?;
    keys.sort_by(|a, b| a.1.key.cmp(&b.1.key));
    let labels: Vec<[String; 2]> = keys
        .iter()
        .map(|(_, k)| sel.labels(&k.key).map(|v| v.machine()))
        .collect();
    let health = store.collectors()?;
    let last = store.last_poll_row()?;
    let snapshot = Snapshot {
        keys: keys
            .iter()
            .zip(&labels)
            .filter(|((_, k), _)| sel.accepts(&k.key))
            .map(|((_, k), [name, site])| KeyMetric {
                exporter: &k.key.exporter,
                interface: &k.key.interface,
                name,
                site,
                status: k.status,
                bps: k.bps,
            })
            .collect(),
        collectors: cfg
            .collectors
            .iter()
            .filter_map(|c| {
                let h = health.iter().find(|h| h.name == c.name)?;
                Some((c.name.as_str(), h.ok))
            })
            .collect(),
        last_poll: last.as_ref().map(|p| p.at),
        poll_duration: last
            .and_then(|p| p.duration_ms)
            .map(|ms| ms as f64 / 1000.0),
        alerts_pending: store.alerts_pending()?,
    };
    Ok(render(&snapshot))
}

/// `fcstats metrics`: the text on stdout.
pub fn run(cfg: &Config, db: &Path) -> Result<i32> {
    let store = Store::open_existing(db)?;
    std::io::stdout().write_all(text(cfg, &store)?.as_bytes())?;
    Ok(exit::OK)
}

/// Writes the text to `path` atomically (a temp file beside it, renamed),
/// readable by others (0644: node_exporter runs as its own user; the text
/// holds no secret). A symlink at `path` is refused.
pub fn write_textfile(cfg: &Config, store: &Store, path: &Path) -> Result<()> {
    if path
        .symlink_metadata()
        .is_ok_and(|m| m.file_type().is_symlink())
    {
        bail!(
            "{} is a symlink: refused (name the file itself)",
            path.display()
        );
    }
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path.file_name().context("metrics.textfile names no file")?;
    let tmp = dir.join(format!(
        ".{}.tmp-{}",
        name.to_string_lossy(),
        std::process::id()
    ));
    let write = || -> Result<()> {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o644)
            .open(&tmp)?;
        // Whatever the umask.
        f.set_permissions(std::fs::Permissions::from_mode(0o644))?;
        f.write_all(text(cfg, store)?.as_bytes())?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)?;
        Ok(())
    };
    write()
        .inspect_err(|_| {
            std::fs::remove_file(&tmp).ok();
        })
        .with_context(|| format!("writing {}", path.display()))
}
