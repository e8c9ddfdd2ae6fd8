//! Faults: each gives one clear line naming the collector and the cause, exit 3
//! while another collector was read, and leaves that collector's exporters
//! unknown, never down. And what is accepted as good.

mod common;

use common::*;

const GOOD: &[(&str, u64)] = &[("10.0.0.1", 500)];
const BAD: &[(&str, u64)] = &[("10.0.9.1", 700)];

/// `good` and `bad` local collectors, polled once with good files.
fn setup() -> Workdir {
    let w = Workdir::new();
    w.write("good.txt", stats_file(GOOD));
    w.write("bad.txt", stats_file(BAD));
    w.write(
        "config.yaml",
        "database: state.db\nstale_after: 0\nssh: {retries: 0}\ncollectors:\n  \
         - {name: good, local: good.txt}\n  - {name: bad, local: bad.txt}\n",
    );
    w.run(&["poll", "--at", "2026-11-23T10:00:00Z"])
        .expect_code(0);
    w
}

fn status_of(w: &Workdir, exporter: &str) -> String {
    let run = w.run(&["report", "status", "--format", "tsv", "--no-header"]);
    run.stdout
        .lines()
        .find(|l| l.starts_with(&format!("{exporter}\t")))
        .map(|l| l.split('\t').nth(2).unwrap().to_owned())
        .unwrap_or_default()
}

fn header() -> String {
    stats_file(&[]).trim_end().to_owned()
}

fn row(exporter: &str, bps: &str) -> String {
    let mut fields = vec![exporter.to_string(), "1".into()];
    fields.extend((2..43).map(|_| "0".to_string()));
    fields.extend([bps.to_string(), "0".into(), "0".into()]);
    fields.join("\t")
}

fn check_fault(content: Vec<u8>, want: &str) {
    let w = setup();
    w.write("bad.txt", content);
    let run = w.run(&["poll", "--at", "2026-11-23T10:05:00Z"]);
    run.expect_code(3)
        .expect_stderr(&format!("fcstats: error: collector bad failed: {want}"));
    assert_eq!(
        run.stderr.matches("collector bad failed").count(),
        1,
        "{run}"
    );
    assert_eq!(status_of(&w, "10.0.9.1"), "unknown", "{want}");
    assert_eq!(status_of(&w, "10.0.0.1"), "up");
    assert_eq!(
        w.query("SELECT count(*) FROM event WHERE kind IN (3, 4)"),
        0,
        "{want}"
    );
}

#[test]
fn a_zero_byte_file() {
    check_fault(
        Vec::new(),
        "bad file at line 1: empty file (no header line)",
    );
}

#[test]
fn a_header_only_file_from_a_collector_that_listed_exporters() {
    check_fault(
        format!("{}\n", header()).into_bytes(),
        "the file lists no exporters, but it listed 1 at the last good read: treated as a bad read",
    );
}

#[test]
fn a_missing_column() {
    let text = stats_file(BAD).replace("Current NetFlow bps", "Current bps");
    check_fault(
        text.into_bytes(),
        "bad file at line 1, column `Current NetFlow bps`: the header has no column `Current NetFlow bps` (check `columns:` in the config)",
    );
}

#[test]
fn non_numeric_and_negative_bps() {
    for (bps, want) in [("abc", "`abc`"), ("-5", "`-5`")] {
        check_fault(
            format!("{}\n{}\n", header(), row("10.0.9.1", bps)).into_bytes(),
            &format!("bad file at line 2, column `Current NetFlow bps`: {want} is not a non-negative number"),
        );
    }
}

#[test]
fn a_short_row() {
    check_fault(
        format!("{}\n10.0.9.1\t1\t700\n", header()).into_bytes(),
        "bad file at line 2: 3 fields where the header has 46",
    );
}

#[test]
fn a_cut_last_line() {
    let mut text = stats_file(&[("10.0.9.1", 700), ("10.0.9.2", 1)]);
    text.truncate(text.len() - 30);
    check_fault(
        text.into_bytes(),
        "bad file at line 3: the last line is cut (",
    );
}

#[test]
fn binary_garbage() {
    let garbage: Vec<u8> = (0..4096u32).map(|i| (i * 7919 % 251) as u8).collect();
    check_fault(
        garbage,
        "bad file at line 1: not text (binary or non-UTF-8 data)",
    );
}

