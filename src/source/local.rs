//! A `local:` collector: a file on this machine.

use std::fs::File;
use std::io;
use std::path::Path;
use std::time::UNIX_EPOCH;

use super::{read_consistent, FetchError, Fetched, Stamp};
use crate::config::ByteSize;
use crate::stats::Columns;

fn describe(path: &Path, e: &io::Error) -> String {
    let p = path.display();
    match e.kind() {
        io::ErrorKind::NotFound => format!("no such file {p}"),
        io::ErrorKind::PermissionDenied => format!("permission denied reading {p}"),
        _ => format!("cannot read {p}: {e}"),
    }
}

fn stamp(path: &Path) -> Result<Stamp, FetchError> {
    let meta = std::fs::metadata(path).map_err(|e| FetchError::new(describe(path, &e)))?;
    let mtime = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map(|d| d.as_nanos() as i64);
    Ok((Some(meta.len()), mtime))
}

pub fn fetch(path: &Path, max: ByteSize, cols: &Columns) -> Result<Fetched, FetchError> {
    read_consistent(
        || stamp(path),
        || File::open(path).map_err(|e| FetchError::new(describe(path, &e))),
        max,
        cols,
        |e| describe(path, e),
    )
}
