use super::*;

fn cfg(text: &str) -> Result<Config> {
    parse(text, Path::new("/etc/fcstats/config.yaml"))
}

fn err(text: &str) -> String {
    format!("{:#}", cfg(text).unwrap_err())
}

fn ssh(c: &Collector) -> &SshTarget {
    match &c.source {
        Source::Ssh(t) => t,
        Source::Local(_) => panic!("not ssh"),
    }
}

#[test]
fn defaults_follow_the_spec() {
    let c = cfg("collectors:\n  - {name: fc-east, host: 10.1.0.10}\n").unwrap();
    assert_eq!(c.interval, Dur(300));
    assert_eq!(c.max_gap, Dur(900));
    assert_eq!(c.stale_after, Dur(900));
    assert_eq!(c.parallel, 8);
    assert_eq!(c.database, PathBuf::from(DEFAULT_DATABASE));
    assert_eq!(c.columns, Columns::default());
    let t = ssh(&c.collectors[0]);
    assert_eq!(
        (t.host.as_str(), t.port, t.user.as_str()),
        ("10.1.0.10", 22, "root")
    );
    assert_eq!(
        t.path,
        "/lancope/var/sw/today/data/exporter_device_stats.txt"
    );
    assert_eq!(t.host_key_check, HostKeyCheck::Strict);
    // The user's file, then the system's (OpenSSH's GlobalKnownHostsFile).
    let home = PathBuf::from(std::env::var("HOME").unwrap());
    assert_eq!(
        t.known_hosts,
        [
            home.join(".ssh/known_hosts"),
            PathBuf::from("/etc/ssh/ssh_known_hosts")
        ]
    );
    assert_eq!(
        (t.transfer, t.compression, t.identities_only),
        (crate::config::Transfer::Auto, false, false)
    );
    assert!(t.jump.is_empty());
    assert_eq!((t.connect_timeout, t.timeout), (Dur(10), Dur(60)));
    assert!(t.agent);
    assert_eq!(t.password, Password::None);
    let c0 = &c.collectors[0];
    assert_eq!(
        (c0.retries, c0.retry_delay, c0.max_bytes),
        (2, Dur(5), ByteSize(256 << 20))
    );
}

#[test]
fn ssh_defaults_are_overridden_by_the_section_then_by_the_collector() {
    let c = cfg(
        "interval: 1m\nssh: {user: admin, port: 2200, timeout: 30s, max_bytes: 1MiB}\n\
         collectors:\n  - {name: a, host: h1}\n  - {name: b, host: h2, port: 2222, user: root, retries: 0}\n",
    )
    .unwrap();
    assert_eq!(c.max_gap, Dur(180));
    let (a, b) = (&c.collectors[0], &c.collectors[1]);
    assert_eq!(
        (ssh(a).user.as_str(), ssh(a).port, ssh(a).timeout),
        ("admin", 2200, Dur(30))
    );
    assert_eq!(
        (ssh(b).user.as_str(), ssh(b).port, ssh(b).timeout),
        ("root", 2222, Dur(30))
    );
    assert_eq!((a.retries, b.retries), (2, 0));
    assert_eq!(b.max_bytes, ByteSize(1 << 20));
}

#[test]
fn relative_paths_are_taken_from_the_config_folder() {
    let c = cfg("database: data/x.db\ncollectors:\n  - {name: here, local: stats.txt}\n").unwrap();
    assert_eq!(c.database, PathBuf::from("/etc/fcstats/data/x.db"));
    assert_eq!(
        c.collectors[0].source,
        Source::Local("/etc/fcstats/stats.txt".into())
    );
}

#[test]
fn unknown_keys_name_the_line_and_suggest_the_nearest() {
    assert_eq!(
        err("intervall: 5m\ncollectors: []\n"),
        "/etc/fcstats/config.yaml:1:1: unknown field `intervall`, expected one of `interval`, `database`, \
         `stale_after`, `max_gap`, `parallel`, `columns`, `ssh`, `collectors`, `log`, `alerts`, `alert_max_age`, `alert_budget`, `confirm`, `retention`, `signals`, `metrics`, `heartbeat`, `page`, `maintenance`, `outage_start`, `retire_after`, `inventory`, `ignore`; did you mean `interval`?"
    );
    let e = err("collectors:\n  - name: a\n    host: h\n    usr: admin\n");
    assert!(
        e.starts_with("/etc/fcstats/config.yaml:4:5: collectors[0]: unknown field `usr`"),
        "{e}"
    );
    assert!(e.ends_with("did you mean `user`?"), "{e}");
}

