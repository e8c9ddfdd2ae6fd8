//! The files fcstats makes for itself (SPEC §8): not world-readable whatever
//! the umask, never followed through a symlink; a log that cannot be opened
//! never stops a poll.

mod common;

use std::os::unix::fs::PermissionsExt;

use common::*;

fn setup(log: &str) -> Workdir {
    let w = Workdir::new();
    w.write("fc.txt", stats_file(&[("10.0.0.1", 5)]));
    w.write(
        "config.yaml",
        format!(
            "database: state.db\nstale_after: 0\nlog: {{file: {log}}}\ncollectors:\n  - {{name: here, local: fc.txt}}\n"
        ),
    );
    w
}

/// `fcstats ARGS` under `umask 000`.
fn with_umask_000(w: &Workdir, args: &str) -> Run {
    let bin = env!("CARGO_BIN_EXE_fcstats");
    Run::of(
        w.command_of("sh")
            .args(["-c", &format!("umask 000; exec {bin} {args}")]),
    )
}

fn mode(w: &Workdir, name: &str) -> u32 {
    std::fs::metadata(w.path(name))
        .unwrap()
        .permissions()
        .mode()
        & 0o777
}

#[test]
fn the_database_its_wal_the_lock_and_the_log_are_not_world_readable_whatever_the_umask() {
    let w = setup("logs/fcstats.log");
    with_umask_000(&w, "poll --at 2026-11-23T10:00:00Z").expect_code(0);
    // A reader holding the database open keeps the WAL and its index after the poll.
    let reader = w.db();
    reader
        .query_row("SELECT count(*) FROM poll", [], |r| r.get::<_, i64>(0))
        .unwrap();
    with_umask_000(&w, "poll --at 2026-11-23T10:05:00Z").expect_code(0);
    assert_eq!(
        [
            mode(&w, "state.db"),
            mode(&w, "state.db-wal"),
            mode(&w, "state.db-shm"),
            mode(&w, "state.db.lock"),
            mode(&w, "logs/fcstats.log"),
        ],
        [0o600, 0o600, 0o600, 0o600, 0o640]
    );
}

#[test]
fn a_log_or_lock_that_is_a_symlink_is_refused_and_its_target_untouched() {
    let w = setup("fcstats.log");
    w.write("precious", "do not touch\n");
    std::os::unix::fs::symlink(w.path("precious"), w.path("fcstats.log")).unwrap();
    // The log: refused, said on stderr, and the poll goes on.
    w.run(&["poll", "--at", "2026-11-23T10:00:00Z"])
        .expect_code(0)
        .expect_stderr(&format!(
            "fcstats: warning: log.file: cannot open {}: it is a symbolic link: refused",
            w.path("fcstats.log").display()
        ))
        .expect_stderr("1 keys: 1 up");
    // The lock: the poll is refused (the lock is what keeps polls apart).
    std::fs::remove_file(w.path("state.db.lock")).unwrap();
    std::os::unix::fs::symlink(w.path("precious"), w.path("state.db.lock")).unwrap();
    w.run(&["poll", "--at", "2026-11-23T10:05:00Z"])
        .expect_code(1)
        .expect_stderr("(it is a symbolic link: refused, so that the lock cannot be pointed at another file; remove the link)");
    assert_eq!(
        std::fs::read_to_string(w.path("precious")).unwrap(),
        "do not touch\n"
    );
}

#[test]
fn a_log_that_cannot_be_opened_is_said_and_the_poll_goes_on() {
    let w = setup("blocker/fcstats.log");
    w.write("blocker", "a file where the log's folder should be");
    w.run(&["poll", "--at", "2026-11-23T10:00:00Z"])
        .expect_code(0)
        .expect_stderr("fcstats: warning: log.file: cannot create ")
        .expect_stderr("; logging to stderr only this run")
        .expect_stderr("1 keys: 1 up");
    assert_eq!(w.query("SELECT count(*) FROM poll"), 1);
}

#[test]
fn a_user_who_may_read_but_not_write_the_database_gets_reports() {
    if !is_root() {
        skip("a_user_who_may_read...: needs root to run as another account");
        return;
    }
    let account = common::account::Account::create();
    let w = setup("fcstats.log");
    w.run(&["poll", "--at", "2026-11-23T10:00:00Z"])
        .expect_code(0);
    // Readable by others, writable by root only; the folder too.
    for (path, mode) in [
        (w.dir.path().to_path_buf(), 0o755),
        (w.path("state.db"), 0o644),
    ] {
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
    }
    // The binary where the account can run it.
    let bin = w.path("fcstats");
    std::fs::copy(env!("CARGO_BIN_EXE_fcstats"), &bin).unwrap();
    let uid = String::from_utf8(
        std::process::Command::new("id")
            .args(["-u", &account.name])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    let uid = uid.trim();
    let run = Run::of(
        w.command_of("setpriv")
            .args(["--reuid", uid, "--regid", uid, "--clear-groups"])
            .arg(&bin)
            .args(["report", "status", "--format", "tsv", "--no-header"]),
    );
    run.expect_code(0);
    assert_eq!(
        run.stdout,
        "10.0.0.1\t\tup\t2026-11-23T10:00:00Z\t5\there\t\t\tfalse\tfalse\n"
    );
    // Nothing was written by the reader.
    assert!(!w.path("state.db-wal").exists());
}
