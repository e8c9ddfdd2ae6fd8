//! `fcstats poll` against real sshd collectors and local files.

mod common;

use std::net::TcpListener;
use std::path::Path;
use std::time::Duration;

use common::*;

/// Two sshd collectors serving `a` and `b`, known_hosts filled, config written.
struct Two {
    w: Workdir,
    a: Sshd,
    b: Sshd,
}

impl Two {
    fn new(a_rows: &[(&str, u64)], b_rows: &[(&str, u64)]) -> Two {
        Two::build(a_rows, b_rows, false)
    }

    /// fc-a serves SFTP through a gate (`Sshd::arm_gate`).
    fn with_gate_on_a(a_rows: &[(&str, u64)], b_rows: &[(&str, u64)]) -> Two {
        Two::build(a_rows, b_rows, true)
    }

    fn build(a_rows: &[(&str, u64)], b_rows: &[(&str, u64)], gate_a: bool) -> Two {
        let w = Workdir::new();
        let key = w.keygen("client");
        let a = Sshd::start(
            &w,
            "fc-a",
            SshdOptions {
                authorized_keys: &[&key],
                password_auth: false,
                sftp_gate: gate_a,
                extra_host_key: None,
                ..Default::default()
            },
        );
        let b = Sshd::with_key(&w, "fc-b", &key);
        w.write("known_hosts", a.known_hosts_line() + &b.known_hosts_line());
        let fa = w.write("fc-a.txt", stats_file(a_rows));
        let fb = w.write("fc-b.txt", stats_file(b_rows));
        config(
            &w,
            &key,
            &(ssh_collector("fc-a", &a, &fa) + &ssh_collector("fc-b", &b, &fb)),
        );
        Two { w, a, b }
    }

    fn serve(&self, name: &str, rows: &[(&str, u64)]) {
        self.w.write(&format!("{name}.txt"), stats_file(rows));
    }

    fn poll_at(&self, at: &str) -> Run {
        self.w.run(&["poll", "--at", at])
    }

    /// exporter|state|unknown?|owner per key, sorted.
    fn keys(&self) -> Vec<String> {
        self.w.rows(
            "SELECT k.exporter, CASE k.state WHEN 1 THEN 'up' ELSE 'down' END, \
             CASE WHEN k.unknown_since IS NULL THEN '-' ELSE 'unknown' END, c.name \
             FROM key k LEFT JOIN collector c ON c.id = k.owner ORDER BY k.exporter",
        )
    }

    /// exporter|kind|collector per event, in order.
    fn events(&self) -> Vec<String> {
        self.w.rows(
            "SELECT k.exporter, e.kind, coalesce(c.name, '-') FROM event e JOIN key k ON k.id = e.key \
             LEFT JOIN collector c ON c.id = e.collector ORDER BY e.at, k.exporter",
        )
    }
}

const T1: &str = "2026-11-23T10:00:00Z";
const T2: &str = "2026-11-23T10:05:00Z";
const T3: &str = "2026-11-23T10:10:00Z";

#[test]
fn a_normal_poll_of_two_collectors_records_a_baseline() {
    let t = Two::new(&[("10.0.0.1", 500), ("10.0.0.2", 0)], &[("10.0.0.3", 70)]);
    t.poll_at(T1)
        .expect_code(0)
        .expect_stderr("poll at 2026-11-23T10:00:00Z: 2/2 collectors read; 3 keys: 2 up, 1 down, 0 unknown; 0 transitions");
    assert_eq!(
        t.keys(),
        [
            "10.0.0.1|up|-|fc-a",
            "10.0.0.2|down|-|NULL",
            "10.0.0.3|up|-|fc-b"
        ]
    );
    // kinds: 1 baseline up, 2 baseline down
    assert_eq!(
        t.events(),
        ["10.0.0.1|1|fc-a", "10.0.0.2|2|-", "10.0.0.3|1|fc-b"]
    );
    assert_eq!(
        t.w.rows("SELECT at, ok, failed FROM poll"),
        ["1795428000|2|0"]
    );
    // What each collector listed: key row ids in file order.
    assert_eq!(
        t.w.rows("SELECT name, listed FROM collector ORDER BY name"),
        ["fc-a|1,2", "fc-b|3"]
    );

    // Same data again: one poll row, nothing else.
    let events = t.w.query("SELECT count(*) FROM event");
    t.poll_at(T2).expect_code(0).expect_stderr("0 transitions");
    assert_eq!(t.w.query("SELECT count(*) FROM event"), events);
    assert_eq!(t.w.query("SELECT count(*) FROM poll"), 2);
}

