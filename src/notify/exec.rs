//! `type: exec`: runs a command with the JSON event (one line) on stdin.
//!
//! The sink's `timeout` covers the whole delivery (SPEC §8): the payload is
//! written and stderr is read on threads of their own, so a command that does
//! not read its input, or whose background child holds stderr open, never
//! holds the poll; the command runs in a process group of its own, killed as
//! a group at the timeout (no orphans left behind).

use std::io::{Read, Write};
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};

use super::{Shared, Sink, SinkConfig, SinkType};
use crate::config::{Config, Dur};

pub const TYPE: SinkType = SinkType {
    name: "exec",
    read: super::read::<ExecConfig>,
};

/// `type: exec`'s keys.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ExecConfig {
    command: Vec<String>,
}

impl SinkConfig for ExecConfig {
    fn check(&self) -> Result<()> {
        if self.command.is_empty() {
            bail!("command: give the program and its arguments, like [/usr/local/bin/page-noc, --team, netops]");
        }
        Ok(())
    }

    fn default_timeout(&self) -> Dur {
        Dur(30)
    }

    fn build(&self, base: Shared, _cfg: &Config) -> Box<dyn Sink> {
        let timeout = base.timeout;
        Box::new(Exec {
            base,
            command: self.command.clone(),
            timeout,
        })
    }
}

/// How much of a failing command's stderr is kept (its first line is shown).
const STDERR_KEPT: usize = 4096;
/// How long a failed command's stderr is waited for, within the timeout.
const STDERR_WAIT: Duration = Duration::from_secs(1);

pub struct Exec {
    base: Shared,
    command: Vec<String>,
    timeout: Dur,
}

/// The start of a child's stderr, read to its end on a thread of its own (so
/// that a command writing a lot never blocks on a full pipe).
struct Stderr {
    kept: Arc<Mutex<Vec<u8>>>,
    ended: Arc<AtomicBool>,
}

impl Stderr {
    fn drain(mut from: impl Read + Send + 'static) -> Stderr {
        let kept = Arc::new(Mutex::new(Vec::new()));
        let ended = Arc::new(AtomicBool::new(false));
        let (k, e) = (kept.clone(), ended.clone());
        std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            while let Ok(n @ 1..) = from.read(&mut buf) {
                let mut kept = k.lock().expect("stderr buffer");
                let room = STDERR_KEPT.saturating_sub(kept.len());
                kept.extend_from_slice(&buf[..n.min(room)]);
            }
            e.store(true, Ordering::Release);
        });
        Stderr { kept, ended }
    }

    /// The first line, once stderr ended or `until`.
    fn first_line(&self, until: Instant) -> String {
        while !self.ended.load(Ordering::Acquire) && Instant::now() < until {
            std::thread::sleep(Duration::from_millis(10));
        }
        let kept = self.kept.lock().expect("stderr buffer");
        String::from_utf8_lossy(&kept)
            .lines()
            .next()
            .unwrap_or("")
            .trim()
            .to_owned()
    }
}

/// SIGKILL to every process of the group `pgid`.
fn kill_group(pgid: u32) {
    let Ok(pgid) = i32::try_from(pgid) else {
        return;
    };
    // SAFETY: kill(2) takes plain integers and touches no memory of ours.
    unsafe {
        libc::kill(-pgid, libc::SIGKILL);
    }
}

impl Sink for Exec {
    fn shared(&self) -> &Shared {
        &self.base
    }

    fn send(&self, alert: &super::Alert) -> Result<()> {
        let payload = &alert.to_json();
        let program = &self.command[0];
        let deadline = Instant::now() + self.timeout.std();
        let mut child = Command::new(program)
            .args(&self.command[1..])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .process_group(0)
            .spawn()
            .with_context(|| format!("cannot run {program}"))?;
        if let Some(mut stdin) = child.stdin.take() {
            // A command that does not read its input is its own business: the
            // write ends when the pipe does.
            let line = format!("{payload}\n");
            std::thread::spawn(move || stdin.write_all(line.as_bytes()));
        }
        let stderr = child.stderr.take().map(Stderr::drain);
        let status = loop {
            if let Some(s) = child.try_wait()? {
                break s;
            }
            if Instant::now() > deadline {
                kill_group(child.id());
                child.wait().ok();
                bail!(
                    "{program} did not finish within {} (timeout); it and its children were killed",
                    self.timeout
                );
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        if !status.success() {
            let until = deadline.min(Instant::now() + STDERR_WAIT);
            let first = stderr.map(|e| e.first_line(until)).unwrap_or_default();
            bail!(
                "{program} failed ({status}){}",
                if first.is_empty() {
                    String::new()
                } else {
                    format!(": {first}")
                }
            );
        }
        Ok(())
    }
}
