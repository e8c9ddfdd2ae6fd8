//! Exporters that never sent, exporters retired, outages dated at `Last
//! Active`, and the old tool's history imported (SPEC §9). Local collectors;
//! real polls.

mod common;

use common::*;

/// A collector file in the real 46-column format: (exporter, Last Active, bps).
fn file(rows: &[(&str, i64, u64)]) -> String {
    let mut out = COLUMNS.join("\t");
    out.push('\n');
    for (exporter, last_active, bps) in rows {
        let mut fields = vec![exporter.to_string(), last_active.to_string()];
        fields.extend((2..43).map(|_| "0".to_string()));
        fields.extend([bps.to_string(), (bps * 2).to_string(), bps.to_string()]);
        out.push_str(&fields.join("\t"));
        out.push('\n');
    }
    out
}

/// 2026-11-23T10:00:00Z.
const T0: i64 = 1_795_428_000;

/// Shaped like the real collector file: 15 exporters, 10 sending, 3 that
/// sent once and stopped, 2 that never sent (Last Active 0).
fn sample() -> String {
    let mut rows: Vec<(String, i64, u64)> = (1..=10)
        .map(|i| (format!("192.0.2.{i}"), T0 - i, 1000 * i as u64))
        .collect();
    for i in 11..=13 {
        rows.push((format!("192.0.2.{i}"), T0 - 3600 * i, 0));
    }
    rows.push(("198.51.100.1".into(), 0, 0));
    rows.push(("198.51.100.2".into(), 0, 0));
    let rows: Vec<(&str, i64, u64)> = rows.iter().map(|(e, a, b)| (e.as_str(), *a, *b)).collect();
    file(&rows)
}

/// A config with a local collector `fc.txt` and an exec sink appending each
/// alert's JSON to alerts.jsonl; `extra` lines go first.
fn workdir(extra: &str) -> Workdir {
    let w = Workdir::new();
    let alerts = w.path("alerts.jsonl");
    w.write(
        "config.yaml",
        format!(
            "{extra}database: state.db\nstale_after: 0\nalert_max_age: 100000d\n\
             alerts:\n  - {{type: exec, command: [sh, -c, 'cat >> {a}; echo >> {a}']}}\n\
             collectors:\n  - {{name: fc, local: fc.txt}}\n",
            a = alerts.display()
        ),
    );
    w
}

fn alerts(w: &Workdir) -> Vec<String> {
    w.lines("alerts.jsonl")
}

#[test]
fn the_sample_polled_twice_is_10_up_3_down_2_inactive_and_totals_13_keys_with_names() {
    let w = workdir("inventory: inventory.csv\n");
    w.write(
        "inventory.csv",
        "exporter,name,site\n192.0.2.0/24,branch,north\n192.0.2.11,core-11,hq\n\
         198.51.100.1,spare-1,hq\n",
    );
    w.write("fc.txt", sample());
    for at in ["2026-11-23T10:00:00Z", "2026-11-23T10:05:00Z"] {
        w.run(&["poll", "--at", at]).expect_code(0).expect_stderr(
            "1/1 collectors read; 15 keys: 10 up, 3 down, 0 unknown, 2 inactive; 0 transitions",
        );
    }
    // Baselines only: no alert, for the down ones either.
    assert_eq!(alerts(&w), Vec::<String>::new());
    assert_eq!(
        w.run(&["report", "status", "--state", "inactive", "--format", "csv"])
            .ok(),
        "exporter,interface,state,since,bps,owner,name,site,not_decoding,maintenance\n\
         198.51.100.1,,inactive,2026-11-23T10:00:00Z,0,,spare-1,hq,false,false\n\
         198.51.100.2,,inactive,2026-11-23T10:00:00Z,0,,,,false,false\n"
    );
    let window = [
        "--from",
        "2026-11-23T10:00:00Z",
        "--to",
        "2026-11-23T10:10:00Z",
        "--now",
        "2026-11-23T10:10:00Z",
        "--format",
        "csv",
    ];
    // 13 keys over 600 s; the 3 down all the window: 1800 s of 7800.
    // 100 × (7800 − 1800) / 7800 = 76.923.
    let mut total = vec!["report", "downtime", "--total"];
    total.extend(window);
    assert_eq!(
        w.run(&total).ok(),
        "keys,keys_affected,downtime_s,outages,availability_pct,unobserved_s,maintenance_s\n\
         13,3,1800,3,76.923,0,0\n"
    );
    let mut per_key = vec!["report", "downtime"];
    per_key.extend(window);
    assert_eq!(
        w.run(&per_key).ok(),
        "exporter,interface,downtime_s,outages,longest_s,availability_pct,unobserved_s,name,site,maintenance_s\n\
         192.0.2.11,,600,1,600,0.000,0,core-11,hq,0\n\
         192.0.2.12,,600,1,600,0.000,0,branch,north,0\n\
         192.0.2.13,,600,1,600,0.000,0,branch,north,0\n"
    );
}

