//! `inventory:` (SPEC §9): names and sites in every report and alert, the
//! report filters --site, --name and a CIDR --exporter, and a bad inventory
//! named by file and line. Local collectors; real polls.

mod common;

use common::*;

const INVENTORY: &str = "exporter,name,site,owner\n\
                         10.0.0.0/30,branch router,branch,netops\n\
                         10.0.0.1,core-1,hq,netops\n\
                         10.0.0.4,edge-4,hq,\n";

/// Two polls: .4 goes down at the second; .5 is in no inventory row.
fn polled() -> Workdir {
    let w = Workdir::new();
    w.write("inventory.csv", INVENTORY);
    let alerts = w.path("alerts.jsonl");
    w.write(
        "config.yaml",
        format!(
            "database: state.db\nstale_after: 0\nalert_max_age: 100000d\ninventory: inventory.csv\n\
             alerts:\n  - {{type: exec, command: [sh, -c, 'cat >> {}; echo >> {}']}}\n\
             collectors:\n  - {{name: fc, local: fc.txt}}\n",
            alerts.display(),
            alerts.display()
        ),
    );
    let rows = |four: u64| {
        stats_file(&[
            ("10.0.0.1", 10),
            ("10.0.0.2", 20),
            ("10.0.0.4", four),
            ("10.0.0.5", 50),
        ])
    };
    w.write("fc.txt", rows(40));
    w.run(&["poll", "--at", "2026-11-23T10:00:00Z"])
        .expect_code(0);
    w.write("fc.txt", rows(0));
    w.run(&["poll", "--at", "2026-11-23T10:05:00Z"])
        .expect_code(0);
    w
}

