//! Maintenance windows (SPEC §10): planned work is neither an outage nor a
//! page. Local collectors; real polls at scripted times.

mod common;

use common::*;

/// A config with a local collector `fc.txt`, an exec sink appending each
/// alert's JSON to alerts.jsonl, and one asking for the maintenance kinds
/// only (maint.jsonl); `extra` lines go first.
fn workdir(extra: &str) -> Workdir {
    let w = Workdir::new();
    let (a, m) = (w.path("alerts.jsonl"), w.path("maint.jsonl"));
    w.write(
        "config.yaml",
        format!(
            "{extra}database: state.db\nstale_after: 0\nalert_max_age: 100000d\n\
             alerts:\n  - {{type: exec, command: [sh, -c, 'cat >> {a}']}}\n\
             \x20 - {{type: exec, name: plan, kinds: [maintenance_start, maintenance_end], command: [sh, -c, 'cat >> {m}']}}\n\
             collectors:\n  - {{name: fc, local: fc.txt}}\n",
            a = a.display(),
            m = m.display()
        ),
    );
    w
}

/// `kind exporter at` of each alert.
fn alerts(w: &Workdir) -> Vec<String> {
    w.lines("alerts.jsonl")
        .iter()
        .map(|a| {
            let field = |name: &str| {
                a.split(&format!("\"{name}\": \""))
                    .nth(1)
                    .and_then(|r| r.split('"').next())
                    .unwrap_or("-")
                    .to_owned()
            };
            format!("{} {} {}", field("kind"), field("exporter"), field("at"))
        })
        .collect()
}

/// 10:00 to 10:55, every 5 minutes. .1 down 10:05-10:45, .2 down
/// 10:15-10:50, .3 down 10:15-10:20; a window over 10.0.0.0/30 from 10:10 to
/// 10:30.
fn scripted() -> Workdir {
    let w = workdir("");
    let poll = |m: u32| {
        let bps = |down: std::ops::Range<u32>| if down.contains(&m) { 0 } else { 100 };
        w.write(
            "fc.txt",
            stats_file(&[
                ("10.0.0.1", bps(5..45)),
                ("10.0.0.2", bps(15..50)),
                ("10.0.0.3", bps(15..20)),
            ]),
        );
        w.run(&["poll", "--at", &format!("2026-11-23T10:{m:02}:00Z")])
            .expect_code(0);
    };
    poll(0);
    poll(5);
    w.command(&[
        "maintenance",
        "add",
        "--exporter",
        "10.0.0.0/30",
        "--from",
        "2026-11-23T10:10:00Z",
        "--to",
        "2026-11-23T10:30:00Z",
        "--reason",
        "line card swap",
    ])
    .env("USER", "ops")
    .env_remove("SUDO_USER")
    .output()
    .unwrap();
    for m in (10..60).step_by(5) {
        poll(m);
    }
    w
}

