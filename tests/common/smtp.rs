//! A real SMTP receiver (Python's aiosmtpd), for the email sink.

use std::fs;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use super::{quiet, start_listening, Killed, Workdir};

/// A real SMTP receiver (Python's aiosmtpd) on loopback, storing each mail in
/// a Maildir. Killed on drop.
pub struct Smtp {
    _child: Killed,
    pub port: u16,
    maildir: PathBuf,
}

impl Smtp {
    pub fn start(w: &Workdir) -> Smtp {
        let maildir = w.path("maildir");
        let what = "aiosmtpd (is it installed? pip install aiosmtpd; .ci/run does)";
        let (child, port) = start_listening(what, Duration::from_secs(10), |port| {
            quiet(
                Command::new("python3")
                    .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}")])
                    .args(["-c", "aiosmtpd.handlers.Mailbox"])
                    .arg(&maildir),
            )
        });
        Smtp {
            _child: Killed(child),
            port,
            maildir,
        }
    }

    /// Every mail received so far, waiting up to 5 s for at least `n`.
    pub fn mails(&self, n: usize) -> Vec<String> {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let mut mails: Vec<String> = fs::read_dir(self.maildir.join("new"))
                .map(|d| {
                    d.filter_map(|e| fs::read_to_string(e.ok()?.path()).ok())
                        .collect()
                })
                .unwrap_or_default();
            mails.sort();
            if mails.len() >= n || Instant::now() > deadline {
                return mails;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}
