//! Logging: the log file and a real rsyslogd on loopback UDP and TCP.

mod common;

use std::time::Duration;

use common::*;

/// A local collector whose exporter 10.0.0.1 is up, then down.
fn two_polls(w: &Workdir, log_section: &str) -> (Run, Run) {
    w.write("fc.txt", stats_file(&[("10.0.0.1", 500), ("10.0.0.2", 7)]));
    w.write(
        "config.yaml",
        format!("database: state.db\nstale_after: 0\n{log_section}collectors:\n  - {{name: here, local: fc.txt}}\n"),
    );
    let first = w.run(&["poll", "--at", "2026-11-23T10:00:00Z"]);
    w.write("fc.txt", stats_file(&[("10.0.0.1", 0), ("10.0.0.2", 7)]));
    let second = w.run(&["poll", "--at", "2026-11-23T10:05:00Z"]);
    (first, second)
}

#[test]
fn transitions_and_summaries_reach_rsyslog_over_udp_in_rfc5424() {
    let w = Workdir::new();
    let rs = Rsyslog::start(&w);
    let section = format!(
        "log:\n  syslog: {{server: 'udp://127.0.0.1:{}', facility: local3}}\n",
        rs.udp
    );
    let (a, b) = two_polls(&w, &section);
    a.expect_code(0);
    b.expect_code(0);
    let lines = rs.wait_for(|l| l.iter().filter(|x| x.contains("poll at")).count() >= 2);
    assert!(
        lines.contains(&"imudp local3 warning fcstats down: exporter=10.0.0.1 interface=- collectors=here bps=0".to_string()),
        "{lines:#?}"
    );
    let summaries: Vec<&String> = lines.iter().filter(|l| l.contains("poll at")).collect();
    assert_eq!(summaries.len(), 2, "{lines:#?}");
    assert!(summaries[0].starts_with(
        "imudp local3 info fcstats poll at 2026-11-23T10:00:00Z: 1/1 collectors read"
    ));
}

#[test]
fn over_tcp_in_rfc3164_each_message_is_a_record_of_its_own() {
    let w = Workdir::new();
    let rs = Rsyslog::start(&w);
    let section = format!(
        "log:\n  syslog: {{server: 'tcp://127.0.0.1:{}', format: rfc3164}}\n",
        rs.tcp
    );
    let (a, b) = two_polls(&w, &section);
    a.expect_code(0);
    b.expect_code(0);
    let lines = rs.wait_for(|l| l.len() >= 3);
    // Two summaries and one transition, three records: none merged.
    assert_eq!(lines.len(), 3, "{lines:#?}");
    assert!(
        lines[0].starts_with("imtcp local0 info fcstats poll at 2026-11-23T10:00:00Z"),
        "{lines:#?}"
    );
    assert_eq!(
        lines[1],
        "imtcp local0 warning fcstats down: exporter=10.0.0.1 interface=- collectors=here bps=0"
    );
    assert!(
        lines[2].starts_with("imtcp local0 info fcstats poll at 2026-11-23T10:05:00Z"),
        "{lines:#?}"
    );
}

#[test]
fn a_dead_log_server_does_not_fail_the_poll_and_is_named_once() {
    let w = Workdir::new();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let section = format!("log:\n  syslog: {{server: 'tcp://127.0.0.1:{port}'}}\n");
    let (a, b) = two_polls(&w, &section);
    for run in [&a, &b] {
        run.expect_code(0);
        assert_eq!(run.stderr.matches("log server").count(), 1, "{run}");
        assert!(run.elapsed < Duration::from_secs(5), "{run}");
    }
    a.expect_stderr(&format!(
        "fcstats: warning: log server tcp://127.0.0.1:{port} failed (Connection refused (os error 111)); not logging there this run"
    ));
    b.expect_stderr("1 transition");
}

#[test]
fn the_log_file_gets_every_poll_with_rfc3339_times() {
    let w = Workdir::new();
    let (a, b) = two_polls(&w, "log:\n  file: logs/fcstats.log\n");
    a.expect_code(0);
    b.expect_code(0);
    let text = std::fs::read_to_string(w.path("logs/fcstats.log")).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    for l in &lines {
        let ts = l.split(' ').next().unwrap();
        assert!(chrono::DateTime::parse_from_rfc3339(ts).is_ok(), "{l}");
    }
    assert!(
        lines[1].ends_with(" WARN down: exporter=10.0.0.1 interface=- collectors=here bps=0"),
        "{text}"
    );
    // -q quiets stderr, not the file.
    let quiet = w.run(&["-q", "poll", "--at", "2026-11-23T10:10:00Z"]);
    assert_eq!(quiet.stderr, "");
    let text = std::fs::read_to_string(w.path("logs/fcstats.log")).unwrap();
    assert_eq!(text.lines().count(), 4);
}