#[test]
fn down_time_inside_a_window_is_maintenance_and_pages_no_one() {
    let w = scripted();
    // .1: alerted at 10:05, before the window: no second alert when it ends.
    // .2: went down inside (10:15), still down at its end: alerted then,
    // dated at its transition. .3: down and up inside: nothing at all.
    assert_eq!(
        alerts(&w),
        [
            "down 10.0.0.1 2026-11-23T10:05:00Z",
            "down 10.0.0.2 2026-11-23T10:15:00Z",
            "up 10.0.0.1 2026-11-23T10:45:00Z",
            "up 10.0.0.2 2026-11-23T10:50:00Z",
        ]
    );
    assert_eq!(
        w.lines("maint.jsonl"),
        [
            r#"{"kind": "maintenance_start", "at": "2026-11-23T10:10:00Z", "collectors": [], "match": "exporter=10.0.0.0/30", "reason": "line card swap", "from": "2026-11-23T10:10:00Z", "to": "2026-11-23T10:30:00Z"}"#,
            r#"{"kind": "maintenance_end", "at": "2026-11-23T10:30:00Z", "collectors": [], "match": "exporter=10.0.0.0/30", "reason": "line card swap", "from": "2026-11-23T10:10:00Z", "to": "2026-11-23T10:30:00Z"}"#,
        ]
    );
    let window = [
        "--from",
        "2026-11-23T10:00:00Z",
        "--to",
        "2026-11-23T11:00:00Z",
        "--now",
        "2026-11-23T11:00:00Z",
        "--format",
        "csv",
    ];
    let mut per_key = vec!["report", "downtime", "--all"];
    per_key.extend(window);
    // .1: down 10:05-10:45 (2400 s), 1200 of it in the window: downtime
    // 1200, up 300 + 900; 100 × (2400 − 1200) / 2400 = 50.
    // .2: down 10:15-10:50 (2100 s), 900 in the window: downtime 1200, up
    // 900 + 600; 100 × (2700 − 1200) / 2700 = 55.556.
    // .3: 300 s down, all in the window: no outage, 100%.
    assert_eq!(
        w.run(&per_key).ok(),
        "exporter,interface,downtime_s,outages,longest_s,availability_pct,unobserved_s,name,site,maintenance_s\n\
         10.0.0.1,,1200,1,1200,50.000,0,,,1200\n\
         10.0.0.2,,1200,1,1200,55.556,0,,,900\n\
         10.0.0.3,,0,0,0,100.000,0,,,300\n"
    );
    let mut total = vec!["report", "downtime", "--total"];
    total.extend(window);
    // Observed 2400 + 2700 + 3300 = 8400: 100 × (8400 − 2400) / 8400 = 71.429.
    assert_eq!(
        w.run(&total).ok(),
        "keys,keys_affected,downtime_s,outages,availability_pct,unobserved_s,maintenance_s\n\
         3,2,2400,2,71.429,0,2400\n"
    );
}

#[test]
fn windows_are_added_listed_ended_and_removed_with_who_and_why() {
    let w = scripted();
    let list = |all: bool| {
        let mut args = vec!["maintenance", "list", "--format", "tsv", "--no-header"];
        if all {
            args.push("--all");
        }
        w.run(&args).ok()
    };
    // Ended (in 2026-11-23), so only with --all.
    assert_eq!(list(false), "");
    assert_eq!(
        list(true),
        "1\texporter=10.0.0.0/30\t2026-11-23T10:10:00Z\t2026-11-23T10:30:00Z\tline card swap\tops\n"
    );
    let run = Run::of(
        w.command(&[
            "maintenance",
            "add",
            "--site",
            "lab",
            "--for",
            "2h",
            "--reason",
            "x",
        ])
        .env("SUDO_USER", "alice"),
    );
    run.expect_code(1)
        .expect_stderr("--site and --name match the inventory's");
    let run = Run::of(
        w.command(&[
            "maintenance",
            "add",
            "--collector",
            "fc",
            "--for",
            "2h",
            "--reason",
            "reboot",
        ])
        .env("SUDO_USER", "alice"),
    );
    run.expect_code(0);
    assert!(
        run.stdout.starts_with("added window 2: collector=fc from "),
        "{run}"
    );
    let now = list(false);
    assert!(now.starts_with("2\tcollector=fc\t"), "{now}");
    assert!(now.ends_with("\treboot\talice\n"), "{now}");
    // In it now: status says so.
    let status = w
        .run(&["report", "status", "--format", "csv", "--no-header"])
        .ok();
    assert!(status.starts_with("10.0.0.1,,up,"), "{status}");
    assert!(
        status.lines().all(|l| l.ends_with(",false,true")),
        "{status}"
    );
    let table = w.run(&["report", "status", "--format", "table"]).ok();
    assert!(table.contains(" up (maintenance) "), "{table}");
    w.run(&["maintenance", "end", "2"]).expect_code(0);
    assert_eq!(list(false), "");
    w.run(&["maintenance", "remove", "1"]).expect_code(0);
    w.run(&["maintenance", "remove", "1"])
        .expect_code(1)
        .expect_stderr("there is no maintenance window 1");
    w.run(&[
        "maintenance",
        "add",
        "--all",
        "--from",
        "2026-11-23T12:00:00Z",
        "--to",
        "2026-11-23T11:00:00Z",
        "--reason",
        "x",
    ])
    .expect_code(1)
    .expect_stderr(
        "the window ends (2026-11-23T11:00:00Z) before it starts (2026-11-23T12:00:00Z)",
    );
    w.run(&[
        "maintenance",
        "add",
        "--exporter",
        "10.9.0.0/16",
        "--for",
        "1h",
        "--reason",
        "x",
    ])
    .expect_code(0)
    .expect_stderr("`exporter=10.9.0.0/16` matches no key now");
    w.run(&["maintenance", "add", "--for", "1h", "--reason", "x"])
        .expect_code(2);
}

