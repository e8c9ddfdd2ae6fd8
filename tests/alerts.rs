//! Alerts against real receivers: rsyslogd (UDP), an HTTP server in the test
//! process (webhook), aiosmtpd (email), and a shell command (exec).

mod common;

use common::*;

/// Poll times relative to the test's start (one clock reading, so that the
/// distances between polls are exact), recent enough for alert_max_age (1d).
fn ago(mins: i64) -> String {
    static START: std::sync::OnceLock<i64> = std::sync::OnceLock::new();
    let start = *START.get_or_init(|| chrono::Utc::now().timestamp());
    format!("@{}", start - mins * 60)
}

struct Setup {
    w: Workdir,
    rs: Rsyslog,
    hook: Hook,
    smtp: Smtp,
}

impl Setup {
    fn new(extra: &str) -> Setup {
        let w = Workdir::new();
        let rs = Rsyslog::start(&w);
        let hook = Hook::start();
        let smtp = Smtp::start(&w);
        w.write(
            "config.yaml",
            format!(
                "database: state.db\nstale_after: 0\n{extra}\
                 log: {{syslog: {{server: 'udp://127.0.0.1:{}'}}}}\n\
                 alerts:\n  - {{type: syslog}}\n\
                 \x20 - {{type: exec, command: [sh, -c, 'cat >> {}']}}\n\
                 \x20 - {{type: webhook, url: 'http://127.0.0.1:{}/hook', timeout: 2s}}\n\
                 \x20 - {{type: email, smtp: '127.0.0.1:{}', from: fcstats@example.net, to: [noc@example.net], kinds: [down]}}\n\
                 collectors:\n  - {{name: here, local: fc.txt}}\n",
                rs.udp,
                w.path("exec.jsonl").display(),
                hook.port,
                smtp.port,
            ),
        );
        Setup { w, rs, hook, smtp }
    }

    fn poll(&self, at: &str, rows: &[(&str, u64)]) -> Run {
        self.w.write("fc.txt", stats_file(rows));
        self.w.run(&["poll", "--at", at])
    }

    fn exec_lines(&self) -> Vec<String> {
        std::fs::read_to_string(self.w.path("exec.jsonl"))
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    }
}

/// The JSON event without its `at` (which depends on the clock).
fn without_at(json: &str) -> String {
    let start = json.find("\"at\": \"").unwrap();
    let end = start + json[start..].find("\", ").unwrap() + 3;
    format!("{}{}", &json[..start], &json[end..])
}

#[test]
fn a_down_transition_reaches_every_sink_and_a_baseline_none() {
    let s = Setup::new("");
    s.poll(&ago(10), &[("10.0.0.1", 500)]).expect_code(0);
    // Baseline: nothing anywhere.
    assert!(s.exec_lines().is_empty());
    assert!(s.hook.accepted().is_empty());

    s.poll(&ago(5), &[("10.0.0.1", 0)])
        .expect_code(0)
        .expect_stderr("alerts: 4 sent, 0 failed (kept for the next run), 0 dropped");
    let want = r#"{"kind": "down", "exporter": "10.0.0.1", "interface": "", "bps": 0, "collectors": ["here"]}"#;
    let exec = s.exec_lines();
    assert_eq!(exec.len(), 1);
    assert_eq!(without_at(&exec[0]), want);
    let hook = s.hook.accepted();
    assert_eq!(hook.len(), 1);
    assert_eq!(hook[0], exec[0]);
    let lines =
        s.rs.wait_for(|l| l.iter().any(|x| x.contains("fcstats alert {")));
    let alert: Vec<&String> = lines
        .iter()
        .filter(|l| l.contains("fcstats alert {"))
        .collect();
    assert_eq!(alert.len(), 1, "{lines:#?}");
    assert!(
        alert[0].starts_with("imudp local0 warning fcstats fcstats alert {\"kind\": \"down\""),
        "{lines:#?}"
    );
    let mails = s.smtp.mails(1);
    assert_eq!(mails.len(), 1);
    assert!(
        mails[0].contains("Subject: fcstats: down: exporter=10.0.0.1 interface=- collectors=here"),
        "{}",
        mails[0]
    );
    assert!(mails[0].contains("To: noc@example.net"), "{}", mails[0]);
    // Nothing is left to deliver.
    let pending = s.w.run(&["alerts", "--format", "tsv", "--no-header"]);
    assert_eq!(
        (pending.code, pending.stdout.as_str()),
        (0, ""),
        "{pending}"
    );
}

