//! The five reports over a scripted history built with `poll --at`: one local
//! collector (fc-a) and one sshd collector (fc-b). Every field is checked
//! against values worked out by hand below.
//!
//! Polls every 5 minutes from T0 (2026-11-23T00:00:00Z) to T0+120m, none from
//! +70m to +95m: polls +65m and +100m are 35 min apart, more than max_gap
//! (3 x 5m = 15m), so (65m, 100m) = 2100 s is unobserved for every key.
//! The window is [T0, T0+120m) = 7200 s.
//!
//! - 10.1.0.1 up all along on fc-a, migrates to fc-b at +30m (fc-a keeps it at 0)
//! - 10.1.0.2 on fc-b, flaps: down +20m, up +25m, down +30m, up +35m
//! - 10.1.0.3 on fc-a, first seen down at +0m, up at +15m
//! - 10.1.0.4 on fc-a, vanishes from every file at +50m: unknown at +50m (a
//!   good read missed it once: the file may have been cut on a line
//!   boundary), down at +55m (missed twice)
//! - 10.1.0.5 on fc-b, goes to 0 while fc-b fails (+40m, +45m: file missing),
//!   so the outage is recorded at +50m, back up at +110m
//!
//! fc-b's failure makes 10.1.0.1, .2 and .5 (listed by fc-b) unknown from
//! +40m to +50m: 600 s unobserved for each.

mod common;

use common::*;

const T0: i64 = 1_795_392_000;

fn at(minute: i64) -> String {
    format!("@{}", T0 + minute * 60)
}

fn fc_a(m: i64) -> Vec<(&'static str, u64)> {
    let mut rows = vec![("10.1.0.1", if m < 30 { 1000 } else { 0 })];
    rows.push(("10.1.0.3", if m < 15 { 0 } else { 300 }));
    if m < 50 {
        rows.push(("10.1.0.4", 400));
    }
    rows
}

fn fc_b(m: i64) -> Option<Vec<(&'static str, u64)>> {
    if m == 40 || m == 45 {
        return None;
    }
    let mut rows = Vec::new();
    if m >= 30 {
        rows.push(("10.1.0.1", 1000));
    }
    let flap = m == 20 || m == 30;
    rows.push(("10.1.0.2", if flap { 0 } else { 700 }));
    let five_down = (50..110).contains(&m);
    rows.push(("10.1.0.5", if five_down { 0 } else { 500 }));
    Some(rows)
}

struct Scenario {
    w: Workdir,
    _b: Sshd,
}

impl Scenario {
    fn build() -> Scenario {
        let w = Workdir::new();
        let key = w.keygen("client");
        let b = Sshd::with_key(&w, "fc-b", &key);
        w.write("known_hosts", b.known_hosts_line());
        let fb = w.path("fc-b.txt");
        let local = "  - {name: fc-a, local: fc-a.txt}\n".to_string();
        config(&w, &key, &(local + &ssh_collector("fc-b", &b, &fb)));
        for m in (0..=120).step_by(5) {
            if (70..100).contains(&m) {
                continue;
            }
            w.write("fc-a.txt", stats_file(&fc_a(m)));
            match fc_b(m) {
                Some(rows) => {
                    w.write("fc-b.txt", stats_file(&rows));
                }
                None => {
                    std::fs::remove_file(&fb).ok();
                }
            }
            let run = w.run(&["poll", "--at", &at(m)]);
            let want = if fc_b(m).is_some() { 0 } else { 3 };
            run.expect_code(want);
        }
        Scenario { w, _b: b }
    }

    fn report(&self, args: &[&str]) -> String {
        let mut all = vec!["report"];
        all.extend_from_slice(args);
        let run = self.w.run(&all);
        run.expect_code(0);
        run.stdout
    }

    fn windowed(&self, args: &[&str]) -> String {
        let (from, to) = (at(0), at(120));
        let mut all = args.to_vec();
        all.extend_from_slice(&[
            "--from", &from, "--to", &to, "--now", &to, "--format", "tsv",
        ]);
        self.report(&all)
    }
}

