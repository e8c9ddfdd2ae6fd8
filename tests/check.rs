//! `fcstats check` (SPEC §11): the monitoring-plugins output grammar, every
//! exit code, and ranges. Real polls of a local collector.

mod common;

use common::*;

fn workdir() -> Workdir {
    let w = Workdir::new();
    w.write(
        "config.yaml",
        "database: state.db\nstale_after: 0\ncollectors:\n  - {name: fc, local: fc.txt}\n",
    );
    w
}

/// Polls now (the plugin judges the age of the last poll).
fn poll(w: &Workdir, rows: &[(&str, u64)]) {
    w.write("fc.txt", stats_file(rows));
    w.run(&["poll"]).expect_code(0);
}

/// The first line without its last_poll_age (seconds since a real poll).
fn first_line(run: &Run) -> String {
    let line = run.stdout.lines().next().unwrap_or_default();
    line.split(" last_poll_age=")
        .next()
        .unwrap_or_default()
        .to_owned()
}

#[test]
fn a_down_key_is_critical_none_is_ok_and_ranges_move_the_line() {
    let w = workdir();
    poll(&w, &[("10.0.0.1", 5), ("10.0.0.2", 0), ("10.0.0.3", 7)]);
    let run = w.run(&["check"]);
    run.expect_code(2);
    assert_eq!(
        first_line(&run),
        "FCSTATS CRITICAL - 1 down, 2 up, 0 unknown | down=1;0;0;0 up=2;;;0 unknown=0;;;0 collectors_failed=0;;;0"
    );
    // One line per down key, after the first.
    let second = run.stdout.lines().nth(1).unwrap_or_default();
    assert!(second.starts_with("10.0.0.2 - down since "), "{run}");
    // First seen at 0 bps: no collector ever carried it, none is named.
    assert!(!second.contains("collector="), "{run}");
    assert!(run.stdout.contains(" last_poll_age="), "{run}");
    // 1 down: inside 0..1 (not critical), outside 0..0 (warning).
    let run = w.run(&["check", "--critical", "1"]);
    run.expect_code(1);
    assert!(
        first_line(&run).starts_with("FCSTATS WARNING - 1 down"),
        "{run}"
    );
    assert!(first_line(&run).contains(" down=1;0;1;0 "), "{run}");
    // `@1:5`: critical inside 1..5; `~:3` warning above 3.
    w.run(&["check", "--critical", "@1:5", "--warning", "~:3"])
        .expect_code(2);
    w.run(&["check", "--critical", "2:", "--warning", "~:3"])
        .expect_code(2);
    w.run(&["check", "--critical", "10", "--warning", "10"])
        .expect_code(0);
    // Only the keys asked for.
    w.run(&["check", "--exporter", "10.0.0.1"]).expect_code(0);
    poll(&w, &[("10.0.0.1", 5), ("10.0.0.2", 9), ("10.0.0.3", 7)]);
    let run = w.run(&["check"]);
    run.expect_code(0);
    assert_eq!(run.stdout.lines().count(), 1, "{run}");
    assert!(
        first_line(&run)
            .starts_with("FCSTATS OK - 0 down, 3 up, 0 unknown | down=0;0;0;0 up=3;;;0"),
        "{run}"
    );
}

#[test]
fn an_old_last_poll_a_missing_database_and_bad_arguments_are_unknown() {
    let w = workdir();
    w.run(&["check"])
        .expect_code(3)
        .expect_stdout("FCSTATS UNKNOWN - no database at ");
    w.write("fc.txt", stats_file(&[("10.0.0.1", 5)]));
    // An hour ago: older than max_gap (15m).
    let hour_ago = format!(
        "@{}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs()
            - 3600
    );
    w.run(&["poll", "--at", &hour_ago]).expect_code(0);
    let run = w.run(&["check"]);
    run.expect_code(3);
    assert!(
        run.stdout
            .starts_with("FCSTATS UNKNOWN - the last poll is 3"),
        "{run}"
    );
    assert!(
        run.stdout
            .contains("s old (more than 900s): is `fcstats poll` running? | down=0;0;0;0 up=1;;;0"),
        "{run}"
    );
    w.run(&["check", "--unknown-after", "2h"]).expect_code(0);
    w.run(&["check", "--warning", "abc"])
        .expect_code(3)
        .expect_stdout("FCSTATS UNKNOWN - --warning: `abc` is not a range");
    w.run(&["check", "--unknown-after", "soon"])
        .expect_code(3)
        .expect_stdout("FCSTATS UNKNOWN - --unknown-after:");
    w.run(&["check", "--bogus"])
        .expect_code(3)
        .expect_stdout("FCSTATS UNKNOWN - unexpected argument '--bogus'");
    // Other commands keep exit 2 for usage errors.
    w.run(&["report", "--bogus"]).expect_code(2);
}