#[test]
fn an_inactive_exporters_first_sending_is_its_baseline_not_a_came_up() {
    let w = workdir("");
    w.write("fc.txt", file(&[("10.0.0.1", T0, 5), ("10.0.0.9", 0, 0)]));
    w.run(&["poll", "--at", "2026-11-23T10:00:00Z"])
        .expect_code(0);
    // Gone from the file: still inactive, never down.
    w.write("fc.txt", file(&[("10.0.0.1", T0, 5)]));
    for at in ["2026-11-23T10:05:00Z", "2026-11-23T10:10:00Z"] {
        w.run(&["poll", "--at", at])
            .expect_code(0)
            .expect_stderr("2 keys: 1 up, 0 down, 0 unknown, 1 inactive; 0 transitions");
    }
    w.write(
        "fc.txt",
        file(&[("10.0.0.1", T0, 5), ("10.0.0.9", T0 + 890, 7)]),
    );
    w.run(&["poll", "--at", "2026-11-23T10:15:00Z"])
        .expect_code(0)
        .expect_stderr("2 keys: 2 up, 0 down, 0 unknown; 0 transitions");
    assert_eq!(alerts(&w), Vec::<String>::new());
    let window = [
        "--since",
        "1h",
        "--now",
        "2026-11-23T10:20:00Z",
        "--format",
        "tsv",
    ];
    let mut up = vec!["report", "up"];
    up.extend(window);
    assert_eq!(
        w.run(&up).ok(),
        "exporter\tinterface\tat\tstate_now\toutage_s\tcollectors\tname\tsite\n"
    );
    assert_eq!(
        w.run(&["report", "status", "--format", "tsv", "--no-header"])
            .ok(),
        "10.0.0.1\t\tup\t2026-11-23T10:00:00Z\t5\tfc\t\t\tfalse\tfalse\n\
         10.0.0.9\t\tup\t2026-11-23T10:15:00Z\t7\tfc\t\t\tfalse\tfalse\n"
    );
}