#[test]
fn the_five_reports_match_the_hand_computed_history() {
    let s = Scenario::build();
    let fb = s.w.path("fc-b.txt");

    // 5. status: down first, then by exporter. `since` is when the state was
    // entered; bps is the aggregate at the key's last recorded change (.1 and .2
    // last changed when they left unknown at +50m).
    assert_eq!(
        s.report(&["status", "--format", "tsv"]),
        "exporter\tinterface\tstate\tsince\tbps\towner\tname\tsite\tnot_decoding\tmaintenance\n\
         10.1.0.4\t\tdown\t2026-11-23T00:55:00Z\t0\tfc-a\t\t\tfalse\tfalse\n\
         10.1.0.1\t\tup\t2026-11-23T00:00:00Z\t1000\tfc-b\t\t\tfalse\tfalse\n\
         10.1.0.2\t\tup\t2026-11-23T00:35:00Z\t700\tfc-b\t\t\tfalse\tfalse\n\
         10.1.0.3\t\tup\t2026-11-23T00:15:00Z\t300\tfc-a\t\t\tfalse\tfalse\n\
         10.1.0.5\t\tup\t2026-11-23T01:50:00Z\t500\tfc-b\t\t\tfalse\tfalse\n"
    );
    assert_eq!(
        s.report(&[
            "status",
            "--state",
            "down",
            "--format",
            "tsv",
            "--no-header"
        ]),
        "10.1.0.4\t\tdown\t2026-11-23T00:55:00Z\t0\tfc-a\t\t\tfalse\tfalse\n"
    );

    // Collectors: fc-b recovered at +50m and keeps its last error on record;
    // both were read at the last poll (+120m).
    assert_eq!(
        s.report(&["collectors", "--format", "tsv"]),
        format!(
            "collector\tstate\tsince\tlast_ok\tlast_error\n\
             fc-a\tok\t2026-11-23T00:00:00Z\t2026-11-23T02:00:00Z\t\n\
             fc-b\tok\t2026-11-23T00:50:00Z\t2026-11-23T02:00:00Z\tno such file {} on the collector\n",
            fb.display()
        )
    );

    // 1. down, newest first. outage_s is wall-clock to the return, or to the
    // window's end: .5 60m (+50m..+110m) = 3600; .4 65m (+55m..+120m) = 3900;
    // .2 5m each. The migration of .1 and the baseline of .3 are not here.
    assert_eq!(
        s.windowed(&["down"]),
        "exporter\tinterface\tat\tstate_now\toutage_s\tcollectors\tname\tsite\n\
         10.1.0.4\t\t2026-11-23T00:55:00Z\tdown\t3900\tfc-a\t\t\n\
         10.1.0.5\t\t2026-11-23T00:50:00Z\tup\t3600\tfc-b\t\t\n\
         10.1.0.2\t\t2026-11-23T00:30:00Z\tup\t300\tfc-b\t\t\n\
         10.1.0.2\t\t2026-11-23T00:20:00Z\tup\t300\tfc-b\t\t\n"
    );

    // 2. up, newest first, with the length of the outage that ended: .5
    // +50m..+110m = 3600; .2 300 each; .3 first seen down at +0m, up +15m = 900.
    assert_eq!(
        s.windowed(&["up"]),
        "exporter\tinterface\tat\tstate_now\toutage_s\tcollectors\tname\tsite\n\
         10.1.0.5\t\t2026-11-23T01:50:00Z\tup\t3600\tfc-b\t\t\n\
         10.1.0.2\t\t2026-11-23T00:35:00Z\tup\t300\tfc-b\t\t\n\
         10.1.0.2\t\t2026-11-23T00:25:00Z\tup\t300\tfc-b\t\t\n\
         10.1.0.3\t\t2026-11-23T00:15:00Z\tup\t900\tfc-a\t\t\n"
    );

    // An outage that began before the window: .5 went down at +50m, the
    // window starts at +100m; the outage is still 60 min = 3600 s.
    let (from, to) = (at(100), at(120));
    assert_eq!(
        s.report(&[
            "up",
            "--from",
            &from,
            "--to",
            &to,
            "--now",
            &to,
            "--format",
            "tsv",
            "--no-header"
        ]),
        "10.1.0.5\t\t2026-11-23T01:50:00Z\tup\t3600\tfc-b\t\t\n"
    );

    // 3. downtime per key, most first (gap 2100 s; fc-b unknown 600 s):
    // .4: unknown +50m..+55m (300, unobserved), down +55m..+120m less the
    //     gap: 600 + 1200 = 1800; unobserved 2100+300 = 2400;
    //     availability (7200-2400-1800)/(7200-2400) = 3000/4800 = 62.500
    // .5: down +50m..+110m less the gap: 900 + 600 = 1500 (the unknown +40m..+50m
    //     is not downtime); unobserved 2100+600 = 2700; (4500-1500)/4500 = 66.667
    // .3: +0m..+15m = 900; unobserved 2100; (5100-900)/5100 = 82.353
    // .2: 2 outages of 300: 600, longest 300; unobserved 2700; 3900/4500 = 86.667
    // .1: no downtime: listed only with --all; unobserved 2700
    let header =
        "exporter\tinterface\tdowntime_s\toutages\tlongest_s\tavailability_pct\tunobserved_s\tname\tsite\tmaintenance_s\n";
    let rows = "10.1.0.4\t\t1800\t1\t1800\t62.500\t2400\t\t\t0\n\
                10.1.0.5\t\t1500\t1\t1500\t66.667\t2700\t\t\t0\n\
                10.1.0.3\t\t900\t1\t900\t82.353\t2100\t\t\t0\n\
                10.1.0.2\t\t600\t2\t300\t86.667\t2700\t\t\t0\n";
    assert_eq!(s.windowed(&["downtime"]), format!("{header}{rows}"));
    assert_eq!(
        s.windowed(&["downtime", "--all"]),
        format!("{header}{rows}10.1.0.1\t\t0\t0\t0\t100.000\t2700\t\t\t0\n")
    );
    assert_eq!(
        s.windowed(&["downtime", "--exporter", "10.1.0.2", "--interface", "-"]),
        format!("{header}10.1.0.2\t\t600\t2\t300\t86.667\t2700\t\t\t0\n")
    );

    // 4. total: 5 keys, 4 affected, 1800+1500+900+600 = 4800 s in 5 outages;
    // unobserved 2400+2700+2100+2700+2700 = 12600; observed 5*7200-12600 = 23400;
    // availability (23400-4800)/23400 = 79.487
    assert_eq!(
        s.windowed(&["downtime", "--total"]),
        "keys\tkeys_affected\tdowntime_s\toutages\tavailability_pct\tunobserved_s\tmaintenance_s\n\
         5\t4\t4800\t5\t79.487\t12600\t0\n"
    );

    // A window inside the history, [+20m, +60m) = 2400 s, no gap:
    // .2: outages +20m and +30m, 300 each = 600; unknown +40m..+50m = 600;
    //     (1800-600)/1800 = 66.667
    // .4: unknown +50m..+55m = 300; down +55m..+60m = 300;
    //     (2100-300)/2100 = 85.714
    // .5: +50m..+60m = 600; unknown 600; (1800-600)/1800 = 66.667
    let (from, to) = (at(20), at(60));
    let clipped = s.report(&[
        "downtime",
        "--from",
        &from,
        "--to",
        &to,
        "--now",
        &at(120),
        "--format",
        "tsv",
        "--no-header",
    ]);
    assert_eq!(
        clipped,
        "10.1.0.2\t\t600\t2\t300\t66.667\t600\t\t\t0\n\
         10.1.0.5\t\t600\t1\t600\t66.667\t600\t\t\t0\n\
         10.1.0.4\t\t300\t1\t300\t85.714\t300\t\t\t0\n"
    );
}