#[test]
fn a_file_larger_than_max_bytes() {
    let w = setup();
    w.edit("config.yaml", |c| {
        c.replace(
            "{name: bad, local: bad.txt}",
            "{name: bad, local: bad.txt, max_bytes: 1KiB}",
        )
    });
    w.write("bad.txt", stats_file(&[("10.0.9.1", 700); 20]));
    w.run(&["poll", "--at", "2026-11-23T10:05:00Z"])
        .expect_code(3)
        .expect_stderr("collector bad failed: the file is larger than max_bytes (1KiB)");
    assert_eq!(status_of(&w, "10.0.9.1"), "unknown");
}

#[test]
fn crlf_bom_trailing_tabs_extra_columns_and_column_order_are_good() {
    let crlf = stats_file(BAD).replace('\n', "\r\n");
    let bom = format!("\u{feff}{}", stats_file(BAD));
    let trailing = stats_file(BAD).replace('\n', "\t\n");
    let extra =
        stats_file(BAD)
            .replace('\n', "\tEXTRA\n")
            .replacen("\tEXTRA\n", "\tNew Column\n", 1);
    let reordered = {
        let text = stats_file(BAD);
        let lines: Vec<String> = text
            .lines()
            .map(|l| {
                let mut f: Vec<&str> = l.split('\t').collect();
                f.reverse();
                f.join("\t")
            })
            .collect();
        lines.join("\n") + "\n"
    };
    for (name, text) in [
        ("crlf", crlf),
        ("bom", bom),
        ("trailing tabs", trailing),
        ("extra column", extra),
        ("reordered", reordered),
    ] {
        let w = setup();
        w.write("bad.txt", text);
        let run = w.run(&["poll", "--at", "2026-11-23T10:05:00Z"]);
        assert_eq!(run.code, 0, "{name}:\n{run}");
        assert_eq!(status_of(&w, "10.0.9.1"), "up", "{name}");
    }
}

