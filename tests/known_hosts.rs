//! known_hosts files as operators have them, against a real sshd with an
//! ed25519 and an ECDSA host key (SPEC §13): never a false "HOST KEY CHANGED".

mod common;

use common::*;

/// An sshd with two host keys serving one up exporter, and a config whose
/// known_hosts is `known_hosts` in the work dir (written by the test).
fn two_keys(check: &str) -> (Workdir, Sshd) {
    let w = Workdir::new();
    let key = w.keygen("client");
    let sshd = Sshd::start(
        &w,
        "fc",
        SshdOptions {
            authorized_keys: &[&key],
            password_auth: false,
            sftp_gate: false,
            extra_host_key: Some("ecdsa"),
            ..Default::default()
        },
    );
    let file = w.write("fc.txt", stats_file(&[("10.0.0.1", 5)]));
    config(&w, &key, &ssh_collector("fc", &sshd, &file));
    w.edit("config.yaml", |c| {
        c.replace("ssh:\n", &format!("ssh:\n  host_key_check: {check}\n"))
    });
    (w, sshd)
}

fn poll(w: &Workdir, at: &str) -> Run {
    w.run(&["poll", "--at", &format!("2026-11-23T10:{at}:00Z")])
}

#[test]
fn a_file_that_knows_the_host_only_by_its_ecdsa_key_is_accepted() {
    // What OpenSSH before 8.5 wrote: only the ECDSA key.
    let (w, sshd) = two_keys("strict");
    w.write(
        "known_hosts",
        format!("[127.0.0.1]:{} {}\n", sshd.port, sshd.extra_host_key),
    );
    poll(&w, "00").expect_code(0).expect_stderr("1 keys: 1 up");
}

#[test]
fn a_plain_entry_for_port_22_is_not_a_changed_key_on_another_port() {
    let (w, _sshd) = two_keys("strict");
    // Another host's key under the bare name: it covers port 22 only.
    w.write("known_hosts", "127.0.0.1 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl\n");
    let run = poll(&w, "00");
    run.expect_code(1)
        .expect_stderr("host key unknown: [127.0.0.1]:");
    assert!(!run.stderr.contains("CHANGED"), "{run}");
}

#[test]
fn a_bad_line_is_skipped_with_its_line_and_the_others_still_count() {
    let (w, sshd) = two_keys("strict");
    w.write(
        "known_hosts",
        format!("garbage\n[127.0.0.1]:{} {}\n", sshd.port, sshd.host_key),
    );
    poll(&w, "00").expect_code(0).expect_stderr(&format!(
        "known_hosts {}:1: skipped, no key type",
        w.path("known_hosts").display()
    ));
}

#[test]
fn a_revoked_key_is_refused() {
    let (w, sshd) = two_keys("strict");
    w.write(
        "known_hosts",
        format!(
            "@revoked * {}\n[127.0.0.1]:{} {}\n",
            sshd.host_key, sshd.port, sshd.host_key
        ),
    );
    poll(&w, "00")
        .expect_code(1)
        .expect_stderr("is marked @revoked in known_hosts: refused");
}

#[test]
fn accept_new_appends_on_a_line_of_its_own_and_hashed_into_a_hashed_file() {
    // A file without a final newline.
    let (w, _sshd) = two_keys("accept-new");
    w.write("known_hosts", "other.example.net ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl");
    poll(&w, "00").expect_code(0).expect_stderr("(accept-new)");
    poll(&w, "05").expect_code(0);
    let text = std::fs::read_to_string(w.path("known_hosts")).unwrap();
    assert_eq!(text.lines().count(), 2, "{text}");
    assert!(
        text.lines().nth(1).unwrap().starts_with("[127.0.0.1]:"),
        "{text}"
    );
    // OpenSSH finds both entries.
    let found = std::process::Command::new("ssh-keygen")
        .args(["-F", "other.example.net", "-f"])
        .arg(w.path("known_hosts"))
        .status()
        .unwrap();
    assert!(found.success());

    // A hashed file gets a hashed line, which the next poll (and OpenSSH) matches.
    let (w, sshd) = two_keys("accept-new");
    w.write("known_hosts", "");
    let hashed = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!(
            "echo 'other.example.net ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl' > {0} && ssh-keygen -q -H -f {0} && rm -f {0}.old",
            w.path("known_hosts").display()
        ))
        .status()
        .unwrap();
    assert!(hashed.success());
    poll(&w, "00").expect_code(0).expect_stderr("(accept-new)");
    poll(&w, "05").expect_code(0);
    let text = std::fs::read_to_string(w.path("known_hosts")).unwrap();
    assert!(text.lines().all(|l| l.starts_with("|1|")), "{text}");
    let found = std::process::Command::new("ssh-keygen")
        .args(["-F", &format!("[127.0.0.1]:{}", sshd.port), "-f"])
        .arg(w.path("known_hosts"))
        .output()
        .unwrap();
    assert!(
        found.status.success(),
        "{}",
        String::from_utf8_lossy(&found.stdout)
    );
}

