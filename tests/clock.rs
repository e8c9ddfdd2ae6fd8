//! A wrong clock never destroys history (SPEC §3): `--at` is bounded by the
//! clock, retention never prunes in a poll that read nothing, and a poll
//! recorded with a clock ahead is refused with the way back, `db undo`.

mod common;

use common::*;

const T1: &str = "2026-11-23T10:00:00Z";
const T2: &str = "2026-11-23T10:05:00Z";
const T3: &str = "2026-11-23T10:10:00Z";

fn two_collectors() -> Workdir {
    let w = Workdir::new();
    w.write("a.txt", stats_file(&[("10.0.0.1", 500), ("10.0.0.2", 300)]));
    w.write("b.txt", stats_file(&[("10.0.0.3", 70)]));
    w.write(
        "config.yaml",
        "database: state.db\nstale_after: 0\nssh: {retries: 0}\ncollectors:\n  \
         - {name: a, local: a.txt}\n  - {name: b, local: b.txt}\n",
    );
    w
}

fn report(w: &Workdir, what: &str) -> String {
    let run = w.run(&["report", what, "--format", "tsv"]);
    run.expect_code(0);
    run.stdout
}

#[test]
fn at_may_not_be_later_than_the_clock_nor_out_of_range() {
    let w = two_collectors();
    let ahead = chrono::Utc::now().timestamp() + 3 * 365 * 86_400;
    w.run(&["poll", "--at", &format!("@{ahead}")])
        .expect_code(1)
        .expect_stderr("is later than the clock (");
    w.run(&["poll", "--at", "@9223372036854775807"])
        .expect_code(2)
        .expect_stderr("`@9223372036854775807` is out of range: times are from 1970 to 9999");
    // The refused poll opened the database and recorded nothing.
    assert_eq!(w.query("SELECT count(*) FROM poll"), 0);
}

#[test]
fn a_poll_recorded_with_a_clock_ahead_is_refused_with_the_way_back_and_history_survives() {
    let w = two_collectors();
    w.run(&["poll", "--at", T1]).expect_code(0);
    w.run(&["poll", "--at", T2]).expect_code(0);
    // What a VM whose clock ran three years ahead would have recorded.
    let ahead = chrono::Utc::now().timestamp() + 3 * 365 * 86_400;
    w.db()
        .execute(
            "INSERT INTO poll (at, ok, failed) VALUES (?1, 2, 0)",
            [ahead],
        )
        .unwrap();
    let refused = w.run(&["poll"]);
    refused
        .expect_code(1)
        .expect_stderr("is later than the clock. If the clock is right, that poll was recorded with a wrong clock or --at: `fcstats db undo --after ");
    let now = chrono::Utc::now().timestamp();
    w.run(&["db", "undo", "--after", &format!("@{now}")])
        .expect_code(0)
        .expect_stderr("1 poll and 0 events removed");
    w.run(&["poll"]).expect_code(0);
    // 2 backfilled polls + the one now; the 3 baselines of T1 are all there.
    assert_eq!(w.query("SELECT count(*) FROM poll"), 3);
    assert_eq!(
        w.query("SELECT count(*) FROM event WHERE at = 1795428000"),
        3
    );
}

#[test]
fn undo_puts_every_key_and_collector_back_as_the_last_kept_poll_left_them() {
    let w = two_collectors();
    w.run(&["poll", "--at", T1]).expect_code(0);
    w.run(&["poll", "--at", T2]).expect_code(0);
    let (status, collectors) = (report(&w, "status"), report(&w, "collectors"));
    // T3: 10.0.0.1 goes down, 10.0.0.4 is new, b's file is cut (10.0.0.3 unknown).
    w.write(
        "a.txt",
        stats_file(&[("10.0.0.1", 0), ("10.0.0.2", 300), ("10.0.0.4", 9)]),
    );
    w.write("b.txt", "Exporter Address\tCurrent NetFlow bps\n10.0.0.3");
    w.run(&["poll", "--at", T3]).expect_code(3);
    assert_ne!(report(&w, "status"), status);
    w.run(&["db", "undo", "--after", T2])
        .expect_code(0)
        .expect_stderr(
            "1 poll and 3 events removed; 2 keys put back as 2026-11-23T10:05:00Z left them, \
             1 first seen later removed",
        );
    assert_eq!(report(&w, "status"), status);
    assert_eq!(report(&w, "collectors"), collectors);
    assert_eq!(w.query("SELECT count(*) FROM poll"), 2);
    // Polling on from there gives what it gave the first time.
    w.run(&["poll", "--at", T3])
        .expect_code(3)
        .expect_stderr("4 keys: 2 up, 1 down, 1 unknown; 1 transition;")
        .expect_stderr("collector b failed");
}

#[test]
fn retention_never_prunes_in_a_poll_that_read_nothing() {
    let w = two_collectors();
    w.edit("config.yaml", |c| {
        c.replace("stale_after: 0\n", "stale_after: 0\nretention: 1d\n")
    });
    let days_ago = |d: i64| format!("@{}", chrono::Utc::now().timestamp() - d * 86_400);
    w.run(&["poll", "--at", &days_ago(3)]).expect_code(0);
    // Both files gone: a poll that read nothing keeps the 3-day-old baselines.
    std::fs::remove_file(w.path("a.txt")).unwrap();
    std::fs::remove_file(w.path("b.txt")).unwrap();
    w.run(&["poll"]).expect_code(1);
    assert_eq!(
        w.query("SELECT count(*) FROM event WHERE kind IN (1, 2)"),
        3
    );
    assert_eq!(w.query("SELECT count(*) FROM poll"), 2);
}
