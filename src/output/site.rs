//! A folder of static pages, replaced atomically (SPEC §12): `DIR` is a
//! symlink to one of two folders beside it, `.NAME.a` and `.NAME.b`. The
//! pages are written into the one not served, then a new symlink is renamed
//! over `DIR`: a web server sees the old pages or the new, never a mix, and
//! never a missing `DIR`.
//!
//! Writing over the files of the folder served two rounds ago, instead of a
//! new folder each time, keeps their inodes: deleting 10,000 files and making
//! 10,000 new ones each poll made ext4 scan its recently deleted inodes on
//! every create, seconds of system time per poll (BENCHMARKS.md, "Pages").

use std::collections::HashSet;
use std::fs::{self, OpenOptions, Permissions};
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

pub struct Site {
    dir: PathBuf,
    parent: PathBuf,
    /// The folder being written: the one `dir` does not point to.
    next: String,
}

impl Site {
    /// Prepares the folder not served (made if missing, mode 0755).
    pub fn open(dir: &Path) -> Result<Site> {
        let parent = dir
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
            .to_path_buf();
        let name = dir
            .file_name()
            .context("the page folder has no name")?
            .to_string_lossy()
            .into_owned();
        let a = format!(".{name}.a");
        let live = fs::read_link(dir).ok();
        let next = if live.is_some_and(|l| l == Path::new(&a)) {
            format!(".{name}.b")
        } else {
            a
        };
        let site = Site {
            dir: dir.to_path_buf(),
            parent,
            next,
        };
        site.folder(Path::new("")).with_context(|| {
            format!(
                "{} must be a folder this user can write: the pages go to {} beside {}",
                site.parent.display(),
                site.next,
                dir.display()
            )
        })?;
        Ok(site)
    }

    fn path(&self, rel: &Path) -> PathBuf {
        let folder = self.parent.join(&self.next);
        if rel.as_os_str().is_empty() {
            folder
        } else {
            folder.join(rel)
        }
    }

    /// Makes a folder (and its parents) in the folder being written, 0755
    /// whatever the umask (a web server runs as another user).
    pub fn folder(&self, rel: &Path) -> Result<()> {
        let path = self.path(rel);
        fs::create_dir_all(&path).with_context(|| format!("making {}", path.display()))?;
        fs::set_permissions(&path, Permissions::from_mode(0o755))
            .with_context(|| format!("making {} readable", path.display()))
    }

    /// Writes a file (over the one there, keeping its inode), 0644.
    pub fn put(&self, rel: &Path, text: &str) -> Result<()> {
        let path = self.path(rel);
        let write = || -> std::io::Result<()> {
            // Not truncated to 0 first: ext4 starts writing back a file
            // truncated to 0 and rewritten when it is closed.
            let mut f = OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(false)
                .open(&path)?;
            f.set_permissions(Permissions::from_mode(0o644))?;
            f.write_all(text.as_bytes())?;
            f.set_len(text.len() as u64)
        };
        write().with_context(|| format!("writing {}", path.display()))
    }

    /// Removes the files of a folder that are not in `keep` (pages of keys
    /// gone since this folder was last written).
    pub fn keep_only(&self, rel: &Path, keep: &HashSet<String>) -> Result<()> {
        let path = self.path(rel);
        for entry in fs::read_dir(&path).with_context(|| format!("reading {}", path.display()))? {
            let entry = entry?;
            if !keep.contains(entry.file_name().to_string_lossy().as_ref()) {
                fs::remove_file(entry.path())
                    .with_context(|| format!("removing {}", entry.path().display()))?;
            }
        }
        Ok(())
    }

    /// Points `dir` at the folder written: a new symlink renamed over it. A
    /// `dir` that is a real folder (an older fcstats wrote it so) is moved
    /// aside first and removed.
    pub fn publish(self) -> Result<()> {
        let pid = std::process::id();
        let link = self.parent.join(format!(".{}.link-{pid}", self.next));
        fs::remove_file(&link).ok();
        std::os::unix::fs::symlink(&self.next, &link)
            .with_context(|| format!("making the symlink {}", link.display()))?;
        let folder = fs::symlink_metadata(&self.dir).is_ok_and(|m| m.is_dir());
        let old = self.parent.join(format!(".{}.old-{pid}", self.next));
        if folder {
            fs::rename(&self.dir, &old)
                .with_context(|| format!("moving {} aside", self.dir.display()))?;
        }
        fs::rename(&link, &self.dir)
            .with_context(|| format!("pointing {} at {}", self.dir.display(), self.next))?;
        if folder {
            fs::remove_dir_all(&old).ok();
        }
        Ok(())
    }
}
