//! Process faults: kill -9 during polls, reports during a poll, a corrupt
//! database.

mod common;

use std::net::TcpListener;
use std::time::Duration;

use common::*;

fn many(n: usize, offset: u64) -> String {
    let names: Vec<String> = (0..n)
        .map(|i| format!("10.{}.{}.{}", i >> 16, (i >> 8) & 255, i & 255))
        .collect();
    let rows: Vec<(&str, u64)> = names
        .iter()
        .enumerate()
        .map(|(i, e)| {
            (
                e.as_str(),
                if (i as u64 + offset).is_multiple_of(7) {
                    0
                } else {
                    100
                },
            )
        })
        .collect();
    stats_file(&rows)
}

#[test]
fn kill_9_at_random_moments_never_corrupts_the_database() {
    let w = Workdir::new();
    w.write(
        "config.yaml",
        "database: state.db\nstale_after: 0\ncollectors:\n  - {name: here, local: fc.txt}\n",
    );
    let t0 = 1_795_392_000i64;
    let mut at = t0;
    // A cheap pseudo-random sequence of kill delays over a whole poll (0.15 s
    // to 0.5 s in a debug build: reading, deciding, then the write), so kills
    // land in each part.
    let mut seed = 12345u64;
    for round in 0..15u64 {
        w.write("fc.txt", many(20_000, round));
        at += 300;
        let mut child = w
            .command(&["-q", "poll", "--at", &format!("@{at}")])
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        std::thread::sleep(Duration::from_millis((seed >> 33) % 600));
        child.kill().ok(); // SIGKILL
        child.wait().unwrap();
    }
    assert_eq!(w.rows("PRAGMA integrity_check"), ["ok"]);
    // The next poll works and the snapshot matches the file exactly.
    w.write("fc.txt", many(20_000, 99));
    w.run(&["poll", "--at", &format!("@{}", at + 300)])
        .expect_code(0);
    assert_eq!(w.query("SELECT count(*) FROM key"), 20_000);
    // (i + 99) % 7 == 0 for 2857 of 0..20000
    assert_eq!(
        w.query("SELECT count(*) FROM key WHERE state = 0 AND unknown_since IS NULL"),
        2857
    );
    assert_eq!(w.rows("PRAGMA integrity_check"), ["ok"]);
}

#[test]
fn reports_work_while_a_poll_runs() {
    let w = Workdir::new();
    w.write("fc.txt", stats_file(&[("10.0.0.1", 5)]));
    w.write(
        "config.yaml",
        "database: state.db\nstale_after: 0\ncollectors:\n  - {name: here, local: fc.txt}\n",
    );
    w.run(&["poll", "--at", "2026-11-23T10:00:00Z"])
        .expect_code(0);
    // A second collector that never speaks keeps the next poll busy for 3 s.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    w.write(
        "config.yaml",
        format!(
            "database: state.db\nstale_after: 0\nssh: {{timeout: 3s, retries: 0, known_hosts: kh}}\ncollectors:\n  \
             - {{name: here, local: fc.txt}}\n  - {{name: slow, host: 127.0.0.1, port: {port}}}\n"
        ),
    );
    let mut poll = w
        .command(&["poll", "--at", "2026-11-23T10:05:00Z"])
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let (_conn, _) = silent.accept().unwrap();
    let run = w.run(&["report", "status", "--format", "tsv", "--no-header"]);
    run.expect_code(0);
    assert!(
        run.stdout
            .starts_with("10.0.0.1\t\tup\t2026-11-23T10:00:00Z\t5\there\t\t\tfalse\tfalse\n"),
        "{run}"
    );
    assert!(run.elapsed < Duration::from_secs(2), "{run}");
    assert_eq!(poll.wait().unwrap().code(), Some(3));
}

#[test]
fn a_corrupt_database_is_a_clear_error_not_a_panic() {
    let w = Workdir::new();
    w.write("fc.txt", stats_file(&[("10.0.0.1", 5)]));
    w.write(
        "config.yaml",
        "database: state.db\ncollectors:\n  - {name: here, local: fc.txt}\n",
    );
    w.write("state.db", vec![0x5au8; 8192]);
    for args in [&["poll"][..], &["report", "status"][..]] {
        w.run(args).expect_code(1).expect_stderr(&format!(
            "fcstats: error: database {}: file is not a database",
            w.path("state.db").display()
        ));
    }
}

/// A small tmpfs mounted for one test (root only), unmounted on drop.
struct SmallDisk(std::path::PathBuf);

impl SmallDisk {
    fn mount(dir: std::path::PathBuf, size: &str) -> SmallDisk {
        std::fs::create_dir_all(&dir).unwrap();
        let ok = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(&dir)
            .status()
            .unwrap();
        assert!(ok.success(), "mount tmpfs failed");
        SmallDisk(dir)
    }

    fn remount(&self, options: &str) {
        let ok = std::process::Command::new("mount")
            .args(["-o", &format!("remount,{options}")])
            .arg(&self.0)
            .status()
            .unwrap();
        assert!(ok.success());
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        std::process::Command::new("umount")
            .arg("-l")
            .arg(&self.0)
            .status()
            .ok();
    }
}

#[test]
fn a_full_disk_or_a_read_only_database_fails_the_poll_and_keeps_the_previous_state() {
    if !is_root() {
        eprintln!("SKIPPED: needs root to mount a small tmpfs");
        return;
    }
    let w = Workdir::new();
    let disk = SmallDisk::mount(w.path("disk"), "400k");
    w.write(
        "config.yaml",
        "database: disk/state.db\nstale_after: 0\ncollectors:\n  - {name: here, local: fc.txt}\n",
    );
    w.write("fc.txt", stats_file(&[("10.0.0.1", 5), ("10.0.0.2", 0)]));
    w.run(&["poll", "--at", "2026-11-23T10:00:00Z"])
        .expect_code(0);
    let db = || rusqlite::Connection::open(w.path("disk/state.db")).unwrap();
    let keys = |c: &rusqlite::Connection| -> i64 {
        c.query_row("SELECT count(*) FROM key", [], |r| r.get(0))
            .unwrap()
    };
    // 20,000 new keys do not fit in 400 KiB.
    w.write("fc.txt", many(20_000, 0));
    w.run(&["poll", "--at", "2026-11-23T10:05:00Z"])
        .expect_code(1)
        .expect_stderr("fcstats: error: database or disk is full");
    // Once there is room again, the previous state is all there.
    disk.remount("size=8m");
    let c = db();
    assert_eq!(keys(&c), 2);
    let ok: String = c
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(ok, "ok");
    drop(c);
    // Read-only: refused before anything is read; the file is untouched.
    w.write("fc.txt", stats_file(&[("10.0.0.1", 0), ("10.0.0.2", 0)]));
    disk.remount("ro");
    let before = std::fs::read(w.path("disk/state.db")).unwrap();
    w.run(&["poll", "--at", "2026-11-23T10:10:00Z"])
        .expect_code(1)
        .expect_stderr(&format!(
            "fcstats: error: cannot open the lock file {}: Read-only file system",
            w.path("disk/state.db.lock").display()
        ));
    assert!(std::fs::read(w.path("disk/state.db")).unwrap() == before);
}