/// An encrypted client key (`ssh-keygen -N`), in OpenSSH's format or PEM.
fn encrypted_key(w: &Workdir, name: &str, kind: &str, pem: bool) -> std::path::PathBuf {
    let p = w.path(name);
    let mut cmd = std::process::Command::new("ssh-keygen");
    cmd.args(["-q", "-t", kind, "-N", "open sesame-42", "-C", name, "-f"])
        .arg(&p);
    if pem {
        cmd.args(["-m", "PEM"]);
    }
    assert!(cmd.status().unwrap().success());
    p
}

#[test]
fn encrypted_identity_files_open_with_passphrase_env_and_the_passphrase_is_never_shown() {
    let w = Workdir::new();
    let ed = encrypted_key(&w, "enc-ed25519", "ed25519", false);
    let rsa = encrypted_key(&w, "enc-rsa", "rsa", true);
    for (name, key) in [("fc-ed", &ed), ("fc-rsa", &rsa)] {
        let sshd = Sshd::with_key(&w, name, key);
        w.write("known_hosts", sshd.known_hosts_line());
        let file = w.write("fc.txt", stats_file(&[("10.0.0.1", 5)]));
        config(&w, key, &ssh_collector("fc", &sshd, &file));
        w.edit("config.yaml", |c| {
            c.replace("ssh:\n", "ssh:\n  passphrase_env: FC_PASSPHRASE\n")
        });
        std::fs::remove_file(w.path("state.db")).ok();
        let poll = |pass: Option<&str>| {
            let mut cmd = w.command(&["poll"]);
            if let Some(p) = pass {
                cmd.env("FC_PASSPHRASE", p);
            }
            let out = cmd.output().unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
            assert!(
                !stderr.contains("sesame"),
                "the passphrase leaked: {stderr}"
            );
            (out.status.code(), stderr)
        };
        let (code, stderr) = poll(None);
        assert_eq!(code, Some(1), "{stderr}");
        assert!(
            stderr.contains("passphrase_env: the environment variable FC_PASSPHRASE is not set"),
            "{stderr}"
        );
        let (code, stderr) = poll(Some("wrong"));
        assert_eq!(code, Some(1), "{stderr}");
        assert!(stderr.contains("is the passphrase right?"), "{stderr}");
        let (code, stderr) = poll(Some("open sesame-42"));
        assert_eq!(code, Some(0), "{key:?}: {stderr}");
        assert!(stderr.contains("1 keys: 1 up"), "{stderr}");
    }
}

#[test]
fn files_as_openssh_74_and_80_write_them_name_and_address_on_one_line_hashed_or_not() {
    // RHEL 7/8 (OpenSSH 7.4, 8.0): the ECDSA key, under the name and the
    // address (CheckHostIP), in clear; then the same file hashed by `ssh-keygen -H`.
    let (w, sshd) = two_keys("strict");
    w.write(
        "known_hosts",
        format!(
            "[localhost]:{0},[127.0.0.1]:{0} {1}\n",
            sshd.port, sshd.extra_host_key
        ),
    );
    poll(&w, "00").expect_code(0).expect_stderr("1 keys: 1 up");
    let hashed = std::process::Command::new("ssh-keygen")
        .args(["-q", "-H", "-f"])
        .arg(w.path("known_hosts"))
        .status()
        .unwrap();
    assert!(hashed.success());
    let text = std::fs::read_to_string(w.path("known_hosts")).unwrap();
    assert_eq!(
        text.lines().filter(|l| l.starts_with("|1|")).count(),
        2,
        "{text}"
    );
    poll(&w, "05").expect_code(0).expect_stderr("1 keys: 1 up");
}