#[test]
fn a_migration_between_collectors_is_not_an_outage() {
    let t = Two::new(&[("10.0.0.1", 500)], &[]);
    t.poll_at(T1).expect_code(0);
    // The exporter now sends to fc-b; fc-a still lists it at 0.
    t.serve("fc-a", &[("10.0.0.1", 0)]);
    t.serve("fc-b", &[("10.0.0.1", 800)]);
    t.poll_at(T2)
        .expect_code(0)
        .expect_stderr("1 up, 0 down, 0 unknown; 0 transitions");
    assert_eq!(t.keys(), ["10.0.0.1|up|-|fc-b"]);
    // 1 baseline up, 7 moved: no down (3), no up (4)
    assert_eq!(t.events(), ["10.0.0.1|1|fc-a", "10.0.0.1|7|fc-b"]);
    // fc-a stops listing it (it lists another exporter instead: a collector
    // that lists none at all is a bad read): fc-b still has it, nothing changes.
    t.serve("fc-a", &[("10.0.0.9", 0)]);
    t.poll_at(T3).expect_code(0).expect_stderr("0 transitions");
    assert_eq!(
        t.events(),
        ["10.0.0.1|1|fc-a", "10.0.0.1|7|fc-b", "10.0.0.9|2|-"]
    );
}

#[test]
fn a_stopped_collector_exits_3_names_it_and_leaves_its_exporters_unknown() {
    let mut t = Two::new(&[("10.0.0.1", 500), ("10.0.0.2", 0)], &[("10.0.0.3", 70)]);
    t.poll_at(T1).expect_code(0);
    t.a.stop();
    let run = t.poll_at(T2);
    run.expect_code(3)
        .expect_stderr("collector fc-a failed: connection refused by 127.0.0.1:")
        .expect_stderr(
            "1/2 collectors read (failed: fc-a); 3 keys: 1 up, 0 down, 2 unknown; 0 transitions",
        );
    assert_eq!(
        t.keys(),
        [
            "10.0.0.1|up|unknown|fc-a",
            "10.0.0.2|down|unknown|NULL",
            "10.0.0.3|up|-|fc-b"
        ]
    );
    assert_eq!(
        t.w.rows("SELECT at, ok, failed FROM poll ORDER BY at"),
        ["1795428000|2|0", "1795428300|1|1"]
    );
    assert_eq!(
        t.w.rows("SELECT c.name, e.ok, e.error FROM collector_event e JOIN collector c ON c.id = e.collector WHERE e.at = 1795428300"),
        [format!("fc-a|0|connection refused by 127.0.0.1:{} (is sshd running and listening on port {}?)", t.a.port, t.a.port)]
    );
    // The collector comes back with 10.0.0.1 gone to 0: now that is a real outage.
    t.a = Sshd::with_key(&t.w, "fc-a2", &t.w.path("client"));
    let fa =
        t.w.write("fc-a.txt", stats_file(&[("10.0.0.1", 0), ("10.0.0.2", 0)]));
    t.w.write(
        "known_hosts",
        t.a.known_hosts_line() + &t.b.known_hosts_line(),
    );
    config(
        &t.w,
        &t.w.path("client"),
        &(ssh_collector("fc-a", &t.a, &fa) + &ssh_collector("fc-b", &t.b, &t.w.path("fc-b.txt"))),
    );
    t.poll_at(T3)
        .expect_code(0)
        .expect_stderr("3 keys: 1 up, 2 down, 0 unknown; 1 transition")
        .expect_stderr(
            "fcstats: warning: down: exporter=10.0.0.1 interface=- collectors=fc-a bps=0",
        );
    assert_eq!(t.keys()[0], "10.0.0.1|down|-|fc-a");
}

