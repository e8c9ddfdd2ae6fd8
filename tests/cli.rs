//! The command line: config check, config errors, usage, exit codes.

mod common;

use common::*;

const LEGACY: &str = "---\nAdmin:\n  retry_interval: 300\n\n# List of Flow Collectors\nfcs:\n\
- fc_ip: 192.0.2.10\n  fc_username: admin\n  fc_password: Pa55-legacy\n\
- fc_ip: 192.0.2.11\n  fc_username: admin\n  fc_password: Pa55-legacy\n";

#[test]
fn the_legacy_config_passes_config_check_with_the_password_masked() {
    let w = Workdir::new();
    w.write("config.yaml", LEGACY);
    let run = w.run(&["config", "check"]);
    run.expect_code(0)
        .expect_stderr("is in the old fcstats format (Admin/fcs); it is read as-is")
        .expect_stderr("    password_env: FCSTATS_PASSWORD_2")
        .expect_stderr("holds passwords in plain text (fc_password)");
    assert!(
        run.stdout.contains(
            "- name: 192.0.2.10\n  ssh:\n    host: 192.0.2.10\n    port: 22\n    user: admin\n"
        ),
        "{run}"
    );
    assert_eq!(
        run.stdout
            .matches("password: '******** (inline, legacy fc_password)'")
            .count(),
        2,
        "{run}"
    );
    assert!(
        !run.stdout.contains("Pa55") && !run.stderr.contains("Pa55"),
        "password printed:\n{run}"
    );
}

#[test]
fn config_check_prints_the_resolved_config() {
    let w = Workdir::new();
    w.write(
        "fc.yaml",
        "interval: 2m\ndatabase: /var/tmp/x.db\ncolumns: {interface: Interface}\n\
         collectors:\n  - {name: fc-east, host: 10.1.0.10, password_env: FC_EAST_PW}\n  - {name: here, local: /tmp/stats.txt}\n",
    );
    let run = w.run(&["--config", "fc.yaml", "config", "check"]);
    let file = w.path("fc.yaml");
    run.expect_code(0)
        .expect_stderr("collector fc-east: password_env FC_EAST_PW is not set in this environment")
        .expect_stderr("collector here: the local file /tmp/stats.txt does not exist");
    let want = "interval: 2m\ndatabase: /var/tmp/x.db\nstale_after: 15m\nmax_gap: 6m\nparallel: 8\ncolumns:\n  \
                exporter: Exporter Address\n  interface: Interface\n  bps: Current NetFlow bps\n";
    assert!(
        run.stdout.starts_with(&format!(
            "# {0}: valid; resolved with defaults (secrets masked)\n# database from database: in {0}\n{want}",
            file.display()
        )),
        "{run}"
    );
    assert!(
        run.stdout.contains("    password: env FC_EAST_PW\n"),
        "{run}"
    );
    assert!(
        run.stdout
            .contains("- name: here\n  local: /tmp/stats.txt\n  retries: 2\n"),
        "{run}"
    );
}

#[test]
fn config_check_shows_the_database_poll_would_use_and_where_it_came_from() {
    let w = Workdir::new();
    w.write(
        "config.yaml",
        "database: from-config.db\ncollectors:\n  - {name: fc, host: 10.1.0.10, identity: [nokey], agent: false}\n",
    );
    let dir = w.dir.path().display().to_string();
    let check = |extra: &[&str], env: Option<&str>| {
        let mut cmd = w.command(&[extra, &["config", "check"][..]].concat());
        if let Some(db) = env {
            cmd.env("FCSTATS_DB", db);
        }
        let out = cmd.output().unwrap();
        assert_eq!(out.status.code(), Some(0));
        let stdout = String::from_utf8(out.stdout).unwrap();
        let stderr = String::from_utf8(out.stderr).unwrap();
        let from = stdout.lines().nth(1).unwrap().to_owned();
        let db = stdout
            .lines()
            .find_map(|l| l.strip_prefix("database: "))
            .unwrap()
            .to_owned();
        (from, db, stderr)
    };
    let (from, db, stderr) = check(&[], None);
    assert_eq!(
        from,
        format!("# database from database: in {dir}/config.yaml")
    );
    assert_eq!(db, format!("{dir}/from-config.db"));
    assert!(
        stderr.contains(&format!(
            "collector fc: no usable credential: agent: false, none of the identity files exists \
             ({dir}/nokey), no password_env or password_file"
        )),
        "{stderr}"
    );
    let (from, db, _) = check(&[], Some("env.db"));
    assert_eq!(
        (from.as_str(), db),
        ("# database from $FCSTATS_DB", format!("{dir}/env.db"))
    );
    let (from, db, _) = check(&["--db", "/var/tmp/flag.db"], Some("env.db"));
    assert_eq!(
        (from.as_str(), db.as_str()),
        ("# database from --db", "/var/tmp/flag.db")
    );
}

