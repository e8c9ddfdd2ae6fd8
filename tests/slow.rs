//! Nothing hangs a cron job (SPEC §8): a collector behind a slow link ends at
//! its `deadline`, and the other collectors' transitions are committed and
//! alerted on time.

mod common;

use common::*;

#[test]
fn a_collector_behind_a_256_kbit_link_ends_at_its_deadline_and_the_others_are_committed() {
    if !is_root() {
        eprintln!(
            "SKIPPED a_collector_behind_a_256_kbit_link...: needs root for a network namespace"
        );
        return;
    }
    let w = Workdir::new();
    let key = w.keygen("client");
    let slow = netns::SlowHost::start(&w, &key, "256kbit");
    w.write("known_hosts", slow.known_hosts_line());
    let file = w.write("slow.txt", stats_file(&[("10.9.0.1", 5)]));
    w.write("fast.txt", stats_file(&[("10.0.0.1", 500)]));
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(w.dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    w.write(
        "config.yaml",
        format!(
            "database: state.db\nstale_after: 0\nssh:\n  user: {}\n  identity: [{}]\n  agent: false\n  \
             known_hosts: {}\n  timeout: 10s\n  deadline: 5s\n  retries: 0\n\
             alerts:\n  - {{type: exec, command: [sh, -c, 'cat >> {}']}}\n\
             collectors:\n{}  - {{name: fast, local: fast.txt}}\n",
            current_user(),
            key.display(),
            w.path("known_hosts").display(),
            w.path("alerts.jsonl").display(),
            slow.collector("slow", &file),
        ),
    );
    let t = chrono::Utc::now().timestamp();
    w.run(&["poll", "--at", &format!("@{}", t - 600)])
        .expect_code(0)
        .expect_stderr("2 keys: 2 up");
    // 2 MB at 256 kbit/s would take about 65 s; 10.0.0.1 stops meanwhile.
    let names: Vec<String> = (0..20_000)
        .map(|i| format!("10.9.{}.{}", i / 250, i % 250))
        .collect();
    let rows: Vec<(&str, u64)> = names.iter().map(|n| (n.as_str(), 5)).collect();
    std::fs::write(&file, stats_file(&rows)).unwrap();
    assert!(std::fs::metadata(&file).unwrap().len() > 2_000_000);
    w.write("fast.txt", stats_file(&[("10.0.0.1", 0)]));
    let run = w.run(&["poll", "--at", &format!("@{}", t - 300)]);
    run.expect_code(3)
        .expect_stderr("collector slow failed: took longer than deadline (5s)")
        .expect_stderr("down: exporter=10.0.0.1 interface=- collectors=fast");
    // Bounded by the deadline (5 s) plus the last read's own wait, not by the
    // 65 s the transfer would take: 30 s leaves room for a busy machine.
    assert!(run.elapsed.as_secs() < 30, "{:?}\n{run}", run.elapsed);
    assert_eq!(w.query("SELECT count(*) FROM event WHERE kind = 3"), 1);
    let alerts = std::fs::read_to_string(w.path("alerts.jsonl")).unwrap();
    assert!(
        alerts.contains(r#""kind": "down", "exporter": "10.0.0.1""#),
        "{alerts}"
    );
}