#[test]
fn every_collector_failing_exits_1_and_nothing_goes_down() {
    let mut t = Two::new(&[("10.0.0.1", 500)], &[("10.0.0.3", 70)]);
    t.poll_at(T1).expect_code(0);
    t.a.stop();
    t.b.stop();
    t.poll_at(T2)
        .expect_code(1)
        .expect_stderr("no collector could be read");
    assert_eq!(
        t.keys(),
        ["10.0.0.1|up|unknown|fc-a", "10.0.0.3|up|unknown|fc-b"]
    );
}

#[test]
fn a_poll_at_or_before_the_last_one_is_refused() {
    let t = Two::new(&[("10.0.0.1", 500)], &[]);
    t.poll_at(T2).expect_code(0);
    for at in [T1, T2] {
        t.poll_at(at)
            .expect_code(1)
            .expect_stderr("is not later than the last recorded poll at 2026-11-23T10:05:00Z");
    }
    t.poll_at("junk")
        .expect_code(2)
        .expect_stderr("invalid value 'junk' for '--at <TIME>': `junk` is not a time");
    assert_eq!(t.w.query("SELECT count(*) FROM poll"), 1);
}

#[test]
fn an_unknown_host_key_is_refused_and_accept_new_learns_it() {
    let t = Two::new(&[("10.0.0.1", 500)], &[("10.0.0.3", 70)]);
    t.w.write("known_hosts", t.b.known_hosts_line());
    t.poll_at(T1).expect_code(3).expect_stderr(&format!(
        "collector fc-a failed: host key unknown: [127.0.0.1]:{} (ssh-ed25519 SHA256:",
        t.a.port
    ));

    t.w.edit("config.yaml", |c| {
        c.replace(
            "  retries: 0\n",
            "  retries: 0\n  host_key_check: accept-new\n",
        )
    });
    t.poll_at(T2).expect_code(0).expect_stderr("(accept-new)");
    let known = std::fs::read_to_string(t.w.path("known_hosts")).unwrap();
    assert_eq!(known, t.b.known_hosts_line() + &t.a.known_hosts_line());
    t.poll_at(T3).expect_code(0);
}

#[test]
fn a_changed_host_key_is_refused_even_with_accept_new() {
    let t = Two::new(&[("10.0.0.1", 500)], &[("10.0.0.3", 70)]);
    let other = t.w.keygen("impostor");
    let other_pub = std::fs::read_to_string(other.with_extension("pub")).unwrap();
    let other_pub: Vec<&str> = other_pub.split_whitespace().take(2).collect();
    t.w.write(
        "known_hosts",
        format!("[127.0.0.1]:{} {}\n", t.a.port, other_pub.join(" ")) + &t.b.known_hosts_line(),
    );
    t.w.edit("config.yaml", |c| {
        c.replace(
            "  retries: 0\n",
            "  retries: 0\n  host_key_check: accept-new\n",
        )
    });
    t.poll_at(T1).expect_code(3).expect_stderr(&format!(
        "collector fc-a failed: HOST KEY CHANGED for [127.0.0.1]:{}",
        t.a.port
    ));
}

#[test]
fn a_server_that_never_speaks_is_abandoned_after_the_timeout() {
    let t = Two::new(&[("10.0.0.1", 500)], &[("10.0.0.3", 70)]);
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    let holder = std::thread::spawn(move || {
        let (conn, _) = silent.accept().unwrap();
        std::thread::sleep(Duration::from_secs(8));
        drop(conn);
    });
    t.w.edit("config.yaml", |cfg| {
        cfg.replace("  timeout: 5s\n", "  timeout: 1s\n")
            .replace(&format!("port: {},", t.a.port), &format!("port: {port},"))
    });
    let run = t.poll_at(T1);
    run.expect_code(3)
        .expect_stderr("collector fc-a failed: SSH handshake timed out after 1s (timeout): the server accepted the connection but did not speak SSH");
    // The 1s timeout, not the server's 8s, ended it.
    assert!(
        run.elapsed < Duration::from_secs(6),
        "took {:?}:\n{run}",
        run.elapsed
    );
    holder.join().unwrap();
}

#[test]
fn no_such_file_on_the_collector_is_named() {
    let t = Two::new(&[("10.0.0.1", 500)], &[("10.0.0.3", 70)]);
    std::fs::remove_file(t.w.path("fc-a.txt")).unwrap();
    t.poll_at(T1).expect_code(3).expect_stderr(&format!(
        "collector fc-a failed: no such file {} on the collector",
        t.w.path("fc-a.txt").display()
    ));
}