#[test]
fn permission_denied_over_sftp() {
    if !is_root() {
        skip("permission_denied_over_sftp: needs root to log in as another account");
        return;
    }
    // Dropped last, after the sshd its sessions ran under.
    let account = common::account::Account::create();
    let user = account.name.as_str();
    let w = Workdir::new();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(w.dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let key = w.keygen("client");
    let (sshd, file) = single(&w, "fc", &key, &[("10.0.0.1", 5)]);
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
    config(&w, &key, &ssh_collector("fc", &sshd, &file));
    w.edit("config.yaml", |c| {
        c.replace(
            &format!("user: {}", current_user()),
            &format!("user: {user}"),
        )
    });
    w.run(&["poll"]).expect_code(1).expect_stderr(&format!(
        "collector fc failed: permission denied reading {} as {user}",
        file.display()
    ));
}

#[test]
fn confirm_holds_a_transition_until_n_polls_agree_and_dates_it_at_the_first() {
    let w = Workdir::new();
    w.write(
        "config.yaml",
        "database: state.db\nstale_after: 0\nconfirm: {down: 3, up: 2}\ncollectors:\n  - {name: here, local: fc.txt}\n",
    );
    let poll = |at: &str, bps: u64| {
        w.write("fc.txt", stats_file(&[("10.0.0.1", bps), ("10.0.0.2", 5)]));
        w.run(&["poll", "--at", at])
    };
    poll("2026-11-23T10:00:00Z", 500).expect_code(0);
    // One zero, then back: a flap, never recorded.
    poll("2026-11-23T10:05:00Z", 0)
        .expect_code(0)
        .expect_stderr("0 transitions");
    poll("2026-11-23T10:10:00Z", 500)
        .expect_code(0)
        .expect_stderr("0 transitions");
    // Three zeros in a row: down, dated at the first of them.
    poll("2026-11-23T10:15:00Z", 0)
        .expect_code(0)
        .expect_stderr("0 transitions");
    poll("2026-11-23T10:20:00Z", 0)
        .expect_code(0)
        .expect_stderr("0 transitions");
    poll("2026-11-23T10:25:00Z", 0)
        .expect_code(0)
        .expect_stderr("1 transition;")
        .expect_stderr("down: exporter=10.0.0.1");
    // Two polls up: up, dated at the first.
    poll("2026-11-23T10:30:00Z", 500)
        .expect_code(0)
        .expect_stderr("0 transitions");
    poll("2026-11-23T10:35:00Z", 500)
        .expect_code(0)
        .expect_stderr("1 transition;");
    let win = [
        "--from",
        "2026-11-23T10:00:00Z",
        "--to",
        "2026-11-23T10:40:00Z",
        "--now",
        "2026-11-23T10:40:00Z",
        "--format",
        "tsv",
        "--no-header",
    ];
    let down = w.run(&[&["report", "down"][..], &win[..]].concat());
    assert_eq!(
        down.stdout, "10.0.0.1\t\t2026-11-23T10:15:00Z\tup\t900\there\t\t\n",
        "{down}"
    );
    // Downtime 10:15..10:30 = 900 s, exact despite the confirmation delay.
    let dt = w.run(&[&["report", "downtime"][..], &win[..]].concat());
    assert_eq!(
        dt.stdout, "10.0.0.1\t\t900\t1\t900\t62.500\t0\t\t\t0\n",
        "{dt}"
    );
}

#[test]
fn a_name_that_does_not_resolve() {
    if !is_root() {
        skip("needs root for a network namespace without a resolver");
        return;
    }
    // In a network namespace of its own, the lookup fails at once and no DNS
    // query leaves this machine.
    let w = setup();
    w.edit("config.yaml", |c| {
        c.replace(
            "collectors:\n",
            "collectors:\n  - {name: far, host: fc-nowhere.invalid}\n",
        )
    });
    let mut cmd = std::process::Command::new("unshare");
    cmd.arg("-n")
        .arg(env!("CARGO_BIN_EXE_fcstats"))
        .args(["poll", "--at", "2026-11-23T10:05:00Z"]);
    cmd.current_dir(w.dir.path())
        .env("HOME", w.dir.path())
        .env_remove("FCSTATS_DB");
    let out = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains(
            "fcstats: error: collector far failed: cannot resolve host fc-nowhere.invalid: "
        ),
        "{stderr}"
    );
    assert_eq!(status_of(&w, "10.0.9.1"), "up");
}

#[test]
fn a_file_caught_mid_rewrite_on_a_line_boundary_makes_the_missing_keys_unknown_not_down() {
    let w = Workdir::new();
    let key = w.keygen("client");
    let names: Vec<String> = (0..3000)
        .map(|i| format!("10.1.{}.{}", i / 250, i % 250))
        .collect();
    let rows: Vec<(&str, u64)> = names.iter().map(|n| (n.as_str(), 5)).collect();
    let (sshd, file) = single(&w, "fc", &key, &rows);
    config(&w, &key, &ssh_collector("fc", &sshd, &file));
    w.run(&["poll", "--at", "2026-11-23T10:00:00Z"])
        .expect_code(0)
        .expect_stderr("3000 keys: 3000 up");
    // The collector rewrites its file in place and pauses after row 1000, a
    // complete line: size and mtime are stable while fcstats reads it.
    let full = stats_file(&rows);
    let cut = full.match_indices('\n').nth(1000).unwrap().0 + 1;
    {
        use std::io::Write;
        let mut writer = std::fs::File::create(&file).unwrap();
        writer.write_all(&full.as_bytes()[..cut]).unwrap();
        writer.flush().unwrap();
        // 1000 rows read: the other 2000 are unknown, never down.
        w.run(&["poll", "--at", "2026-11-23T10:05:00Z"])
            .expect_code(0)
            .expect_stderr("3000 keys: 1000 up, 0 down, 2000 unknown; 0 transitions");
        writer.write_all(&full.as_bytes()[cut..]).unwrap();
    }
    w.run(&["poll", "--at", "2026-11-23T10:10:00Z"])
        .expect_code(0)
        .expect_stderr("3000 keys: 3000 up, 0 down, 0 unknown; 0 transitions");
    assert_eq!(
        w.query("SELECT count(*) FROM event WHERE kind IN (3, 4)"),
        0,
        "no down or up was recorded"
    );
    // An exporter really gone: missing from two good reads in a row, it is down.
    std::fs::write(&file, stats_file(&rows[1..])).unwrap();
    w.run(&["poll", "--at", "2026-11-23T10:15:00Z"])
        .expect_code(0)
        .expect_stderr("2999 up, 0 down, 1 unknown; 0 transitions");
    w.run(&["poll", "--at", "2026-11-23T10:20:00Z"])
        .expect_code(0)
        .expect_stderr("2999 up, 1 down, 0 unknown; 1 transition");
}

