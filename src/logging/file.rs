//! The persistent log file: one line per record with an RFC 3339 timestamp,
//! rotated by size (`max_size`), keeping `keep` old files (`.1` newest).

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::Mutex;

use anyhow::{Context, Result};
use log::Record;

use super::{warn_once, Sink};

pub struct RotatingFile {
    path: PathBuf,
    max_size: u64,
    keep: u32,
    state: Mutex<Option<(File, u64)>>,
    failed: AtomicBool,
}

fn open(path: &Path) -> std::io::Result<(File, u64)> {
    let f = OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o640)
        // A symlink is refused (ELOOP): the log cannot be pointed elsewhere.
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)?;
    let len = f.metadata()?.len();
    Ok((f, len))
}

/// `fcstats.log` → `fcstats.log.N`.
fn numbered(path: &Path, n: u32) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(format!(".{n}"));
    PathBuf::from(s)
}

impl RotatingFile {
    /// Opens (creating it and its folder, mode 0640) for appending.
    pub fn open(path: &Path, max_size: u64, keep: u32) -> Result<RotatingFile> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("log.file: cannot create {}", dir.display()))?;
        }
        let state = open(path).map_err(|e| {
            let why = if e.raw_os_error() == Some(libc::ELOOP) {
                "it is a symbolic link: refused, so that the log cannot be pointed at another file"
                    .to_owned()
            } else {
                e.to_string()
            };
            anyhow::anyhow!("log.file: cannot open {}: {why}", path.display())
        })?;
        Ok(RotatingFile {
            path: path.to_path_buf(),
            max_size,
            keep,
            state: Mutex::new(Some(state)),
            failed: AtomicBool::new(false),
        })
    }

    /// `.N-1` → `.N` ... the file → `.1`; the oldest beyond `keep` goes.
    fn rotate(&self) -> std::io::Result<(File, u64)> {
        if self.keep == 0 {
            std::fs::remove_file(&self.path).ok();
        } else {
            std::fs::remove_file(numbered(&self.path, self.keep)).ok();
            for n in (1..self.keep).rev() {
                let from = numbered(&self.path, n);
                if from.exists() {
                    std::fs::rename(&from, numbered(&self.path, n + 1))?;
                }
            }
            std::fs::rename(&self.path, numbered(&self.path, 1))?;
        }
        open(&self.path)
    }

    fn append(&self, line: &[u8]) -> std::io::Result<()> {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if state.is_none() {
            *state = Some(open(&self.path)?);
        }
        let (_, len) = state.as_ref().expect("opened above");
        if *len > 0 && len + line.len() as u64 > self.max_size {
            *state = None;
            *state = Some(self.rotate()?);
        }
        let (file, len) = state.as_mut().expect("opened above");
        file.write_all(line)?;
        *len += line.len() as u64;
        Ok(())
    }
}

impl Sink for RotatingFile {
    fn write(&self, r: &Record) {
        let line = format!(
            "{} {} {}\n",
            chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ"),
            r.level(),
            r.args()
        );
        if let Err(e) = self.append(line.as_bytes()) {
            warn_once(&self.failed, || {
                format!("cannot write the log file {}: {e}", self.path.display())
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(f: &RotatingFile, msg: &str) {
        f.write(
            &Record::builder()
                .args(format_args!("{msg}"))
                .level(log::Level::Info)
                .build(),
        );
    }

    #[test]
    fn rotates_at_max_size_and_keeps_keep_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("logs/fcstats.log");
        let f = RotatingFile::open(&path, 100, 2).unwrap();
        // Each line is 20 + 5 + 40 + 1 = 66 bytes: one per file.
        for i in 0..5 {
            record(&f, &format!("{i:0>40}"));
        }
        let read = |p: &Path| std::fs::read_to_string(p).unwrap();
        assert!(read(&path).ends_with(&format!(" INFO {:0>40}\n", 4)));
        assert!(read(&numbered(&path, 1)).ends_with(&format!(" INFO {:0>40}\n", 3)));
        assert!(read(&numbered(&path, 2)).ends_with(&format!(" INFO {:0>40}\n", 2)));
        assert!(!numbered(&path, 3).exists());
        assert_eq!(read(&path).lines().count(), 1);
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode & !0o640, 0, "mode {mode:o}");
    }

    #[test]
    fn lines_carry_an_rfc3339_timestamp_and_the_level() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.log");
        let f = RotatingFile::open(&path, 1 << 20, 5).unwrap();
        f.write(
            &Record::builder()
                .args(format_args!("down: exporter=10.0.0.1"))
                .level(log::Level::Warn)
                .build(),
        );
        let text = std::fs::read_to_string(&path).unwrap();
        let (ts, rest) = text.split_once(' ').unwrap();
        assert!(chrono::DateTime::parse_from_rfc3339(ts).is_ok(), "{ts}");
        assert_eq!(rest, "WARN down: exporter=10.0.0.1\n");
    }
}