#[test]
fn fcstats_config_env_names_the_file() {
    let w = Workdir::new();
    w.write(
        "elsewhere.yaml",
        "collectors:\n  - {name: here, local: /tmp/x}\n",
    );
    let out = w
        .command(&["config", "check"])
        .env("FCSTATS_CONFIG", "elsewhere.yaml")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let want = format!("# {}: valid", w.path("elsewhere.yaml").display());
    assert!(String::from_utf8_lossy(&out.stdout).starts_with(&want));
}

#[test]
fn an_unknown_key_exits_1_with_the_line_and_the_nearest_key() {
    let w = Workdir::new();
    w.write(
        "config.yaml",
        "interval: 5m\nstale_afer: 10m\ncollectors: []\n",
    );
    w.run(&["config", "check"]).expect_code(1).expect_stderr(&format!(
        "fcstats: error: {}:2:1: unknown field `stale_afer`, expected one of `interval`, `database`, \
         `stale_after`, `max_gap`, `parallel`, `columns`, `ssh`, `collectors`, `log`, `alerts`, `alert_max_age`, `alert_budget`, `confirm`, `retention`, `signals`, `metrics`, `heartbeat`, `page`, `maintenance`, `outage_start`, `retire_after`, `inventory`, `ignore`; did you mean `stale_after`?",
        w.path("config.yaml").display()
    ));
}

#[test]
fn a_missing_config_says_where_it_looked() {
    let w = Workdir::new();
    w.run(&["poll"])
        .expect_code(1)
        .expect_stderr("no config file: none given with --config or $FCSTATS_CONFIG, and none of ./config.yaml, /etc/fcstats/config.yaml, /app/config.yaml exists");
    w.run(&["-c", "nope.yaml", "poll"])
        .expect_code(1)
        .expect_stderr(&format!(
            "cannot read config file {}: No such file",
            w.path("nope.yaml").display()
        ));
}

#[test]
fn usage_errors_exit_2_and_help_exits_0() {
    let w = Workdir::new();
    w.run(&["poll", "--bogus"]).expect_code(2);
    w.run(&["frobnicate"]).expect_code(2);
    // Bad values are usage errors too, naming the flag (before any config is read).
    for (args, flag) in [
        (&["report", "down", "--since", "abc"][..], "'--since <DUR>'"),
        (
            &["report", "downtime", "--from", "yesterday"][..],
            "'--from <T>'",
        ),
        (&["report", "up", "--now", "soon"][..], "'--now <T>'"),
        (&["poll", "--at", "noon"][..], "'--at <TIME>'"),
        (&["poll", "--every", "5x"][..], "'--every [<DUR>]'"),
    ] {
        w.run(args).expect_code(2).expect_stderr(&format!(
            "invalid value '{}' for {flag}",
            args[args.len() - 1]
        ));
    }
    let help = w.run(&["--help"]);
    help.expect_code(0);
    let text = help.stdout.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(text.contains("Exit codes: 0 success, 1 error, 2 usage, 3 poll done but some collectors failed, 75 another poll holds the lock."), "{help}");
    let poll_help = w.run(&["poll", "--help"]);
    assert!(poll_help.stdout.contains("--at <TIME>"), "{poll_help}");
}