#[test]
fn a_failed_delivery_is_kept_and_sent_once_on_a_later_run() {
    let s = Setup::new("");
    s.poll(&ago(20), &[("10.0.0.1", 0)]).expect_code(0); // first seen down
    s.hook.set_status(500);
    s.poll(&ago(15), &[("10.0.0.1", 700)])
        .expect_code(0)
        .expect_stderr("alert to webhook failed, kept for the next run: up: exporter=10.0.0.1 interface=- collectors=here outage_s=300")
        .expect_stderr("alerts: 2 sent, 1 failed");
    assert_eq!(s.hook.refused().len(), 1);
    let pending = s.w.run(&["alerts", "--format", "tsv", "--no-header"]);
    let cols: Vec<&str> = pending.stdout.trim_end().split('\t').collect();
    assert_eq!(
        cols[2..6],
        [
            "webhook",
            "up",
            "up: exporter=10.0.0.1 interface=- collectors=here outage_s=300",
            "1"
        ],
        "{pending}"
    );
    assert!(cols[7].contains("500"), "{pending}");

    // The webhook is back: the next run delivers it, once.
    s.hook.set_status(200);
    s.poll(&ago(10), &[("10.0.0.1", 700)])
        .expect_code(0)
        .expect_stderr("alerts: 1 sent, 0 failed");
    s.poll(&ago(5), &[("10.0.0.1", 700)]).expect_code(0);
    let hook = s.hook.accepted();
    assert_eq!(hook.len(), 1, "{hook:#?}");
    assert_eq!(
        without_at(&hook[0]),
        r#"{"kind": "up", "exporter": "10.0.0.1", "interface": "", "outage_s": 300, "bps": 700, "collectors": ["here"]}"#
    );
    // The exec sink got it once, at the first run.
    assert_eq!(s.exec_lines().len(), 1);
    let pending = s.w.run(&["alerts", "--format", "tsv", "--no-header"]);
    assert_eq!(pending.stdout, "");
}

#[test]
fn alerts_older_than_alert_max_age_are_dropped_and_logged() {
    let s = Setup::new("alert_max_age: 30m\n");
    s.hook.set_status(500);
    s.poll(&ago(120), &[("10.0.0.1", 500)]).expect_code(0);
    // Two hours ago: every alert of this poll is past the 30 min cap at once.
    s.poll(&ago(115), &[("10.0.0.1", 0)])
        .expect_code(0)
        .expect_stderr("fcstats: warning: 4 alerts dropped, not sent: it is older than alert_max_age (1800s; raised ")
        .expect_stderr("alerts: 0 sent, 0 failed (kept for the next run), 4 dropped");
    assert!(s.hook.refused().is_empty());
    assert!(s.exec_lines().is_empty());
}

#[test]
fn alerts_test_sends_through_every_sink_and_names_the_ones_that_fail() {
    let s = Setup::new("");
    let run = s.w.run(&["alerts", "--test", "--format", "tsv"]);
    run.expect_code(0);
    assert_eq!(
        run.stdout,
        "sink\tresult\nsyslog\tsent\nexec\tsent\nwebhook\tsent\nemail\tsent\n"
    );
    assert_eq!(
        without_at(&s.exec_lines()[0]),
        r#"{"kind": "test", "collectors": []}"#
    );
    assert_eq!(s.hook.accepted().len(), 1);
    assert!(s.smtp.mails(1)[0].contains("Subject: fcstats: test: fcstats alert test"));

    s.hook.set_status(503);
    let run =
        s.w.run(&["alerts", "--test", "--format", "tsv", "--no-header"]);
    run.expect_code(1);
    assert!(
        run.stdout
            .contains("webhook\tfailed: POST http://127.0.0.1:"),
        "{run}"
    );
    assert!(run.stdout.contains("503"), "{run}");
}

#[test]
fn a_dead_webhook_is_tried_once_per_run_and_everything_waits_for_the_next() {
    let s = Setup::new("");
    s.hook.set_status(500);
    s.poll(
        &ago(10),
        &[("10.0.0.1", 500), ("10.0.0.2", 500), ("10.0.0.3", 500)],
    )
    .expect_code(0);
    // Three keys go down at once: three alerts for the webhook, one try.
    s.poll(
        &ago(5),
        &[("10.0.0.1", 0), ("10.0.0.2", 0), ("10.0.0.3", 0)],
    )
    .expect_code(0)
    .expect_stderr("alerts: 9 sent, 3 failed (kept for the next run), 0 dropped");
    assert_eq!(s.hook.refused().len(), 1);
    s.hook.set_status(200);
    s.poll(
        &ago(1),
        &[("10.0.0.1", 0), ("10.0.0.2", 0), ("10.0.0.3", 0)],
    )
    .expect_code(0)
    .expect_stderr("alerts: 3 sent, 0 failed");
    let exporters: Vec<String> = s
        .hook
        .accepted()
        .iter()
        .map(|b| b.split('"').nth(7).unwrap().to_owned())
        .collect();
    assert_eq!(exporters, ["10.0.0.1", "10.0.0.2", "10.0.0.3"]);
}

