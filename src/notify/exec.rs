//! `type: exec`: runs a command with the JSON event (one line) on stdin.

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use super::{Base, Sink};
use crate::config::Dur;

pub struct Exec {
    base: Base,
    command: Vec<String>,
    timeout: Dur,
}

impl Exec {
    pub fn new(base: Base, command: Vec<String>, timeout: Dur) -> Exec {
        Exec {
            base,
            command,
            timeout,
        }
    }
}

impl Sink for Exec {
    fn name(&self) -> &str {
        &self.base.name
    }

    fn wants(&self, kind: &str) -> bool {
        self.base.wants(kind)
    }

    fn send(&self, _kind: &str, _summary: &str, payload: &str) -> Result<()> {
        let program = &self.command[0];
        let mut child = Command::new(program)
            .args(&self.command[1..])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .with_context(|| format!("cannot run {program}"))?;
        if let Some(mut stdin) = child.stdin.take() {
            // A command that does not read its input is its own business.
            let _ = stdin.write_all(format!("{payload}\n").as_bytes());
        }
        let deadline = Instant::now() + self.timeout.std();
        let status = loop {
            if let Some(s) = child.try_wait()? {
                break s;
            }
            if Instant::now() > deadline {
                child.kill().ok();
                child.wait().ok();
                bail!("{program} did not finish within {} (timeout)", self.timeout);
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        if !status.success() {
            let mut err = String::new();
            if let Some(mut e) = child.stderr.take() {
                let _ = e.read_to_string(&mut err);
            }
            let first = err.lines().next().unwrap_or("").trim();
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