#[test]
fn outage_start_last_active_makes_the_downtime_exact_to_the_second() {
    let w = workdir("outage_start: last_active\n");
    // Polls every 5 minutes; the exporter's last flow is at 10:07:13.
    let polls: [(&str, i64, u64); 5] = [
        ("2026-11-23T10:00:00Z", T0, 900),
        ("2026-11-23T10:05:00Z", T0 + 298, 900),
        ("2026-11-23T10:10:00Z", T0 + 433, 0),
        ("2026-11-23T10:15:00Z", T0 + 433, 0),
        ("2026-11-23T10:20:00Z", T0 + 1199, 700),
    ];
    for (at, last_active, bps) in polls {
        w.write("fc.txt", file(&[("10.0.0.1", last_active, bps)]));
        w.run(&["poll", "--at", at]).expect_code(0);
    }
    let window = [
        "--from",
        "2026-11-23T10:00:00Z",
        "--to",
        "2026-11-23T10:25:00Z",
        "--now",
        "2026-11-23T10:25:00Z",
        "--format",
        "tsv",
        "--no-header",
    ];
    // Down at 10:07:13 (T0 + 433), up at 10:20:00: 1200 − 433 = 767 s
    // (dated at the poll it would be 600).
    let mut up = vec!["report", "up"];
    up.extend(window);
    assert_eq!(
        w.run(&up).ok(),
        "10.0.0.1\t\t2026-11-23T10:20:00Z\tup\t767\tfc\t\t\n"
    );
    let mut downtime = vec!["report", "downtime"];
    downtime.extend(window);
    // 1500 s window: 100 × (1500 − 767) / 1500 = 48.867.
    assert_eq!(
        w.run(&downtime).ok(),
        "10.0.0.1\t\t767\t1\t767\t48.867\t0\t\t\t0\n"
    );
    let a = alerts(&w);
    assert_eq!(a.len(), 2, "{a:?}");
    assert!(a[0].starts_with(r#"{"kind": "down", "exporter": "10.0.0.1", "interface": "", "at": "2026-11-23T10:07:13Z""#), "{}", a[0]);
    assert!(a[1].contains(r#""outage_s": 767"#), "{}", a[1]);
}

#[test]
fn a_key_down_longer_than_retire_after_is_retired_once_and_comes_back_as_a_baseline() {
    let w = workdir("retire_after: 10m\n");
    let poll = |at: &str, bps: u64| {
        w.write(
            "fc.txt",
            file(&[("10.0.0.1", T0, 5), ("10.0.0.2", T0, bps)]),
        );
        w.run(&["poll", "--at", at]).expect_code(0);
    };
    poll("2026-11-23T10:00:00Z", 9);
    poll("2026-11-23T10:05:00Z", 0);
    poll("2026-11-23T10:10:00Z", 0);
    // 10:05 + 10m = 10:15: retired.
    poll("2026-11-23T10:15:00Z", 0);
    poll("2026-11-23T10:20:00Z", 0);
    assert_eq!(
        w.run(&[
            "report",
            "status",
            "--state",
            "retired",
            "--format",
            "csv",
            "--no-header"
        ])
        .ok(),
        "10.0.0.2,,retired,2026-11-23T10:15:00Z,0,fc,,,false,false\n"
    );
    // It sends again: up, as a baseline (no alert, no outage).
    poll("2026-11-23T10:25:00Z", 4);
    // Down 10:05-10:15 counts; retired 10:15-10:25 is neither downtime nor
    // observed: 600 of (1800 + 1800 − 600): 100 × (3000 − 600) / 3000 = 80.
    let total = [
        "report",
        "downtime",
        "--total",
        "--from",
        "2026-11-23T10:00:00Z",
        "--to",
        "2026-11-23T10:30:00Z",
        "--now",
        "2026-11-23T10:30:00Z",
        "--format",
        "csv",
        "--no-header",
    ];
    assert_eq!(w.run(&total).ok(), "2,1,600,1,80.000,600,0\n");
    let kinds: Vec<String> = alerts(&w)
        .iter()
        .map(|a| a.split('"').nth(3).unwrap_or_default().to_owned())
        .collect();
    assert_eq!(kinds, ["down", "retired"]);
    assert!(alerts(&w)[1].contains(r#""at": "2026-11-23T10:15:00Z""#));
    assert_eq!(
        w.run(&["report", "status", "--format", "csv", "--no-header"]).ok(),
        "10.0.0.1,,up,2026-11-23T10:00:00Z,5,fc,,,false,false\n10.0.0.2,,up,2026-11-23T10:25:00Z,4,fc,,,false,false\n"
    );
}

const LEGACY: &str = "Exporter_Address,Current_NetFlow_bps,Status,Status_Change,Date_Changed\n\
    192.0.2.1,0,Down,Changed,2026-11-01 00:00:00.000000\n\
    192.0.2.1,1000,Up,Changed,2026-11-01 06:00:00.250000\n\
    192.0.2.2,0,Down,Changed,2026-11-02 00:00:00.000000\n\
    192.0.2.2,800,Up,Changed,2026-11-02 01:00:00.999999\n\
    192.0.2.3,0,Down,Changed,2026-11-03 00:00:00.000000\n\
    192.0.2.3,500,Up,Changed,2026-11-04 00:30:00.000000\n";

#[test]
fn the_old_tools_history_imports_and_the_month_covers_it() {
    let w = workdir("");
    w.write("persistent_device_stats.csv", LEGACY);
    // fcstats starts on 11-04 at midnight; all three are sending.
    w.write(
        "fc.txt",
        file(&[
            ("192.0.2.1", T0, 1),
            ("192.0.2.2", T0, 2),
            ("192.0.2.3", T0, 3),
        ]),
    );
    for at in ["2026-11-04T00:00:00Z", "2026-11-04T00:05:00Z"] {
        w.run(&["poll", "--at", at]).expect_code(0);
    }
    let import = [
        "import",
        "legacy-csv",
        "persistent_device_stats.csv",
        "--tz",
        "UTC",
    ];
    // The last row is fcstats's own time: refused. .1's first row is at the
    // file's start: its baseline, not a down.
    w.run(&import)
        .expect_code(0)
        .expect_stdout(
            "imported 5 rows of persistent_device_stats.csv (times read in UTC): 3 exporters, \
             2 downs, 2 ups, from 2026-11-01T00:00:00Z to 2026-11-03T00:00:00Z",
        )
        .expect_stderr(
            "persistent_device_stats.csv: 1 of 6 rows refused, from line 7: at or after \
             fcstats's first poll at 2026-11-04T00:00:00Z",
        );
    // Once is enough: everything is refused the second time.
    w.run(&import)
        .expect_code(1)
        .expect_stderr("persistent_device_stats.csv: nothing to import (6 change rows read)");
    // The month to 11-04 00:10: before 11-01 nothing was seen (28 days
    // less 10 minutes: 2,418,600 s unobserved per key); then 259,800 s.
    // .3 down 11-03 00:00 to fcstats's first poll: 86,400 s; .1 6 h
    // (21,600 s, from the start); .2 1 h (3,600 s). Availability
    // 100 × (259800 − d) / 259800: 66.744, 91.686, 98.614.
    let month = [
        "report",
        "downtime",
        "--month",
        "--now",
        "2026-11-04T00:10:00Z",
        "--format",
        "csv",
        "--no-header",
    ];
    assert_eq!(
        w.run(&month).ok(),
        "192.0.2.3,,86400,1,86400,66.744,2418600,,,0\n\
         192.0.2.1,,21600,1,21600,91.686,2418600,,,0\n\
         192.0.2.2,,3600,1,3600,98.614,2418600,,,0\n"
    );
    let mut total = month.to_vec();
    total.insert(2, "--total");
    // 100 × (779400 − 111600) / 779400 = 85.681.
    assert_eq!(w.run(&total).ok(), "3,3,111600,3,85.681,7255800,0\n");
    // Imported transitions are transitions: .2's outage is in `report down`.
    let down = [
        "report",
        "down",
        "--from",
        "2026-11-02",
        "--to",
        "2026-11-02T23:00:00Z",
        "--now",
        "2026-11-04T00:10:00Z",
        "--format",
        "csv",
        "--no-header",
    ];
    let down = w.run(&down).ok();
    assert!(
        down.starts_with("192.0.2.2,,2026-11-02T00:00:00Z,up,3600,"),
        "{down}"
    );
}

#[test]
fn importing_into_a_database_with_interfaces_or_a_bad_file_is_refused_clearly() {
    let w = workdir("columns: {interface: Interface}\n");
    w.write("old.csv", LEGACY);
    w.run(&["import", "legacy-csv", "old.csv", "--tz", "UTC"])
        .expect_code(1)
        .expect_stderr("the old tool counted exporters, not interfaces");
    let w = workdir("");
    w.write(
        "old.csv",
        "Exporter_Address,Status,Date_Changed\n10.0.0.1,Down,last tuesday\n",
    );
    w.run(&["import", "legacy-csv", "old.csv", "--tz", "UTC"])
        .expect_code(1)
        .expect_stderr(
            "old.csv:2: Date_Changed `last tuesday` is not a time like 2020-09-15 14:23:45.123456",
        );
    w.run(&["import", "legacy-csv", "old.csv", "--tz", "Mars/Olympus"])
        .expect_code(2)
        .expect_stderr("unknown time zone `Mars/Olympus`");
}

/// A file with `Interfaces` and `Current Input Rate fps`: (exporter, bps,
/// interfaces, fps).
fn signal_file(rows: &[(&str, u64, u32, u64)]) -> String {
    let mut out = COLUMNS.join("\t");
    out.push('\n');
    for (exporter, bps, interfaces, fps) in rows {
        let mut fields = vec!["0".to_string(); 46];
        fields[0] = exporter.to_string();
        fields[1] = T0.to_string();
        fields[3] = interfaces.to_string(); // Interfaces
        fields[6] = fps.to_string(); // Current Input Rate fps
        fields[43] = bps.to_string(); // Current NetFlow bps
        out.push_str(&fields.join("\t"));
        out.push('\n');
    }
    out
}

#[test]
fn signals_say_when_interfaces_drop_and_when_bytes_are_not_decoded() {
    let w = workdir("signals: [interfaces, decoding]\nconfirm: {down: 2}\n");
    let poll = |at: &str, a: (u32, u64), b_fps: u64| {
        w.write(
            "fc.txt",
            signal_file(&[("10.0.0.1", 500, a.0, a.1), ("10.0.0.2", 300, 2, b_fps)]),
        );
        let run = w.run(&["poll", "--at", at]);
        run.expect_code(0);
        run
    };
    poll("2026-11-23T10:00:00Z", (8, 10), 5);
    // .1 loses 2 of 8 interfaces; .2's first poll with no flows.
    poll("2026-11-23T10:05:00Z", (6, 10), 0).expect_stderr(
        "interfaces_changed: exporter=10.0.0.1 interface=- collectors=fc interfaces=8->6",
    );
    // The second in a row (confirm.down = 2): not decoding.
    poll("2026-11-23T10:10:00Z", (6, 10), 0)
        .expect_stderr("not_decoding: exporter=10.0.0.2 interface=- collectors=fc");
    // Still so: said once.
    poll("2026-11-23T10:15:00Z", (6, 10), 0);
    let a = alerts(&w);
    assert_eq!(a.len(), 2, "{a:?}");
    assert_eq!(
        a[0],
        r#"{"kind": "interfaces_changed", "exporter": "10.0.0.1", "interface": "", "at": "2026-11-23T10:05:00Z", "bps": 500, "collectors": ["fc"], "interfaces_before": 8, "interfaces": 6}"#
    );
    assert_eq!(
        a[1],
        r#"{"kind": "not_decoding", "exporter": "10.0.0.2", "interface": "", "at": "2026-11-23T10:10:00Z", "bps": 300, "collectors": ["fc"]}"#
    );
    assert_eq!(
        w.run(&["report", "status", "--format", "csv"]).ok(),
        "exporter,interface,state,since,bps,owner,name,site,not_decoding,maintenance\n\
         10.0.0.1,,up,2026-11-23T10:00:00Z,500,fc,,,false,false\n\
         10.0.0.2,,up,2026-11-23T10:00:00Z,300,fc,,,true,false\n"
    );
    // Flows again: the mark goes, without an alert.
    poll("2026-11-23T10:20:00Z", (6, 10), 4);
    assert_eq!(alerts(&w).len(), 2);
    assert!(w
        .run(&["report", "status", "--format", "csv"])
        .ok()
        .ends_with(",fc,,,false,false\n"));
}