#[test]
fn any_positive_bps_is_up_and_huge_ones_never_turn_negative() {
    let w = Workdir::new();
    let file = |rows: &[(&str, &str)]| {
        let mut text = header();
        for (e, bps) in rows {
            text.push('\n');
            text.push_str(&row(e, bps));
        }
        text + "\n"
    };
    w.write(
        "a.txt",
        file(&[
            ("10.0.0.1", "0.4"),
            ("10.0.0.2", "1e-400"),
            ("10.0.0.3", "18446744073709551616"),
            ("10.0.0.4", "9223372036854775807"),
            ("10.0.0.5", "0"),
        ]),
    );
    w.write("b.txt", file(&[("10.0.0.4", "9223372036854775807")]));
    w.write(
        "config.yaml",
        "database: state.db\nstale_after: 0\ncollectors:\n  \
         - {name: a, local: a.txt}\n  - {name: b, local: b.txt}\n",
    );
    w.run(&["poll", "--at", "2026-11-23T10:00:00Z"])
        .expect_code(0)
        .expect_stderr("5 keys: 4 up, 1 down");
    // .4's sum over both collectors saturates at the largest stored value.
    let run = w.run(&["report", "status", "--format", "tsv", "--no-header"]);
    let bps: Vec<(String, String)> = run
        .stdout
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            (f[0].to_owned(), f[4].to_owned())
        })
        .collect();
    assert_eq!(
        bps,
        [
            ("10.0.0.5", "0"),
            ("10.0.0.1", "1"),
            ("10.0.0.2", "1"),
            ("10.0.0.3", "9223372036854775807"),
            ("10.0.0.4", "9223372036854775807"),
        ]
        .map(|(a, b)| (a.to_owned(), b.to_owned()))
    );
}

#[test]
fn a_header_naming_the_bps_column_twice_fails_the_collector() {
    let text = format!(
        "{}\tCurrent NetFlow bps\n{}\t5\n",
        header(),
        row("10.0.9.1", "0")
    );
    check_fault(
        text.into_bytes(),
        "bad file at line 1, column `Current NetFlow bps`: the header has column `Current NetFlow bps` twice (fields 44 and 47)",
    );
}

#[test]
fn control_characters_in_exporter_names_are_escaped_on_the_terminal_and_in_the_log() {
    let w = Workdir::new();
    let hostile = "10.0.0.1\u{1b}[2J\rforged";
    w.write(
        "config.yaml",
        "database: state.db\nstale_after: 0\nlog: {file: fcstats.log}\ncollectors:\n  - {name: here, local: fc.txt}\n",
    );
    w.write("fc.txt", stats_file(&[(hostile, 5)]));
    w.run(&["poll", "--at", "2026-11-23T10:00:00Z"])
        .expect_code(0);
    w.write("fc.txt", stats_file(&[(hostile, 0)]));
    let run = w.run(&["poll", "--at", "2026-11-23T10:05:00Z"]);
    run.expect_code(0)
        .expect_stderr("down: exporter=10.0.0.1\\u{1b}[2J\\rforged interface=-");
    let table = w.run(&["report", "status", "--format", "table"]);
    let log = std::fs::read_to_string(w.path("fcstats.log")).unwrap();
    for (what, text) in [
        ("stderr", &run.stderr),
        ("table", &table.stdout),
        ("log", &log),
    ] {
        assert!(
            !text.contains('\u{1b}') && !text.contains('\r'),
            "{what}: {text:?}"
        );
    }
    assert!(
        table.stdout.contains("10.0.0.1\\u{1b}[2J\\rforged"),
        "{table}"
    );
    assert!(
        log.contains("exporter=10.0.0.1\\u{1b}[2J\\rforged"),
        "{log}"
    );
}