#[test]
fn an_unwritable_database_location_is_an_error_naming_it() {
    let w = Workdir::new();
    w.write("fc.txt", stats_file(&[("10.0.0.1", 5)]));
    w.write("blocker", "a file, not a folder");
    w.write(
        "config.yaml",
        "database: blocker/state.db\ncollectors:\n  - {name: here, local: fc.txt}\n",
    );
    w.run(&["poll"]).expect_code(1).expect_stderr(&format!(
        "fcstats: error: cannot create the database folder {}: File exists",
        w.path("blocker").display()
    ));
}

#[test]
fn config_example_yaml_is_valid() {
    let example = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config.example.yaml");
    let w = Workdir::new();
    let run = w.run(&["--config", example.to_str().unwrap(), "config", "check"]);
    run.expect_code(0)
        .expect_stderr("password_env FC_WEST_PASSWORD is not set");
    assert!(run.stdout.contains("- name: fc-west\n  ssh:\n    host: fc-west.example.net\n    port: 2222\n    user: admin\n"), "{run}");
}

#[test]
fn the_database_folder_is_created_and_log_level_debug_applies() {
    let w = Workdir::new();
    w.write("fc.txt", stats_file(&[("10.0.0.1", 5)]));
    w.write(
        "config.yaml",
        "database: var/lib/fcstats/state.db\nstale_after: 0\nlog: {level: debug}\ncollectors:\n  - {name: here, local: fc.txt}\n",
    );
    w.run(&["poll"])
        .expect_code(0)
        .expect_stderr("fcstats: debug: collector here: ")
        .expect_stderr("1 keys: 1 up, 0 down, 0 unknown; 0 transitions");
    assert!(w.path("var/lib/fcstats/state.db").exists());
    // -q wins over the config's level: only warnings and errors.
    // (In the same second as the last poll, it waits for the next one.)
    let quiet = w.run(&["-q", "poll"]);
    assert_eq!((quiet.code, quiet.stderr.as_str()), (0, ""), "{quiet}");
}