#[test]
fn bad_values_name_the_line() {
    let e = err("stale_after: 5 minutes\ncollectors: []\n");
    assert!(e.starts_with("/etc/fcstats/config.yaml:1:"), "{e}");
    assert!(e.contains("`5 minutes` is not a duration"), "{e}");
    let e = err("collectors:\n  - {name: a, host: h, host_key_check: maybe}\n");
    assert!(e.starts_with("/etc/fcstats/config.yaml:2:"), "{e}");
    assert!(e.contains("strict"), "{e}");
}

#[test]
fn collector_mistakes_are_named() {
    assert!(err("collectors: []\n").contains("collectors: none configured"));
    assert!(err("database: x\n").contains("collectors: none configured"));
    assert!(
        err("collectors:\n  - {name: a, host: h}\n  - {name: a, host: i}\n")
            .contains("`a` is used twice")
    );
    assert_eq!(
        err("collectors:\n  - {name: a}\n"),
        "/etc/fcstats/config.yaml: collectors[0] (a): set `host` (read over SSH) or `local` (a file on this machine)"
    );
    assert!(err("collectors:\n  - {name: a, host: h, local: f}\n").contains("not both"));
    assert!(err("collectors:\n  - {name: a, local: f, user: x}\n")
        .contains("`user` applies to SSH collectors only"));
    assert!(
        err("collectors:\n  - {name: a, host: h, password_env: A, password_file: B}\n")
            .contains("only one of")
    );
}

#[test]
fn passwords_come_from_env_or_file_and_never_print() {
    let c = cfg("ssh: {password_env: FC_PW}\ncollectors:\n  - {name: a, host: h}\n  - {name: b, host: h, password_file: pw}\n").unwrap();
    assert_eq!(
        ssh(&c.collectors[0]).password,
        Password::Env("FC_PW".into())
    );
    // b's own password_file replaces the section's password_env.
    assert_eq!(
        ssh(&c.collectors[1]).password,
        Password::File("/etc/fcstats/pw".into())
    );
    let printed = serde_yaml::to_string(&c).unwrap();
    assert!(printed.contains("password: env FC_PW"), "{printed}");
    assert_eq!(format!("{:?}", Secret("hunter2".into())), "********");
}

#[test]
fn the_legacy_config_is_read_with_a_warning_and_its_password_masked() {
    let text = "---\nAdmin:\n  retry_interval: 300\n\nfcs:\n- fc_ip: 10.0.0.1\n  fc_username: admin\n  fc_password: hunter2\n";
    let c = cfg(text).unwrap();
    assert_eq!(c.interval, Dur(300));
    let t = ssh(&c.collectors[0]);
    assert_eq!(
        (
            c.collectors[0].name.as_str(),
            t.host.as_str(),
            t.user.as_str()
        ),
        ("10.0.0.1", "10.0.0.1", "admin")
    );
    assert_eq!(t.password, Password::Inline(Secret("hunter2".into())));
    assert!(c.warnings[0].contains(
        "interval: 5m\ncollectors:\n  - name: 10.0.0.1\n    host: 10.0.0.1\n    user: admin\n    password_env: FCSTATS_PASSWORD_1"
    ), "{}", c.warnings[0]);
    assert!(c.warnings[1].contains("plain text"));
    let printed = serde_yaml::to_string(&c).unwrap();
    assert!(!printed.contains("hunter2"), "{printed}");
    assert!(
        printed.contains("password: '******** (inline, legacy fc_password)'"),
        "{printed}"
    );
    assert!(!c.warnings.join("\n").contains("hunter2"));
}

#[test]
fn legacy_unknown_keys_are_errors_too() {
    let e = err("fcs:\n- fc_ip: 1.2.3.4\n  fc_pasword: x\n");
    assert!(
        e.starts_with("/etc/fcstats/config.yaml:3:3: fcs[0]: unknown field `fc_pasword`"),
        "{e}"
    );
    assert!(e.ends_with("did you mean `fc_password`?"), "{e}");
}

#[test]
fn edit_distance_counts_edits() {
    assert_eq!(edit_distance("intervall", "interval"), 1);
    assert_eq!(edit_distance("usr", "user"), 1);
    assert_eq!(edit_distance("abc", "xyz"), 3);
    assert_eq!(
        suggest_key("unknown field `zzzzzz`, expected `a` or `b`"),
        None
    );
}
