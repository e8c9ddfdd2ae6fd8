//! Test harness: a per-test work dir that runs the real binary; real servers
//! (sshd in `sshd.rs`, rsyslogd, an SMTP receiver, a webhook receiver), each
//! killed on drop; test accounts in `account.rs`.
#![allow(dead_code, unused_imports)]

pub mod account;
pub mod netns;
mod sshd;

pub use sshd::*;

use std::fmt;
use std::fs;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The header of the real collector format (46 columns).
pub use fcstats::testdata::COLUMNS;

/// A stats file with one row per (exporter, bps).
pub fn stats_file(rows: &[(&str, u64)]) -> String {
    let mut out = COLUMNS.join("\t");
    out.push('\n');
    for (exporter, bps) in rows {
        // A down exporter sent once (a Last Active of 0 would be inactive).
        let last_active = if *bps > 0 {
            1_600_201_199
        } else {
            1_600_200_000
        };
        let mut fields: Vec<String> = vec![exporter.to_string(), last_active.to_string()];
        fields.extend((2..43).map(|_| "0".to_string()));
        fields.extend([bps.to_string(), (bps * 2).to_string(), bps.to_string()]);
        out.push_str(&fields.join("\t"));
        out.push('\n');
    }
    out
}

/// What a run of the binary gave.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
}

impl fmt::Display for Run {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "exit code {}\n--- stdout ---\n{}--- stderr ---\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

impl Run {
    /// Runs `cmd` to its end.
    pub fn of(cmd: &mut Command) -> Run {
        let started = Instant::now();
        let out = cmd.output().unwrap();
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            elapsed: started.elapsed(),
        }
    }

    /// Asserts the exit code, showing the whole run when it differs.
    pub fn expect_code(&self, code: i32) -> &Run {
        assert_eq!(self.code, code, "unexpected exit code:\n{self}");
        self
    }

    pub fn expect_stdout(&self, needle: &str) -> &Run {
        assert!(
            self.stdout.contains(needle),
            "stdout lacks {needle:?}:\n{self}"
        );
        self
    }

    pub fn expect_stderr(&self, needle: &str) -> &Run {
        assert!(
            self.stderr.contains(needle),
            "stderr lacks {needle:?}:\n{self}"
        );
        self
    }
}

/// A temp dir for one test; HOME points into it so nothing of the real
/// user's (keys, known_hosts, agent) leaks in.
pub struct Workdir {
    pub dir: tempfile::TempDir,
}