#[test]
fn a_cut_file_or_a_missing_column_fails_that_collector_with_the_line() {
    let t = Two::new(&[("10.0.0.1", 500)], &[("10.0.0.3", 70)]);
    t.poll_at(T1).expect_code(0);
    // fc-a is caught mid-rewrite: its last line is cut. Nothing from it is used.
    let mut cut = stats_file(&[("10.0.0.1", 0), ("10.0.0.2", 9)]);
    cut.truncate(cut.len() - 20);
    t.w.write("fc-a.txt", cut);
    // fc-b's header lacks the bps column.
    let no_bps = stats_file(&[("10.0.0.3", 70)]).replace("Current NetFlow bps", "Current bps");
    t.w.write("fc-b.txt", no_bps);
    t.poll_at(T2)
        .expect_code(1)
        .expect_stderr("collector fc-a failed: bad file at line 3: the last line is cut (")
        .expect_stderr("collector fc-b failed: bad file at line 1, column `Current NetFlow bps`: the header has no column `Current NetFlow bps`");
    assert_eq!(
        t.keys(),
        ["10.0.0.1|up|unknown|fc-a", "10.0.0.3|up|unknown|fc-b"]
    );
}

#[test]
fn password_authentication_works() {
    if !is_root() {
        skip("password_authentication_works: needs root to create a test account");
        return;
    }
    // Dropped last, after the sshd its sessions ran under.
    let account = common::account::Account::create();
    let user = account.name.as_str();
    let w = Workdir::new();
    let sshd = Sshd::start(
        &w,
        "fc-pw",
        SshdOptions {
            authorized_keys: &[],
            password_auth: true,
            sftp_gate: false,
            extra_host_key: None,
            ..Default::default()
        },
    );
    w.write("known_hosts", sshd.known_hosts_line());
    let file = w.write("fc.txt", stats_file(&[("10.0.0.1", 5)]));
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(w.dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    w.write(
        "config.yaml",
        format!(
            "database: state.db\nssh:\n  user: {user}\n  identity: []\n  agent: false\n  password_env: FC_PW\n  \
             known_hosts: {}\n  timeout: 5s\n  retries: 0\ncollectors:\n{}",
            w.path("known_hosts").display(),
            ssh_collector("fc-pw", &sshd, &file)
        ),
    );
    let mut cmd = w.command(&["poll"]);
    cmd.env("FC_PW", "wrong");
    let out = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "authentication failed for user {user} (tried password)"
        )),
        "{stderr}"
    );
    assert!(!stderr.contains("wrong"), "the password leaked: {stderr}");

    let mut cmd = w.command(&["poll"]);
    cmd.env("FC_PW", &account.password);
    let out = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("1 keys: 1 up, 0 down"), "{stderr}");
    assert!(
        !stderr.contains(&account.password),
        "the password leaked: {stderr}"
    );
}

#[test]
fn overlapping_polls_give_75_at_once() {
    let t = Two::new(&[("10.0.0.1", 500)], &[("10.0.0.3", 70)]);
    // The first poll hangs for its 3s timeout on a server that never speaks.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    t.w.edit("config.yaml", |cfg| {
        cfg.replace("  timeout: 5s\n", "  timeout: 3s\n")
            .replace(&format!("port: {},", t.a.port), &format!("port: {port},"))
    });
    let mut first =
        t.w.command(&["poll", "--at", T1])
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
    let (_conn, _) = silent.accept().unwrap(); // the first poll is now inside its read
    let second = t.w.run(&["poll", "--at", T2]);
    second
        .expect_code(75)
        .expect_stderr("another fcstats poll is running");
    assert!(
        second.elapsed < Duration::from_secs(2),
        "75 was not at once: {:?}",
        second.elapsed
    );
    assert_eq!(first.wait().unwrap().code(), Some(3));
    assert_eq!(t.w.rows("SELECT at FROM poll"), ["1795428000"]);
}