#[test]
fn names_and_sites_are_the_last_fields_of_every_report_and_in_alerts() {
    let w = polled();
    // The most specific row wins: .1 by its address, .2 by the /30, .5 by none.
    assert_eq!(
        w.run(&["report", "status", "--format", "csv"]).ok(),
        "exporter,interface,state,since,bps,owner,name,site,not_decoding,maintenance\n\
         10.0.0.4,,down,2026-11-23T10:05:00Z,0,fc,edge-4,hq,false,false\n\
         10.0.0.1,,up,2026-11-23T10:00:00Z,10,fc,core-1,hq,false,false\n\
         10.0.0.2,,up,2026-11-23T10:00:00Z,20,fc,branch router,branch,false,false\n\
         10.0.0.5,,up,2026-11-23T10:00:00Z,50,fc,,,false,false\n"
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
        "--no-header",
    ];
    let mut down = vec!["report", "down"];
    down.extend(window);
    // Down at 10:05, still down at 10:10: 300 s.
    assert_eq!(
        w.run(&down).ok(),
        "10.0.0.4,,2026-11-23T10:05:00Z,down,300,fc,edge-4,hq\n"
    );
    let mut downtime = vec!["report", "downtime"];
    downtime.extend(window);
    // 10:05..10:10 = 300 s of 600 observed: 50%.
    assert_eq!(
        w.run(&downtime).ok(),
        "10.0.0.4,,300,1,300,50.000,0,edge-4,hq,0\n"
    );
    let alerts = std::fs::read_to_string(w.path("alerts.jsonl")).unwrap();
    assert!(
        alerts.contains(r#""collectors": ["fc"], "name": "edge-4", "site": "hq"}"#),
        "{alerts}"
    );
}

#[test]
fn reports_filter_by_site_name_and_network() {
    let w = polled();
    let status = |extra: &[&str]| {
        let mut args = vec!["report", "status", "--format", "csv", "--no-header"];
        args.extend(extra);
        w.run(&args)
            .ok()
            .lines()
            .map(|l| l.split(',').next().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(status(&["--site", "hq"]), ["10.0.0.4", "10.0.0.1"]);
    assert_eq!(status(&["--name", "*-?"]), ["10.0.0.4", "10.0.0.1"]);
    assert_eq!(status(&["--name", "branch*"]), ["10.0.0.2"]);
    assert_eq!(
        status(&["--exporter", "10.0.0.0/30"]),
        ["10.0.0.1", "10.0.0.2"]
    );
    assert_eq!(status(&["--exporter", "10.0.0.5"]), ["10.0.0.5"]);
    w.run(&["report", "status", "--exporter", "10.0.0.0/33"])
        .expect_code(1)
        .expect_stderr("--exporter: `10.0.0.0/33` is not an address, a CIDR");
    // A table shows the columns only when a key has them.
    let table = w
        .run(&[
            "report",
            "status",
            "--exporter",
            "10.0.0.5",
            "--format",
            "table",
        ])
        .ok();
    assert!(!table.contains("site"), "{table}");
    let table = w
        .run(&["report", "status", "--site", "hq", "--format", "table"])
        .ok();
    let header: Vec<&str> = table.lines().next().unwrap().split_whitespace().collect();
    assert_eq!(
        header.join(" "),
        "exporter interface state since bps owner name site"
    );
}

#[test]
fn a_bad_inventory_is_a_config_error_with_its_file_and_line() {
    let w = Workdir::new();
    w.write("inventory.csv", "exporter,name\n10.0.0.1,a\n10.0.0.999,b\n");
    w.write(
        "config.yaml",
        "database: state.db\ninventory: inventory.csv\ncollectors:\n  - {name: fc, local: fc.txt}\n",
    );
    w.run(&["config", "check"]).expect_code(1).expect_stderr(&format!(
        "inventory: {}:3: exporter `10.0.0.999` is not an address, a CIDR (10.1.0.0/24) or an exporter's name",
        w.path("inventory.csv").display()
    ));
}

#[test]
fn an_ignored_exporter_is_in_no_report_total_or_alert_even_for_its_past() {
    let w = polled();
    // .4 went down at 10:05 and alerted then.
    let alerts = || std::fs::read_to_string(w.path("alerts.jsonl")).unwrap();
    assert_eq!(alerts().matches("\"kind\": \"down\"").count(), 1);
    // Then the site is ignored (and .5 by its address): its past goes too.
    w.edit("config.yaml", |c| {
        c.replace(
            "collectors:",
            "ignore:\n  - {site: hq, name: \"edge-*\"}\n  - {exporter: 10.0.0.5}\ncollectors:",
        )
    });
    let window = [
        "--from",
        "2026-11-23T10:00:00Z",
        "--to",
        "2026-11-23T10:15:00Z",
        "--now",
        "2026-11-23T10:15:00Z",
        "--format",
        "csv",
        "--no-header",
    ];
    let run = |cmd: &[&str]| {
        let mut args = vec!["report"];
        args.extend(cmd);
        args.extend(window);
        w.run(&args).ok()
    };
    let status = w
        .run(&["report", "status", "--format", "csv", "--no-header"])
        .ok();
    assert_eq!(
        status,
        "10.0.0.1,,up,2026-11-23T10:00:00Z,10,fc,core-1,hq,false,false\n\
         10.0.0.2,,up,2026-11-23T10:00:00Z,20,fc,branch router,branch,false,false\n"
    );
    assert_eq!(run(&["down"]), "");
    assert_eq!(run(&["downtime", "--all"]).lines().count(), 2);
    // Two keys, no downtime: 100% over 2 x 900 s observed.
    assert_eq!(run(&["downtime", "--total"]), "2,0,0,0,100.000,0,0\n");
    // It comes back: recorded, not alerted, and said only at debug level.
    w.write(
        "fc.txt",
        stats_file(&[
            ("10.0.0.1", 10),
            ("10.0.0.2", 20),
            ("10.0.0.4", 40),
            ("10.0.0.5", 50),
        ]),
    );
    let poll = w.run(&["poll", "--at", "2026-11-23T10:10:00Z"]);
    // Counted apart in the summary line, and its transition not counted there.
    poll.expect_code(0)
        .expect_stderr("2 keys: 2 up, 0 down, 0 unknown, 2 ignored; 0 transitions");
    assert!(!poll.stderr.contains("10.0.0.4"), "{poll}");
    assert_eq!(alerts().matches("\"kind\"").count(), 1, "{}", alerts());
    assert_eq!(w.query("SELECT count(*) FROM event WHERE kind = 4"), 1);
}

#[test]
fn an_ignore_matcher_must_say_what_it_matches() {
    let w = Workdir::new();
    w.write(
        "config.yaml",
        "database: state.db\nignore:\n  - {interface: \"\"}\n  - {}\ncollectors:\n  - {name: fc, local: fc.txt}\n",
    );
    w.run(&["config", "check"])
        .expect_code(1)
        .expect_stderr("ignore[1]: give at least one of exporter, interface, site, name");
    w.edit("config.yaml", |c| c.replace("{}", "{site: lab}"));
    w.run(&["config", "check"])
        .expect_code(1)
        .expect_stderr("ignore[1]: site and name match the inventory's; set inventory:");
}
