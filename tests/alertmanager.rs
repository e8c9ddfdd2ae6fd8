//! `type: alertmanager` against the real one (Debian's
//! prometheus-alertmanager): after a down the alert is active in its API,
//! while it stays down it is sent again at every poll, and after the up it is
//! resolved.

mod common;

use std::io::{Read, Write};
use std::process::{Command, Stdio};

use common::*;

fn get(port: u16, path: &str) -> Option<String> {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    write!(s, "GET {path} HTTP/1.0\r\nHost: localhost\r\n\r\n").ok()?;
    let mut text = String::new();
    s.read_to_string(&mut text).ok()?;
    let (head, body) = text.split_once("\r\n\r\n")?;
    head.starts_with("HTTP/1.0 200").then(|| body.to_owned())
}

/// The alerts the Alertmanager holds (resolved ones are gone).
fn active(port: u16) -> Vec<serde_json::Value> {
    let body = get(port, "/api/v2/alerts").expect("GET /api/v2/alerts");
    serde_json::from_str(&body).unwrap()
}

#[test]
fn an_outage_is_active_in_a_real_alertmanager_until_the_up_resolves_it() {
    if Command::new("sh")
        .args(["-c", "command -v prometheus-alertmanager"])
        .stdout(Stdio::null())
        .status()
        .map_or(true, |s| !s.success())
    {
        skip("alertmanager: .ci/run installs prometheus-alertmanager");
        return;
    }
    let w = Workdir::new();
    w.write(
        "am.yml",
        "route:\n  receiver: none\nreceivers:\n  - name: none\n",
    );
    std::fs::create_dir(w.path("am")).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let _am = Killed(
        Command::new("prometheus-alertmanager")
            .arg(format!("--config.file={}", w.path("am.yml").display()))
            .arg(format!("--storage.path={}", w.path("am").display()))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .arg("--cluster.listen-address=")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while get(port, "/api/v2/status").is_none() {
        assert!(
            std::time::Instant::now() < deadline,
            "alertmanager did not start"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    w.write("inventory.csv", "exporter,name,site\n10.0.0.1,core-1,hq\n");
    w.write(
        "config.yaml",
        format!(
            "database: state.db\nstale_after: 0\nalert_max_age: 100000d\ninventory: inventory.csv\n\
             alerts:\n  - {{type: alertmanager, url: 'http://127.0.0.1:{port}'}}\n\
             collectors:\n  - {{name: fc, local: fc.txt}}\n"
        ),
    );
    let poll = |at: &str, one: u64| {
        w.write("fc.txt", stats_file(&[("10.0.0.1", one), ("10.0.0.2", 0)]));
        let run = w.run(&["poll", "--at", at, "-v"]);
        run.expect_code(0);
        run
    };
    // .2 is first seen down: a baseline, never sent.
    poll("2026-11-23T10:00:00Z", 5);
    assert_eq!(active(port), Vec::<serde_json::Value>::new());
    poll("2026-11-23T10:05:00Z", 0);
    let a = active(port);
    assert_eq!(a.len(), 1, "{a:?}");
    assert_eq!(a[0]["status"]["state"], "active");
    // An empty label is no label to Alertmanager: no `interface` here.
    assert_eq!(
        a[0]["labels"],
        serde_json::json!({"alertname": "ExporterDown", "exporter": "10.0.0.1", "name": "core-1", "site": "hq"})
    );
    assert_eq!(a[0]["startsAt"], "2026-11-23T10:05:00.000Z");
    // Still down: sent again (the poll says so), still active.
    poll("2026-11-23T10:10:00Z", 0).expect_stderr("alerts: 1 sent");
    assert_eq!(active(port).len(), 1);
    // Up: resolved (Alertmanager lists only unresolved alerts).
    poll("2026-11-23T10:15:00Z", 5).expect_stderr("alerts: 1 sent");
    assert_eq!(active(port), Vec::<serde_json::Value>::new());
}
