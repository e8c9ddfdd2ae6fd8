//! Golden files: `fcstats demo` in every format. The demo is scripted, so its
//! reports are exact. `FCSTATS_UPDATE_GOLDEN=1 cargo test --test golden`
//! rewrites the files after a deliberate change; review the diff.

mod common;

use std::path::Path;

use common::*;

fn check(format: &str) {
    let w = Workdir::new();
    let mut cmd = w.command(&["demo", "--format", format]);
    cmd.env("TZ", "UTC");
    let out = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let got = String::from_utf8(out.stdout).unwrap();
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/golden/demo.{format}"));
    if std::env::var_os("FCSTATS_UPDATE_GOLDEN").is_some() {
        std::fs::write(&file, &got).unwrap();
    }
    let want = std::fs::read_to_string(&file).unwrap_or_default();
    assert!(
        got == want,
        "demo --format {format} differs from {}:\n{got}",
        file.display()
    );
}

#[test]
fn demo_tsv() {
    check("tsv");
}

#[test]
fn demo_csv() {
    check("csv");
}

#[test]
fn demo_json() {
    check("json");
}

#[test]
fn demo_table() {
    check("table");
}

#[test]
fn demo_prints_all_five_reports_and_explains_itself_on_stderr() {
    let w = Workdir::new();
    let run = w.run(&["demo"]);
    run.expect_code(0)
        .expect_stderr("demo: two collectors in ")
        .expect_stderr("collector fc-west failed: bad file at line 2: the last line is cut");
    for title in [
        "report status",
        "report collectors",
        "report down",
        "report up",
        "report downtime ",
        "report downtime --total",
    ] {
        assert!(
            run.stdout.contains(&format!("== fcstats {title}")),
            "{title} missing:\n{run}"
        );
    }
}