#[test]
fn a_collector_in_maintenance_raises_no_collector_failed() {
    let w = workdir("ssh: {retries: 0}\nmaintenance:\n  - {match: {collector: fc}, every: \"day 10:00-11:00\", tz: UTC, reason: nightly}\n");
    w.write("fc.txt", stats_file(&[("10.0.0.1", 5)]));
    w.run(&["poll", "--at", "2026-11-23T09:55:00Z"])
        .expect_code(0);
    std::fs::remove_file(w.path("fc.txt")).unwrap();
    // Failing inside the window: unknown, no alert.
    w.run(&["poll", "--at", "2026-11-23T10:00:00Z"])
        .expect_code(1);
    assert_eq!(alerts(&w), Vec::<String>::new());
    // Still failing after it: no new failure, so no alert (only keys are
    // alerted again at a window's end; see the README).
    w.run(&["poll", "--at", "2026-11-23T11:05:00Z"])
        .expect_code(1);
    assert_eq!(alerts(&w), Vec::<String>::new());
    let list = w
        .run(&["maintenance", "list", "--format", "tsv", "--no-header"])
        .ok();
    assert!(list.starts_with("config[0]\tcollector=fc\t"), "{list}");
    assert!(list.ends_with("\tnightly\tconfig\n"), "{list}");
}

#[test]
fn bad_recurring_windows_are_config_errors_naming_the_key() {
    let w = workdir(
        "maintenance:\n  - {match: {all: true}, every: \"sun 02:00-04:00\", tz: Mars/Olympus}\n",
    );
    w.write("fc.txt", stats_file(&[("10.0.0.1", 5)]));
    w.run(&["config", "check"])
        .expect_code(1)
        .expect_stderr("maintenance[0].tz: unknown time zone `Mars/Olympus`");
    let w = workdir("maintenance:\n  - {match: {all: true}, every: \"sunday 2-4\"}\n");
    w.run(&["config", "check"])
        .expect_code(1)
        .expect_stderr("every: `sunday 2-4` is not DAYS HH:MM-HH:MM");
    let w = workdir("maintenance:\n  - {match: {site: lab}, every: \"sun 02:00-04:00\"}\n");
    w.run(&["config", "check"])
        .expect_code(1)
        .expect_stderr("maintenance[0].match: site and name match the inventory's");
}

#[test]
fn report_history_lists_a_keys_events_and_its_windows_oldest_first() {
    let w = scripted();
    let history = w
        .run(&[
            "report",
            "history",
            "--exporter",
            "10.0.0.2",
            "--from",
            "2026-11-23T10:00:00Z",
            "--to",
            "2026-11-23T11:00:00Z",
            "--now",
            "2026-11-23T11:00:00Z",
            "--format",
            "csv",
        ])
        .ok();
    assert_eq!(
        history,
        "exporter,interface,at,event,collector,detail,name,site\n\
         10.0.0.2,,2026-11-23T10:00:00Z,baseline,fc,up,,\n\
         10.0.0.2,,2026-11-23T10:10:00Z,maintenance_start,,exporter=10.0.0.0/30 (line card swap),,\n\
         10.0.0.2,,2026-11-23T10:15:00Z,down,fc,,,\n\
         10.0.0.2,,2026-11-23T10:30:00Z,maintenance_end,,exporter=10.0.0.0/30 (line card swap),,\n\
         10.0.0.2,,2026-11-23T10:50:00Z,up,fc,after 35m,,\n"
    );
}