#[test]
fn the_reference_file_polled_twice_gives_10_up_3_down_2_inactive() {
    let reference = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/reference/exporter_device_stats_example.txt");
    if !reference.exists() {
        // The real collector file is not part of the repository (it is a
        // customer's); a clone on its own has no `../shared` beside it.
        eprintln!(
            "SKIPPED the_reference_file_polled_twice_gives_10_up_3_down_2_inactive: {} \
             is missing (it is kept beside the repository, not in it)",
            reference.display()
        );
        return;
    }
    let w = Workdir::new();
    std::fs::copy(&reference, w.path("fc.txt")).unwrap();
    w.write(
        "config.yaml",
        "database: state.db\ncollectors:\n  - {name: here, local: fc.txt}\n",
    );
    for _ in 0..2 {
        w.run(&["poll"]).expect_code(0).expect_stderr(
            "1/1 collectors read; 15 keys: 10 up, 3 down, 0 unknown, 2 inactive; 0 transitions",
        );
    }
    assert_eq!(w.query("SELECT count(*) FROM key WHERE state = 1"), 10);
    assert_eq!(
        w.rows("SELECT exporter FROM key WHERE state = 0 ORDER BY exporter"),
        ["10.100.0.4", "10.201.3.40", "172.16.16.5"]
    );
    // Last Active 0: never sent anything.
    assert_eq!(
        w.rows("SELECT exporter FROM key WHERE state = 2 ORDER BY exporter"),
        ["10.206.0.244", "172.16.16.50"]
    );
    assert_eq!(
        w.query("SELECT bps FROM key WHERE exporter = '10.206.0.53'"),
        307_512
    );
}

#[test]
fn a_stale_local_file_fails_its_collector() {
    let w = Workdir::new();
    w.write("fc.txt", stats_file(&[("10.0.0.1", 5)]));
    w.write("other.txt", stats_file(&[("10.0.0.2", 5)]));
    w.write(
        "config.yaml",
        "database: state.db\nstale_after: 10m\ncollectors:\n  - {name: here, local: fc.txt}\n  - {name: there, local: other.txt}\n",
    );
    // Both files last modified two hours ago.
    for f in ["fc.txt", "other.txt"] {
        let ok = std::process::Command::new("touch")
            .args(["-d", "2 hours ago"])
            .arg(w.path(f))
            .status()
            .unwrap();
        assert!(ok.success());
    }
    let run = w.run(&["poll"]);
    run.expect_code(1)
        .expect_stderr("collector here failed: the file is stale: last modified ");
    run.expect_stderr("before this poll; stale_after is 10m)");
}

#[test]
fn an_openssh_rsa_key_authenticates_after_a_missing_identity_is_skipped() {
    let w = Workdir::new();
    let rsa = w.keygen_type("client-rsa", "rsa");
    let (sshd, file) = single(&w, "fc-rsa", &rsa, &[("10.0.0.1", 5), ("10.0.0.2", 0)]);
    let missing = w.path("no-such-key");
    config(&w, &missing, &ssh_collector("fc-rsa", &sshd, &file));
    let both = format!("[{}, {}]", missing.display(), rsa.display());
    w.edit("config.yaml", |c| {
        c.replace(&format!("[{}]", missing.display()), &both)
    });
    w.run(&["poll"])
        .expect_code(0)
        .expect_stderr("2 keys: 1 up, 1 down, 0 unknown");
}

#[test]
fn a_key_the_server_refuses_is_an_authentication_failure_naming_what_was_tried() {
    let w = Workdir::new();
    let allowed = w.keygen("allowed");
    let other = w.keygen("other");
    let (sshd, file) = single(&w, "fc", &allowed, &[("10.0.0.1", 5)]);
    config(&w, &other, &ssh_collector("fc", &sshd, &file));
    w.run(&["poll"]).expect_code(1).expect_stderr(&format!(
        "collector fc failed: authentication failed for user {} (tried key {})",
        current_user(),
        other.display()
    ));
}