#[test]
fn a_webhook_that_redirects_is_a_failed_delivery_naming_where_and_nothing_is_lost() {
    let s = Setup::new("");
    // Where the redirect points: it would answer 200 to anything.
    let elsewhere = Hook::start();
    let to = format!("http://127.0.0.1:{}/moved?token=s3cr3t", elsewhere.port);
    s.poll(&ago(20), &[("10.0.0.1", 700)]).expect_code(0);
    for code in [301, 302, 307, 308] {
        s.hook.redirect(code, &to);
        let run =
            s.w.run(&["alerts", "--test", "--format", "tsv", "--no-header"]);
        run.expect_code(1);
        let shown = format!("http://127.0.0.1:{}/…", elsewhere.port);
        assert!(
            run.stdout.contains(&format!(
                "webhook\tfailed: POST http://127.0.0.1:{}/…: the server redirects ({code} ",
                s.hook.port
            )) && run
                .stdout
                .contains(&format!("to {shown}: a webhook is never redirected")),
            "{run}"
        );
        assert!(!run.stdout.contains("s3cr3t"), "{run}");
    }
    // A real alert: kept in the outbox, not delivered by a GET elsewhere.
    s.poll(&ago(15), &[("10.0.0.1", 0)])
        .expect_code(0)
        .expect_stderr("alert to webhook failed, kept for the next run: down: exporter=10.0.0.1");
    assert!(
        elsewhere.requests().is_empty(),
        "{:?}",
        elsewhere.requests()
    );
    assert!(s
        .hook
        .requests()
        .iter()
        .all(|r| r.starts_with("POST /hook ")));
    let pending = s.w.run(&["alerts", "--format", "tsv", "--no-header"]);
    assert_eq!(pending.stdout.lines().count(), 1, "{pending}");
    assert!(pending.stdout.contains("\twebhook\tdown\t"), "{pending}");
}

#[test]
fn a_webhook_token_or_smtp_password_appears_in_no_output_log_database_or_alert() {
    let w = Workdir::new();
    let hook = Hook::start();
    hook.set_status(500);
    let url = format!(
        "http://user:pw-SECRET1@127.0.0.1:{}/hook/T0/SECRET2?key=SECRET3",
        hook.port
    );
    w.write(
        "config.yaml",
        format!(
            "database: state.db\nstale_after: 0\nlog: {{file: fcstats.log, level: debug}}\n\
             alerts:\n  - {{type: webhook, url: '{url}', timeout: 2s}}\n\
             \x20 - {{type: email, smtp: '127.0.0.1:9', from: a@example.net, to: [b@example.net], \
             username_env: SMTP_USER, password_env: SMTP_PW, timeout: 2s}}\n\
             collectors:\n  - {{name: here, local: fc.txt}}\n"
        ),
    );
    let mut seen = String::new();
    let mut run = |args: &[&str]| {
        let out = w
            .command(args)
            .env("SMTP_USER", "noc")
            .env("SMTP_PW", "smtp-SECRET4")
            .output()
            .unwrap();
        seen.push_str(&String::from_utf8_lossy(&out.stdout));
        seen.push_str(&String::from_utf8_lossy(&out.stderr));
    };
    w.write("fc.txt", stats_file(&[("10.0.0.1", 700)]));
    run(&["-vv", "poll", "--at", &ago(10)]);
    w.write("fc.txt", stats_file(&[("10.0.0.1", 0)]));
    run(&["-vv", "poll", "--at", &ago(5)]);
    run(&["alerts", "--format", "json"]);
    run(&["alerts", "--test", "--format", "json"]);
    run(&["config", "check"]);
    seen.push_str(&std::fs::read_to_string(w.path("fcstats.log")).unwrap());
    seen.push_str(&String::from_utf8_lossy(
        &std::fs::read(w.path("state.db")).unwrap(),
    ));
    for body in hook.refused() {
        seen.push_str(&body);
    }
    // The delivery was tried (and failed) and the URL was shown, masked.
    assert!(
        seen.contains(&format!("POST http://127.0.0.1:{}/…", hook.port)),
        "{seen}"
    );
    // The email sink was tried too (its server is not there).
    assert!(seen.contains("SMTP 127.0.0.1:9"), "{seen}");
    for secret in ["SECRET1", "SECRET2", "SECRET3", "SECRET4"] {
        assert!(!seen.contains(secret), "{secret} leaked:\n{seen}");
    }
}

