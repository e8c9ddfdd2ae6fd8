//! A lock file beside the database, so that two polls never interleave.

use std::fs::{File, OpenOptions, TryLockError};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// Another process holds the lock (exit code 75).
#[derive(Debug)]
pub struct LockHeld(pub PathBuf);

impl std::fmt::Display for LockHeld {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "another fcstats poll is running (it holds {}); this one stops without doing anything",
            self.0.display()
        )
    }
}

impl std::error::Error for LockHeld {}

/// Held until dropped; the OS releases it if the process dies.
pub struct PollLock {
    _file: File,
}

pub fn lock_path(db: &Path) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push(".lock");
    PathBuf::from(name)
}

/// Takes the lock at once or fails with `LockHeld`; never waits. Creates the
/// database's folder if it is missing.
pub fn acquire(db: &Path) -> Result<PollLock> {
    super::create_parent(db)?;
    let path = lock_path(db);
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW)
        .open(&path)
        .map_err(|e| {
            let hint = if e.raw_os_error() == Some(libc::ELOOP) {
                " (it is a symbolic link: refused, so that the lock cannot be pointed at \
                 another file; remove the link)"
                    .to_owned()
            } else if e.kind() == std::io::ErrorKind::PermissionDenied {
                let uid = std::fs::metadata("/proc/self").map_or(String::new(), |m| {
                    use std::os::unix::fs::MetadataExt;
                    format!(" {}", m.uid())
                });
                format!(
                    " (the database's folder must be writable by this user, uid{uid}: \
                     chown it, or run as its owner)"
                )
            } else {
                String::new()
            };
            anyhow::Error::new(e).context(format!(
                "cannot open the lock file {}{hint}",
                path.display()
            ))
        })?;
    match file.try_lock() {
        Ok(()) => Ok(PollLock { _file: file }),
        Err(TryLockError::WouldBlock) => Err(LockHeld(path).into()),
        Err(TryLockError::Error(e)) => {
            Err(e).with_context(|| format!("cannot lock {}", path.display()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_is_refused_until_the_first_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("x.db");
        let first = acquire(&db).unwrap();
        let err = acquire(&db).err().unwrap();
        assert!(err.downcast_ref::<LockHeld>().is_some(), "{err:#}");
        drop(first);
        assert!(acquire(&db).is_ok());
        assert!(dir.path().join("x.db.lock").exists());
    }
}