impl Workdir {
    pub fn new() -> Workdir {
        Workdir {
            dir: tempfile::Builder::new()
                .prefix("fcstats-test-")
                .tempdir()
                .unwrap(),
        }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn write(&self, name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let p = self.path(name);
        fs::write(&p, contents).unwrap();
        p
    }

    /// `program` in the work dir, with HOME there and none of the caller's
    /// fcstats, agent or terminal settings.
    pub fn command_of(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut cmd = Command::new(program);
        cmd.current_dir(self.dir.path())
            .env("HOME", self.dir.path())
            .env_remove("SSH_AUTH_SOCK")
            .env_remove("FCSTATS_CONFIG")
            .env_remove("FCSTATS_DB")
            .env_remove("RUST_LOG")
            .env_remove("COLUMNS")
            .stdin(Stdio::null());
        cmd
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = self.command_of(env!("CARGO_BIN_EXE_fcstats"));
        cmd.args(args);
        cmd
    }

    pub fn run(&self, args: &[&str]) -> Run {
        Run::of(&mut self.command(args))
    }

    /// Rewrites a file through `f`.
    pub fn edit(&self, name: &str, f: impl FnOnce(String) -> String) {
        let text = fs::read_to_string(self.path(name)).unwrap();
        self.write(name, f(text));
    }

    /// Generates an ed25519 key pair; returns the private key's path.
    pub fn keygen(&self, name: &str) -> PathBuf {
        self.keygen_type(name, "ed25519")
    }

    /// Generates a key pair of `kind` (ed25519, rsa) in OpenSSH's own format.
    pub fn keygen_type(&self, name: &str, kind: &str) -> PathBuf {
        let p = self.path(name);
        let ok = Command::new("ssh-keygen")
            .args(["-q", "-t", kind, "-N", "", "-C", name, "-f"])
            .arg(&p)
            .status()
            .unwrap()
            .success();
        assert!(ok, "ssh-keygen failed");
        p
    }

    pub fn db(&self) -> rusqlite::Connection {
        rusqlite::Connection::open(self.path("state.db")).unwrap()
    }

    /// One number from the database.
    pub fn query(&self, sql: &str) -> i64 {
        self.db().query_row(sql, [], |r| r.get(0)).unwrap()
    }

    /// Rows of strings from the database, columns joined by `|`.
    pub fn rows(&self, sql: &str) -> Vec<String> {
        let db = self.db();
        let mut stmt = db.prepare(sql).unwrap();
        let n = stmt.column_count();
        stmt.query_map([], |r| {
            Ok((0..n)
                .map(|i| match r.get_ref(i).unwrap() {
                    rusqlite::types::ValueRef::Null => "NULL".to_string(),
                    rusqlite::types::ValueRef::Integer(v) => v.to_string(),
                    rusqlite::types::ValueRef::Text(t) => String::from_utf8_lossy(t).into_owned(),
                    other => format!("{other:?}"),
                })
                .collect::<Vec<_>>()
                .join("|"))
        })
        .unwrap()
        .map(Result::unwrap)
        .collect()
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts a server that listens on a free loopback port: `spawn(port)` runs
/// it. Tried again on another port if it exits (the port was taken meanwhile);
/// returns once it accepts TCP on `port`.
fn start_listening(
    what: &str,
    wait: Duration,
    mut spawn: impl FnMut(u16) -> Child,
) -> (Child, u16) {
    for _ in 0..5 {
        let port = free_port();
        let mut child = spawn(port);
        let deadline = Instant::now() + wait;
        while Instant::now() < deadline {
            if child.try_wait().unwrap().is_some() {
                break;
            }
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return (child, port);
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        child.kill().ok();
        child.wait().ok();
    }
    panic!("{what} did not start");
}

fn quiet(cmd: &mut Command) -> Child {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

pub fn current_user() -> String {
    let out = Command::new("id").arg("-un").output().unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

pub fn is_root() -> bool {
    current_user() == "root"
}

/// A test that cannot run here (not root, a package missing) says so on
/// stderr and passes; with `FCSTATS_NO_SKIP` set (`.ci/run` sets it, being
/// root with every package installed) it fails instead, so that CI never
/// passes a test it did not run.
pub fn skip(why: &str) {
    assert!(
        std::env::var_os("FCSTATS_NO_SKIP").is_none(),
        "SKIPPED {why}, but FCSTATS_NO_SKIP is set"
    );
    eprintln!("SKIPPED {why}");
}

pub const RSYSLOGD: &str = "/usr/sbin/rsyslogd";

/// A real `rsyslogd -n` on loopback UDP and TCP ports, writing every message it
/// receives to `received.log` as `INPUT FACILITY SEVERITY APP MSG`. Killed on drop.
pub struct Rsyslog {
    child: Option<Child>,
    pub udp: u16,
    pub tcp: u16,
    out: PathBuf,
}

impl Rsyslog {
    pub fn start(w: &Workdir) -> Rsyslog {
        assert!(
            Path::new(RSYSLOGD).exists(),
            "{RSYSLOGD} is missing: install rsyslog (.ci/run does)"
        );
        let dir = w.path("rsyslog");
        fs::create_dir_all(&dir).unwrap();
        let out = dir.join("received.log");
        let udp = std::cell::Cell::new(0);
        let what = format!("rsyslogd (run `{RSYSLOGD} -n -f CONF` by hand to see why)");
        let (child, tcp) = start_listening(&what, Duration::from_secs(5), |tcp| {
            udp.set(free_port());
            let conf = w.write(
                "rsyslog/rsyslog.conf",
                format!(
                    "global(workDirectory=\"{d}\")\n\
                     module(load=\"imudp\")\nmodule(load=\"imtcp\")\n\
                     input(type=\"imudp\" address=\"127.0.0.1\" port=\"{u}\")\n\
                     input(type=\"imtcp\" address=\"127.0.0.1\" port=\"{tcp}\")\n\
                     template(name=\"t\" type=\"string\" string=\"%inputname% %syslogfacility-text% %syslogseverity-text% %app-name% %msg%\\n\")\n\
                     *.* action(type=\"omfile\" file=\"{o}\" template=\"t\")\n",
                    d = dir.display(),
                    u = udp.get(),
                    o = out.display()
                ),
            );
            quiet(
                Command::new(RSYSLOGD)
                    .args(["-n", "-f"])
                    .arg(&conf)
                    .arg("-i")
                    .arg(dir.join("rsyslogd.pid")),
            )
        });
        Rsyslog {
            child: Some(child),
            udp: udp.get(),
            tcp,
            out,
        }
    }

    /// The received lines once `pred` holds for them (5 s at most), white
    /// space folded (RFC 3164 messages keep the space after `fcstats[pid]:`).
    pub fn wait_for(&self, pred: impl Fn(&[String]) -> bool) -> Vec<String> {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let lines: Vec<String> = fs::read_to_string(&self.out)
                .unwrap_or_default()
                .lines()
                .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
                .collect();
            if pred(&lines) || Instant::now() > deadline {
                return lines;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Rsyslog {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            c.kill().ok();
            c.wait().ok();
        }
    }
}

/// A webhook receiver in the test process: answers every POST with `status`
/// (changeable while it runs) and keeps the bodies it got a 2xx for... and
/// the ones it refused, separately.
pub struct Hook {
    pub port: u16,
    pub status: std::sync::Arc<std::sync::atomic::AtomicU16>,
    /// The `Location` of a 3xx answer.
    pub location: std::sync::Arc<std::sync::Mutex<String>>,
    /// Every request line received (`POST /hook HTTP/1.1`).
    pub requests: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    /// Every header line received, lower-cased names (`x-team: netops`).
    pub headers: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    pub accepted: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    pub refused: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl Hook {
    pub fn start() -> Hook {
        use std::io::{BufRead, BufReader, Read, Write};
        use std::sync::atomic::{AtomicU16, Ordering};
        use std::sync::{Arc, Mutex};
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let status = Arc::new(AtomicU16::new(200));
        let accepted = Arc::new(Mutex::new(Vec::new()));
        let refused = Arc::new(Mutex::new(Vec::new()));
        let location = Arc::new(Mutex::new(String::new()));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let headers = Arc::new(Mutex::new(Vec::new()));
        let (s, a, r) = (status.clone(), accepted.clone(), refused.clone());
        let (l, q, hs) = (location.clone(), requests.clone(), headers.clone());
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(conn) = conn else { continue };
                conn.set_read_timeout(Some(Duration::from_secs(5))).ok();
                let mut reader = BufReader::new(conn);
                let mut len = 0usize;
                let mut first = true;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        break;
                    }
                    if std::mem::take(&mut first) {
                        q.lock().unwrap().push(line.trim_end().to_owned());
                    } else if let Some((k, v)) = line.trim_end().split_once(':') {
                        hs.lock().unwrap().push(format!(
                            "{}: {}",
                            k.to_ascii_lowercase(),
                            v.trim()
                        ));
                    }
                    let lower = line.to_ascii_lowercase();
                    if let Some(v) = lower.strip_prefix("content-length:") {
                        len = v.trim().parse().unwrap_or(0);
                    }
                    if line == "\r\n" {
                        break;
                    }
                }
                let mut body = vec![0; len];
                reader.read_exact(&mut body).ok();
                let body = String::from_utf8_lossy(&body).into_owned();
                let code = s.load(Ordering::SeqCst);
                if code < 300 {
                    a.lock().unwrap().push(body)
                } else {
                    r.lock().unwrap().push(body)
                }
                let mut conn = reader.into_inner();
                let location = if (300..400).contains(&code) {
                    format!("Location: {}\r\n", l.lock().unwrap())
                } else if code == 429 {
                    // Too many requests: come back in 2 seconds.
                    "Retry-After: 2\r\n".to_owned()
                } else {
                    String::new()
                };
                let _ = write!(
                    conn,
                    "HTTP/1.1 {code} X\r\n{location}Content-Length: 0\r\nConnection: close\r\n\r\n"
                );
            }
        });
        Hook {
            port,
            status,
            location,
            requests,
            headers,
            accepted,
            refused,
        }
    }

    /// Answers every request with `code` and `Location: to`.
    pub fn redirect(&self, code: u16, to: &str) {
        *self.location.lock().unwrap() = to.to_owned();
        self.set_status(code);
    }

    pub fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }

    pub fn set_status(&self, code: u16) {
        self.status.store(code, std::sync::atomic::Ordering::SeqCst);
    }

    pub fn accepted(&self) -> Vec<String> {
        self.accepted.lock().unwrap().clone()
    }

    pub fn refused(&self) -> Vec<String> {
        self.refused.lock().unwrap().clone()
    }
}

/// A real SMTP receiver (Python's aiosmtpd) on loopback, storing each mail in
/// a Maildir. Killed on drop.
pub struct Smtp {
    child: Option<Child>,
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
            child: Some(child),
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

impl Drop for Smtp {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            c.kill().ok();
            c.wait().ok();
        }
    }
}
