//! Metrics (SPEC §11): the textfile a poll writes is valid Prometheus text
//! (checked by the real `promtool`) and served by a real node_exporter's
//! textfile collector; `fcstats metrics` prints the same.

mod common;

use std::io::{Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Stdio};

use common::*;

fn have(program: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// 10,000 exporters, every seventh at 0 bps, one collector; the textfile in
/// its own folder (node_exporter reads every `*.prom` there).
fn polled() -> Workdir {
    let w = Workdir::new();
    std::fs::create_dir(w.path("textfile")).unwrap();
    w.write(
        "config.yaml",
        "database: state.db\nstale_after: 0\nmetrics: {textfile: textfile/fcstats.prom}\n\
         collectors:\n  - {name: fc, local: fc.txt}\n",
    );
    let names: Vec<String> = (0..10_000)
        .map(|i| format!("10.{}.{}.{}", i / 65536, (i / 256) % 256, i % 256))
        .collect();
    let rows: Vec<(&str, u64)> = names
        .iter()
        .enumerate()
        .map(|(i, n)| (n.as_str(), if i % 7 == 0 { 0 } else { 1000 + i as u64 }))
        .collect();
    w.write("fc.txt", stats_file(&rows));
    w.run(&["poll", "--at", "2026-11-23T10:00:00Z"])
        .expect_code(0);
    w.run(&["poll", "--at", "2026-11-23T10:05:00Z"])
        .expect_code(0);
    w
}

#[test]
fn promtool_accepts_the_textfile_of_10k_keys_and_metrics_prints_the_same() {
    let w = polled();
    let file = w.path("textfile/fcstats.prom");
    let text = std::fs::read_to_string(&file).unwrap();
    assert_eq!(
        std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
        0o644
    );
    // 10,000 keys: 1,429 at 0 bps (every seventh of 0..9999), 8,571 up.
    let up_lines: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("fcstats_exporter_up{"))
        .collect();
    assert_eq!(up_lines.len(), 10_000);
    assert_eq!(
        up_lines.iter().filter(|l| l.ends_with("} 0")).count(),
        1_429
    );
    assert!(text.contains(
        "fcstats_exporter_up{exporter=\"10.0.0.1\",interface=\"\",name=\"\",site=\"\"} 1\n"
    ));
    assert!(text.contains("fcstats_exporter_netflow_bps{exporter=\"10.0.0.1\",interface=\"\",name=\"\",site=\"\"} 1001\n"));
    assert!(text.contains("fcstats_collector_up{collector=\"fc\"} 1\n"));
    // 2026-11-23T10:05:00Z.
    assert!(text.contains("fcstats_last_poll_timestamp_seconds 1795428300\n"));
    let printed = w.run(&["metrics"]);
    printed.expect_code(0);
    assert_eq!(printed.stdout, text);
    if !have("promtool") {
        skip("promtool: .ci/run installs Debian's prometheus package");
        return;
    }
    let mut child = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success() && out.stdout.is_empty() && out.stderr.is_empty(),
        "promtool: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn node_exporter_serves_the_textfile() {
    if !have("prometheus-node-exporter") {
        skip("node_exporter: .ci/run installs prometheus-node-exporter");
        return;
    }
    let w = polled();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let node = Killed(
        Command::new("prometheus-node-exporter")
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .arg("--collector.disable-defaults")
            .arg("--collector.textfile")
            .arg(format!(
                "--collector.textfile.directory={}",
                w.path("textfile").display()
            ))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let body = loop {
        if let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) {
            s.write_all(b"GET /metrics HTTP/1.0\r\nHost: localhost\r\n\r\n")
                .unwrap();
            let mut body = String::new();
            s.read_to_string(&mut body).unwrap();
            break body;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "node_exporter did not start"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    drop(node);
    assert!(
        body.starts_with("HTTP/1.0 200"),
        "{}",
        &body[..body.len().min(300)]
    );
    assert!(body.contains(
        "fcstats_exporter_up{exporter=\"10.0.0.1\",interface=\"\",name=\"\",site=\"\"} 1\n"
    ));
    assert!(body.contains(
        "fcstats_exporter_up{exporter=\"10.0.0.0\",interface=\"\",name=\"\",site=\"\"} 0\n"
    ));
    // node_exporter says the file was read without error.
    assert!(
        body.contains("node_textfile_scrape_error 0\n"),
        "{}",
        &body[..body.len().min(2000)]
    );
}