#[test]
fn completions_and_the_man_page_are_generated_from_the_command_line() {
    let w = Workdir::new();
    let bash = w.run(&["completions", "bash"]);
    bash.expect_code(0);
    assert!(bash.stdout.contains("_fcstats()"), "{bash}");
    assert!(bash.stdout.contains("--every"), "{bash}");
    for shell in ["zsh", "fish"] {
        let run = w.run(&["completions", shell]);
        run.expect_code(0);
        assert!(run.stdout.contains("downtime"), "{run}");
    }
    let man = w.run(&["man"]);
    man.expect_code(0);
    assert!(man.stdout.starts_with(".ie \\n(.g .ds Aq"), "{man}");
    assert!(man.stdout.contains(".TH fcstats 1"), "{man}");
    // With --dir, every page the others refer to exists.
    w.run(&["man", "--dir", "man1"]).expect_code(0);
    let mut pages: Vec<String> = std::fs::read_dir(w.path("man1"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    pages.sort();
    assert_eq!(
        pages,
        [
            "fcstats-alerts.1",
            "fcstats-check.1",
            "fcstats-completions.1",
            "fcstats-config-check.1",
            "fcstats-config.1",
            "fcstats-db-undo.1",
            "fcstats-db.1",
            "fcstats-demo.1",
            "fcstats-import-legacy-csv.1",
            "fcstats-import.1",
            "fcstats-maintenance-add.1",
            "fcstats-maintenance-end.1",
            "fcstats-maintenance-list.1",
            "fcstats-maintenance-remove.1",
            "fcstats-maintenance.1",
            "fcstats-man.1",
            "fcstats-metrics.1",
            "fcstats-page.1",
            "fcstats-poll.1",
            "fcstats-report-collectors.1",
            "fcstats-report-down.1",
            "fcstats-report-downtime.1",
            "fcstats-report-history.1",
            "fcstats-report-status.1",
            "fcstats-report-up.1",
            "fcstats-report.1",
            "fcstats.1",
        ]
    );
    for page in &pages {
        let text = std::fs::read_to_string(w.path("man1").join(page)).unwrap();
        for after in text.split("fcstats\\-").skip(1) {
            let name: String = after
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || *c == '\\' || *c == '-')
                .collect();
            if !after[name.len()..].starts_with("(1)") {
                continue; // not a reference, e.g. the page's own NAME line
            }
            let name = name.replace("\\-", "-");
            assert!(
                pages.contains(&format!("fcstats-{name}.1")),
                "{page} refers to fcstats-{name}(1), which was not written"
            );
        }
    }
}

#[test]
fn poll_every_polls_on_the_boundaries_and_stops_on_sigterm() {
    let w = Workdir::new();
    w.write("fc.txt", stats_file(&[("10.0.0.1", 5)]));
    w.write(
        "config.yaml",
        "database: state.db\nstale_after: 0\ncollectors:\n  - {name: here, local: fc.txt}\n",
    );
    let child = w
        .command(&["poll", "--every", "2s"])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Killed if an assertion fails, so that no poller outlives the test.
    struct Reap(u32);
    impl Drop for Reap {
        fn drop(&mut self) {
            let _ = std::process::Command::new("kill")
                .args(["-KILL", &self.0.to_string()])
                .stderr(std::process::Stdio::null())
                .status();
        }
    }
    let _reap = Reap(child.id());
    // Until three polls are recorded (the file may exist before its schema).
    let polls = || {
        if !w.path("state.db").exists() {
            return 0;
        }
        w.db()
            .query_row("SELECT count(*) FROM poll", [], |r| r.get::<_, i64>(0))
            .unwrap_or(0)
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    while std::time::Instant::now() < deadline && polls() < 3 {
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let ats = w.rows("SELECT at FROM poll ORDER BY at");
    assert!(ats.len() >= 3, "{ats:?}");
    // After the first, every poll is on a 2 s boundary.
    let secs: Vec<i64> = ats.iter().map(|a| a.parse().unwrap()).collect();
    assert!(secs[1..].iter().all(|t| t % 2 == 0), "{secs:?}");
    std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("fcstats: polling every 2s until SIGTERM or SIGINT"),
        "{stderr}"
    );
    assert!(
        stderr.ends_with("fcstats: stopping: signal received\n"),
        "{stderr}"
    );
}

#[test]
fn malformed_configs_name_the_place_and_exit_1() {
    let w = Workdir::new();
    for (text, want) in [
        (
            "collectors: [\n  {name: a, host: h\n",
            "config.yaml:3:1: did not find expected ',' or '}'",
        ),
        (
            "parallel: many\ncollectors: []\n",
            "config.yaml:1:11: parallel: invalid type: string \"many\", expected usize",
        ),
        (
            "interval: 5 minutes\ncollectors: []\n",
            "config.yaml:1:11: interval: `5 minutes` is not a duration",
        ),
        (
            "collectors:\n  - {name: a, host: h, port: 99999}\n",
            "config.yaml:2:30: collectors[0].port: invalid value: integer `99999`, expected u16",
        ),
        (
            "collectors:\n  - {name: a, host: h}\n  - {name: a, host: i}\n",
            "collectors: the name `a` is used twice",
        ),
        ("database: x.db\n", "collectors: none configured"),
    ] {
        w.write("config.yaml", text);
        w.run(&["config", "check"])
            .expect_code(1)
            .expect_stderr(want);
    }
}

#[test]
fn an_unreadable_key_file_is_refused_and_a_readable_password_file_warned_about() {
    let w = Workdir::new();
    std::fs::create_dir(w.path("keydir")).unwrap();
    w.write(
        "config.yaml",
        "collectors:\n  - {name: a, host: h, identity: [keydir]}\n",
    );
    w.run(&["config", "check"])
        .expect_code(1)
        .expect_stderr(&format!(
            "{}: collectors[0] (a): identity: cannot read the key file {} (not a file); fix the path or its permissions",
            w.path("config.yaml").display(),
            w.path("keydir").display()
        ));
    w.write("pw", "secret\n");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(w.path("pw"), std::fs::Permissions::from_mode(0o644)).unwrap();
    w.write(
        "config.yaml",
        "collectors:\n  - {name: a, host: h, password_file: pw}\n",
    );
    w.run(&["config", "check"])
        .expect_code(0)
        .expect_stderr(&format!(
            "fcstats: warning: {} hold(s) a password and can be read by other users; run `chmod 600` on it",
            w.path("pw").display()
        ));
    std::fs::set_permissions(w.path("pw"), std::fs::Permissions::from_mode(0o600)).unwrap();
    let quiet = w.run(&["config", "check"]);
    assert!(
        !quiet.stderr.contains("can be read by other users"),
        "{quiet}"
    );
}

/// A report on a terminal (`script` makes a pty that nobody sized: width 0).
fn on_a_pty(w: &Workdir, columns: Option<&str>) -> Vec<String> {
    let bin = env!("CARGO_BIN_EXE_fcstats");
    let mut cmd = std::process::Command::new("script");
    cmd.args(["-qec", &format!("{bin} report status"), "/dev/null"])
        .current_dir(w.path("playground"))
        .env("TZ", "UTC")
        .env_remove("COLUMNS")
        .stdin(std::process::Stdio::null());
    if let Some(c) = columns {
        cmd.env("COLUMNS", c);
    }
    let out = cmd.output().unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| l.trim_end().to_owned())
        .collect()
}

#[test]
fn a_terminal_of_width_0_gets_an_aligned_table_and_columns_is_honoured() {
    let w = Workdir::new();
    w.command(&["demo", "--keep", "playground"])
        .output()
        .unwrap();
    // Width 0 means no limit: the header, the rule, 7 keys and the footer,
    // one line each.
    let lines = on_a_pty(&w, None);
    assert_eq!(lines.len(), 10, "{lines:#?}");
    assert_eq!(
        lines[0],
        " exporter   interface   state      since                 bps      owner     name            site"
    );
    // 10.0.0.6 is in no inventory row: `-` for its name and site.
    assert_eq!(
        lines[2],
        " 10.0.0.6   -           down       2026-11-02 11:05:00   0        fc-west   -               -"
    );
    // COLUMNS=40: every table line fits in 40 columns (cells wrap).
    let narrow = on_a_pty(&w, Some("40"));
    let table = &narrow[..narrow.len() - 1];
    assert!(table.len() > 10, "{narrow:#?}");
    assert!(table.iter().all(|l| l.chars().count() <= 40), "{narrow:#?}");
}

#[test]
fn a_password_typed_into_password_env_is_refused_and_never_echoed() {
    let w = Workdir::new();
    let secret = "Hunter2-s3cret!";
    for text in [
        format!("collectors:\n  - {{name: a, host: h, password_env: '{secret}'}}\n"),
        format!("ssh: {{password_env: '{secret}'}}\ncollectors:\n  - {{name: a, host: h}}\n"),
        format!(
            "alerts:\n  - {{type: email, smtp: 'm:25', from: a@b, to: [c@d], password_env: '{secret}'}}\n\
             collectors:\n  - {{name: a, host: h}}\n"
        ),
    ] {
        w.write("config.yaml", &text);
        for args in [&["config", "check"][..], &["poll"][..]] {
            let run = w.run(args);
            run.expect_code(1)
                .expect_stderr("password_env: must name an environment variable");
            assert!(
                !run.stdout.contains(secret) && !run.stderr.contains(secret),
                "echoed:\n{run}"
            );
        }
    }
    assert!(!w.path("state.db").exists());
}

#[test]
fn an_ambiguous_local_time_is_refused_naming_both_instants() {
    if !std::path::Path::new("/usr/share/zoneinfo/Europe/Berlin").exists() {
        eprintln!("SKIPPED an_ambiguous_local_time...: no tzdata");
        return;
    }
    let w = Workdir::new();
    // 02:30 on 2026-10-25 happens at +02:00 and again at +01:00 in Berlin.
    let out = w
        .command(&["report", "down", "--from", "2026-10-25 02:30"])
        .env("TZ", "Europe/Berlin")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("happens twice in the local time zone (the clock goes back then): give the offset, 2026-10-25T02:30:00+02:00 or 2026-10-25T02:30:00+01:00"),
        "{stderr}"
    );
}