#[test]
fn piped_output_is_tsv_without_a_header_so_cut_gives_exporters() {
    let s = Scenario::build();
    let now = at(120);
    let run = s.w.run(&["report", "down", "--since", "2h", "--now", &now]);
    run.expect_code(0);
    let exporters: Vec<&str> = run
        .stdout
        .lines()
        .map(|l| l.split('\t').next().unwrap())
        .collect();
    assert_eq!(exporters, ["10.1.0.4", "10.1.0.5", "10.1.0.2", "10.1.0.2"]);
    // The last 10 minutes as of +120m: nothing went down.
    let quiet =
        s.w.run(&["report", "down", "--since", "10m", "--now", &now]);
    assert_eq!((quiet.code, quiet.stdout.as_str()), (0, ""), "{quiet}");
}

#[test]
fn bad_windows_and_a_missing_database_are_clear_errors() {
    let w = Workdir::new();
    w.write(
        "config.yaml",
        "database: state.db\ncollectors:\n  - {name: here, local: x.txt}\n",
    );
    w.run(&["report", "status"])
        .expect_code(1)
        .expect_stderr(&format!(
            "no database at {}: run `fcstats poll` first",
            w.path("state.db").display()
        ));
    w.write("x.txt", stats_file(&[("10.0.0.1", 5)]));
    w.run(&["poll"]).expect_code(0);
    w.run(&["report", "down", "--since", "ten"])
        .expect_code(2)
        .expect_stderr("invalid value 'ten' for '--since <DUR>': `ten` is not a duration");
    w.run(&["report", "up", "--from", "2026-11-23", "--to", "2026-11-22"])
        .expect_code(1)
        .expect_stderr("is empty: --from must be before --to");
    w.run(&["report", "downtime", "--since", "1h", "--month"])
        .expect_code(2);
    w.run(&["report", "downtime", "--to", "2026-11-22"])
        .expect_code(2);
}