#[test]
fn alert_delivery_stops_when_alert_budget_is_spent_and_the_rest_waits() {
    let w = Workdir::new();
    w.write(
        "config.yaml",
        format!(
            "database: state.db\nstale_after: 0\nalert_budget: 1s\n\
             alerts:\n  - {{type: exec, command: [sh, -c, 'sleep 1; cat >> {}']}}\n\
             collectors:\n  - {{name: here, local: fc.txt}}\n",
            w.path("sent.jsonl").display()
        ),
    );
    let keys = ["10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.5"];
    let rows = |bps| keys.iter().map(|k| (*k, bps)).collect::<Vec<_>>();
    w.write("fc.txt", stats_file(&rows(5)));
    w.run(&["poll", "--at", &ago(10)]).expect_code(0);
    // Five downs; each delivery takes at least 1 s, the budget is 1 s: the
    // first is sent (at 0 s), the four others wait for the next poll.
    w.write("fc.txt", stats_file(&rows(0)));
    w.run(&["poll", "--at", &ago(5)])
        .expect_code(0)
        .expect_stderr("alerts: 1 sent, 0 failed (kept for the next run), 0 dropped, 4 deferred")
        .expect_stderr("alert_budget (1s) spent: 4 alerts left in the outbox for the next poll");
    let lines = || {
        std::fs::read_to_string(w.path("sent.jsonl"))
            .unwrap_or_default()
            .lines()
            .count()
    };
    assert_eq!(lines(), 1);
    w.run(&["poll"])
        .expect_code(0)
        .expect_stderr("alerts: 1 sent, 0 failed (kept for the next run), 0 dropped, 3 deferred");
    assert_eq!(lines(), 2);
}

/// `alerts --test` through one exec sink running `script` (sh -c) with `timeout`.
fn exec_test(script: &str, timeout: &str) -> Run {
    let w = Workdir::new();
    w.write(
        "config.yaml",
        format!(
            "database: state.db\nalerts:\n  - {{type: exec, command: [sh, -c, '{script}'], timeout: {timeout}}}\n\
             collectors:\n  - {{name: here, local: fc.txt}}\n"
        ),
    );
    w.run(&["alerts", "--test", "--format", "tsv", "--no-header"])
}

#[test]
fn an_exec_sink_that_fails_after_much_stderr_is_a_failure_not_a_timeout() {
    // 200 kB of stderr fills the pipe many times over.
    let run = exec_test("echo boom >&2; head -c 200000 /dev/zero >&2; exit 3", "10s");
    run.expect_code(1);
    assert_eq!(
        run.stdout, "exec\tfailed: sh failed (exit status: 3): boom\n",
        "{run}"
    );
}

#[test]
fn an_exec_sink_whose_background_child_holds_stderr_does_not_hold_the_poll() {
    // The command fails at once; its background child keeps stderr open 30 s.
    let run = exec_test("sleep 30 & echo nope >&2; exit 1", "10s");
    run.expect_code(1);
    assert_eq!(
        run.stdout, "exec\tfailed: sh failed (exit status: 1): nope\n",
        "{run}"
    );
    // Its stderr is waited for at most 1 s, not the 30 s the child lives.
    assert!(run.elapsed.as_secs() < 10, "{:?}", run.elapsed);
}

#[test]
fn an_exec_sink_timeout_kills_the_command_and_its_children() {
    let run = exec_test("sleep 317 & sleep 317", "1s");
    run.expect_code(1);
    assert_eq!(
        run.stdout,
        "exec\tfailed: sh did not finish within 1s (timeout); it and its children were killed\n",
        "{run}"
    );
    let left = std::process::Command::new("pgrep")
        .args(["-f", "sleep 317"])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&left.stdout), "", "orphans left");
}

#[test]
fn an_exec_sink_that_never_reads_a_large_payload_times_out_on_time() {
    // A 70 kB exporter name makes a payload larger than a pipe holds.
    let w = Workdir::new();
    let long = "x".repeat(70_000);
    w.write(
        "config.yaml",
        "database: state.db\nstale_after: 0\nalerts:\n  - {type: exec, command: [sleep, '30'], timeout: 2s}\n\
         collectors:\n  - {name: here, local: fc.txt}\n",
    );
    w.write("fc.txt", stats_file(&[(long.as_str(), 5)]));
    w.run(&["poll", "--at", &ago(10)]).expect_code(0);
    w.write("fc.txt", stats_file(&[(long.as_str(), 0)]));
    let run = w.run(&["poll", "--at", &ago(5)]);
    run.expect_code(0)
        .expect_stderr("sleep did not finish within 2s (timeout); it and its children were killed");
    // 2 s of timeout, not the 30 s `sleep` would have held the write.
    assert!(run.elapsed.as_secs() < 15, "{:?}", run.elapsed);
    let again = w.run(&["alerts", "--format", "tsv", "--no-header"]);
    assert_eq!(
        again.stdout.lines().count(),
        1,
        "kept for the next run:\n{again}"
    );
}
