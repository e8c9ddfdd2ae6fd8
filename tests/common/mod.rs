//! Test harness: a per-test work dir that runs the real binary (`Workdir`,
//! `Run`), a stats-file writer, and the real servers, one file each, each
//! holding its process in a `Killed` guard: sshd and Dropbear (`sshd.rs`),
//! rsyslogd (`rsyslog.rs`), an SMTP receiver (`smtp.rs`), a webhook receiver
//! (`hook.rs`); network namespaces (`netns.rs`); test accounts (`account.rs`).
#![allow(dead_code, unused_imports)]

pub mod account;
mod hook;
pub mod netns;
mod rsyslog;
mod smtp;
mod sshd;

pub use hook::*;
pub use rsyslog::*;
pub use smtp::*;
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

    /// Its stdout, asserting that it exited 0.
    pub fn ok(self) -> String {
        self.expect_code(0);
        self.stdout
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

    /// The non-empty lines of a file in the work dir (none if it is missing).
    pub fn lines(&self, name: &str) -> Vec<String> {
        fs::read_to_string(self.path(name))
            .unwrap_or_default()
            .lines()
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect()
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

/// A child process killed (and reaped) when this is dropped: the guard
/// every server fixture holds its process in.
pub struct Killed(pub Child);

impl Drop for Killed {
    fn drop(&mut self) {
        self.0.kill().ok();
        self.0.wait().ok();
    }
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