#[test]
fn the_ssh_agent_authenticates_when_no_key_file_is_configured() {
    let w = Workdir::new();
    let key = w.keygen("agent-key");
    let (sshd, file) = single(&w, "fc-agent", &key, &[("10.0.0.1", 5)]);
    w.write(
        "config.yaml",
        format!(
            "database: state.db\nssh:\n  user: {}\n  identity: []\n  agent: true\n  known_hosts: {}\n  retries: 0\ncollectors:\n{}",
            current_user(),
            w.path("known_hosts").display(),
            ssh_collector("fc-agent", &sshd, &file)
        ),
    );
    let sock = w.path("agent.sock");
    let agent = Killed(
        std::process::Command::new("ssh-agent")
            .args(["-D", "-a"])
            .arg(&sock)
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap(),
    );
    for _ in 0..200 {
        if sock.exists() {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let added = std::process::Command::new("ssh-add")
        .arg(&key)
        .env("SSH_AUTH_SOCK", &sock)
        .output()
        .unwrap();
    assert!(
        added.status.success(),
        "ssh-add: {}",
        String::from_utf8_lossy(&added.stderr)
    );
    let out = w
        .command(&["poll"])
        .env("SSH_AUTH_SOCK", &sock)
        .output()
        .unwrap();
    drop(agent);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("1 keys: 1 up, 0 down"), "{stderr}");
    // Without the agent there is nothing to try.
    let run = w.run(&["poll"]);
    run.expect_code(1).expect_stderr(
        "nothing to try: no agent, none of the identity files exists, no password configured",
    );
}

#[test]
fn host_key_check_off_reads_an_unknown_host_with_a_warning() {
    let t = Two::new(&[("10.0.0.1", 500)], &[("10.0.0.3", 70)]);
    t.w.write("known_hosts", "");
    t.w.edit("config.yaml", |c| {
        c.replace("  retries: 0\n", "  retries: 0\n  host_key_check: off\n")
    });
    t.poll_at(T1)
        .expect_code(0)
        .expect_stderr(
            "fcstats: warning: collector fc-a: host key checking is off (host_key_check: off)",
        )
        .expect_stderr("fcstats: warning: collector fc-b: host key checking is off");
    assert_eq!(
        std::fs::read_to_string(t.w.path("known_hosts")).unwrap(),
        ""
    );
}

#[test]
fn a_file_larger_than_max_bytes_is_refused() {
    let t = Two::new(&[("10.0.0.1", 500)], &[("10.0.0.3", 70)]);
    t.w.edit("config.yaml", |cfg| {
        cfg.replace(
            &format!("port: {},", t.a.port),
            &format!("port: {}, max_bytes: 100,", t.a.port),
        )
    });
    t.poll_at(T1)
        .expect_code(3)
        .expect_stderr("collector fc-a failed: the file is larger than max_bytes (100); raise max_bytes if that is expected");
}

#[test]
fn a_server_killed_in_the_middle_of_a_transfer_fails_only_its_collector() {
    let t = Two::with_gate_on_a(&[("10.0.0.1", 500)], &[("10.0.0.3", 70)]);
    t.poll_at(T1).expect_code(0);
    // A file of about 10 MB (100,000 rows of ~100 bytes), far more than the
    // first MiB the gate lets through.
    let names: Vec<String> = (0..100_000)
        .map(|i| format!("10.{}.{}.{}", 1 + i / 62_500, i / 250 % 250, i % 250))
        .collect();
    let mut rows: Vec<(&str, u64)> = names.iter().map(|n| (n.as_str(), 5)).collect();
    rows.push(("10.0.0.1", 500));
    t.serve("fc-a", &rows);
    let flowing = t.a.arm_gate();
    let child =
        t.w.command(&["poll", "--at", T2])
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
    // The kill comes once the first MiB is known to have gone out, while the
    // rest is held back: the transfer is under way and cannot have ended.
    let waited = std::time::Instant::now();
    while !flowing.exists() {
        assert!(
            waited.elapsed() < Duration::from_secs(60),
            "the transfer never started"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    // Kill fc-a's per-connection sshd processes and their children (the
    // listener stays up), then open the gate so that nothing lingers.
    let pid = std::fs::read_to_string(t.w.path("fc-a-sshd.pid")).unwrap();
    common::kill_descendants(pid.trim().parse().unwrap());
    std::fs::remove_file(&flowing).unwrap();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("fcstats: error: collector fc-a failed: the SSH connection broke"),
        "{stderr}"
    );
    assert_eq!(
        stderr.matches("collector fc-a failed").count(),
        1,
        "{stderr}"
    );
    assert_eq!(t.keys(), ["10.0.0.1|up|unknown|fc-a", "10.0.0.3|up|-|fc-b"]);
}
