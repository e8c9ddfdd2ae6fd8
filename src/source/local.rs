//! A `local:` collector: a file on this machine.

use std::fs::File;
use std::io;
use std::path::Path;
use std::time::UNIX_EPOCH;

use super::{read_rows, too_large, FetchError, Fetched};
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

pub fn fetch(path: &Path, max: ByteSize, cols: &Columns) -> Result<Fetched, FetchError> {
    let file = File::open(path).map_err(|e| FetchError::new(describe(path, &e)))?;
    let meta = file
        .metadata()
        .map_err(|e| FetchError::new(describe(path, &e)))?;
    if meta.len() > max.0 {
        return Err(too_large(max));
    }
    let mtime = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map(|d| d.as_secs() as i64);
    let (rows, bytes) = read_rows(file, max, cols, |e| describe(path, e))?;
    Ok(Fetched { rows, mtime, bytes })
}
