//! Collectors as operators have them (SPEC §13), each a real server on
//! 127.0.0.1: an old appliance with SHA-1 algorithms only, no SFTP, a login
//! that prints text, keyboard-interactive only, a host certificate, Dropbear,
//! an agent full of keys, IPv6, compression.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::account::Account;
use common::*;

fn poll(w: &Workdir) -> Run {
    w.run(&["poll", "--at", "2026-11-23T10:00:00Z"])
}

/// A work dir with a client key, an sshd started with `opts` (accepting that
/// key) whose host key is in known_hosts, and a config reading one exporter
/// (up) from it; `ssh` lines are added to the config's `ssh:` section.
fn served(opts: SshdOptions, ssh: &str) -> (Workdir, Sshd) {
    let w = Workdir::new();
    let key = w.keygen("client");
    let keys = [key.as_path()];
    let sshd = Sshd::start(
        &w,
        "fc",
        SshdOptions {
            authorized_keys: &keys,
            ..opts
        },
    );
    w.write("known_hosts", sshd.known_hosts_line());
    let file = w.write("fc.txt", stats_file(&[("10.0.0.1", 5)]));
    config(&w, &key, &ssh_collector("fc", &sshd, &file));
    w.edit("config.yaml", |c| {
        c.replace("ssh:\n", &format!("ssh:\n{ssh}"))
    });
    (w, sshd)
}

const OLD_APPLIANCE: &str =
    "KexAlgorithms diffie-hellman-group14-sha1\nHostKeyAlgorithms ssh-rsa\n\
                             MACs hmac-sha1\nCiphers aes128-ctr\n";

#[test]
fn an_appliance_with_only_sha1_algorithms_is_named_then_reached_with_algorithms() {
    let (w, sshd) = served(
        SshdOptions {
            extra_host_key: Some("rsa"),
            extra: OLD_APPLIANCE,
            ..Default::default()
        },
        "",
    );
    // The file knows the RSA key, as OpenSSH 7.4 wrote it.
    w.write(
        "known_hosts",
        format!("[127.0.0.1]:{} {}\n", sshd.port, sshd.extra_host_key),
    );
    let run = poll(&w);
    run.expect_code(1).expect_stderr(
        "SSH handshake failed: no algorithm in common with the server: kex offered by the server: \
         diffie-hellman-group14-sha1 (none enabled here; `algorithms: {kex: \
         \"+diffie-hellman-group14-sha1\"}` would match); host_key offered by the server: ssh-rsa \
         (none enabled here; `algorithms: {host_key: \"+ssh-rsa\"}` would match); mac offered by \
         the server: hmac-sha1 (none enabled here; `algorithms: {mac: \"+hmac-sha1\"}` would match)",
    );
    // A single failed attempt: trying again cannot help.
    assert_eq!(
        run.stderr.matches("no algorithm in common").count(),
        1,
        "{run}"
    );

    w.edit("config.yaml", |c| {
        c.replace(
            "ssh:\n",
            "ssh:\n  algorithms: {kex: \"+diffie-hellman-group14-sha1\", host_key: \"+ssh-rsa\", mac: \"+hmac-sha1\"}\n",
        )
    });
    w.run(&["poll", "--at", "2026-11-23T10:05:00Z"])
        .expect_code(0)
        .expect_stderr("1 keys: 1 up");
}

#[test]
fn an_unknown_algorithm_name_is_a_config_error_naming_the_key() {
    let (w, _sshd) = served(
        SshdOptions::default(),
        "  algorithms: {host_key: \"+ssh-dsa\"}\n",
    );
    poll(&w)
        .expect_code(1)
        .expect_stderr("algorithms.host_key: `ssh-dsa` is not an algorithm fcstats supports");
    // config check says so before any poll; the SHA-1 ones are in the list,
    // compiled in by .cargo/config.toml.
    w.run(&["config", "check"]).expect_code(0).expect_stderr(
        "warning: collector fc: algorithms.host_key: `ssh-dsa` is not an algorithm fcstats supports; \
         it supports ssh-ed25519, ecdsa-sha2-nistp256, ecdsa-sha2-nistp384, ecdsa-sha2-nistp521, \
         rsa-sha2-512, rsa-sha2-256, ssh-rsa",
    );
}

#[test]
fn without_sftp_auto_reads_with_cat_and_sftp_says_what_to_set() {
    let (w, _sshd) = served(
        SshdOptions {
            no_sftp: true,
            ..Default::default()
        },
        "",
    );
    let run = w.run(&["poll", "--at", "2026-11-23T10:00:00Z", "-v"]);
    run.expect_code(0)
        .expect_stderr("no SFTP (")
        .expect_stderr("1 keys: 1 up");
    w.edit("config.yaml", |c| {
        c.replace("ssh:\n", "ssh:\n  transfer: sftp\n")
    });
    w.run(&["poll", "--at", "2026-11-23T10:05:00Z"])
        .expect_code(1)
        .expect_stderr("cannot start SFTP: ")
        .expect_stderr("transfer: exec, or auto");
    w.edit("config.yaml", |c| {
        c.replace("transfer: sftp", "transfer: exec")
    });
    w.run(&["poll", "--at", "2026-11-23T10:10:00Z"])
        .expect_code(0)
        .expect_stderr("1 keys: 1 up");
}

#[test]
fn exec_reports_a_missing_file_as_sftp_does() {
    let (w, _sshd) = served(SshdOptions::default(), "  transfer: exec\n");
    w.edit("config.yaml", |c| c.replace("fc.txt", "missing.txt"));
    poll(&w).expect_code(1).expect_stderr(&format!(
        "no such file {} on the collector",
        w.path("missing.txt").display()
    ));
}

#[test]
fn a_login_that_prints_text_is_named_and_never_read_as_the_file() {
    // A ForceCommand that greets, then runs what was asked.
    let (w, _sshd) = served(
        SshdOptions {
            extra: "ForceCommand echo 'Authorized use only'; eval \"$SSH_ORIGINAL_COMMAND\"\n",
            ..Default::default()
        },
        "",
    );
    let run = poll(&w);
    run.expect_code(1).expect_stderr(
        "the remote shell prints text on login (\"Authorized use only\"): it would be read as part of the file",
    );
    // The poll is recorded; nothing was read, so no exporter is known.
    assert_eq!(w.query("SELECT count(*) FROM poll"), 1);
    assert_eq!(w.query("SELECT count(*) FROM key"), 0);
}

#[test]
fn a_chatty_bashrc_is_named_too() {
    if !is_root() {
        eprintln!("SKIPPED a_chatty_bashrc_is_named_too: needs root to make a login account");
        return;
    }
    let account = Account::create_with_shell("/bin/bash");
    let home = PathBuf::from(format!("/home/{}", account.name));
    std::fs::write(home.join(".bashrc"), "echo \"Welcome to fc-east\"\n").unwrap();
    let (w, _sshd) = served(SshdOptions::default(), "");
    world_readable(&w);
    w.edit("config.yaml", |c| {
        c.replace(
            &format!("user: {}", current_user()),
            &format!("user: {}", account.name),
        )
    });
    poll(&w)
        .expect_code(1)
        .expect_stderr("the remote shell prints text on login (\"Welcome to fc-east\")");
}

/// The work dir readable by another account (its file is read as that account).
fn world_readable(w: &Workdir) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(w.dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(w.path("fc.txt"), std::fs::Permissions::from_mode(0o644)).unwrap();
}

#[test]
fn a_server_that_takes_passwords_only_by_keyboard_interactive_is_logged_in_to() {
    if !is_root() {
        eprintln!("SKIPPED keyboard-interactive: needs root to make a login account");
        return;
    }
    let account = Account::create();
    let (w, _sshd) = served(
        SshdOptions {
            extra: "UsePAM yes\nKbdInteractiveAuthentication yes\nPasswordAuthentication no\n\
                    AuthenticationMethods keyboard-interactive\n",
            ..Default::default()
        },
        "  password_env: FC_PASSWORD\n",
    );
    world_readable(&w);
    w.edit("config.yaml", |c| {
        c.replace(
            &format!("user: {}", current_user()),
            &format!("user: {}", account.name),
        )
    });
    let run = Run::of(
        w.command(&["poll", "--at", "2026-11-23T10:00:00Z"])
            .env("FC_PASSWORD", &account.password),
    );
    run.expect_code(0).expect_stderr("1 keys: 1 up");
    assert!(!run.stderr.contains(&account.password));
}

#[test]
fn a_host_certificate_is_not_a_changed_key_and_a_ca_alone_says_what_to_add() {
    let (w, sshd) = served(
        SshdOptions {
            host_certificate: true,
            ..Default::default()
        },
        "",
    );
    let run = poll(&w);
    run.expect_code(0).expect_stderr("1 keys: 1 up");
    assert!(!run.stderr.contains("CHANGED"), "{run}");

    w.write(
        "known_hosts",
        format!("@cert-authority * {}\n", sshd.ca_key),
    );
    w.run(&["poll", "--at", "2026-11-23T10:05:00Z"])
        .expect_code(1)
        .expect_stderr(&format!(
            "host key not known: known_hosts trusts a @cert-authority for [127.0.0.1]:{}, but fcstats checks plain host keys",
            sshd.port
        ));
}

#[test]
fn an_ipv6_host_in_brackets_is_reached_and_compression_negotiated() {
    let (w, sshd) = served(
        SshdOptions {
            ipv6: true,
            ..Default::default()
        },
        "  compression: true\n",
    );
    w.write(
        "known_hosts",
        format!("[::1]:{} {}\n", sshd.port, sshd.host_key),
    );
    w.edit("config.yaml", |c| {
        c.replace("host: 127.0.0.1", "host: \"[::1]\"")
    });
    // OpenSSH offers only the delayed zlib, which starts after the login.
    w.run(&["poll", "--at", "2026-11-23T10:00:00Z", "-vv"])
        .expect_code(0)
        .expect_stderr(&format!("[::1]:{}: kex ", sshd.port))
        .expect_stderr(", compression zlib@openssh.com\n")
        .expect_stderr("1 keys: 1 up");
    w.edit("config.yaml", |c| {
        c.replace("compression: true", "compression: false")
    });
    w.run(&["poll", "--at", "2026-11-23T10:05:00Z", "-vv"])
        .expect_code(0)
        .expect_stderr(", compression none\n");
}

#[test]
fn known_hosts_may_be_a_list_and_accept_new_writes_to_the_first() {
    let (w, sshd) = served(SshdOptions::default(), "");
    let first = w.write("known_hosts.mine", "");
    w.edit("config.yaml", |c| {
        c.replace(
            &format!("known_hosts: {}", w.path("known_hosts").display()),
            &format!(
                "known_hosts: [{}, {}]",
                first.display(),
                w.path("known_hosts").display()
            ),
        )
    });
    poll(&w).expect_code(0);
    // Unknown in both: accept-new adds it to the first.
    w.write("known_hosts", "");
    w.edit("config.yaml", |c| {
        c.replace("ssh:\n", "ssh:\n  host_key_check: accept-new\n")
    });
    w.run(&["poll", "--at", "2026-11-23T10:05:00Z"])
        .expect_code(0);
    assert_eq!(
        std::fs::read_to_string(&first).unwrap(),
        format!("[127.0.0.1]:{} {}\n", sshd.port, sshd.host_key)
    );
}

/// An ssh-agent on a socket in `w` holding `keys`, killed on drop.
struct Agent {
    _child: Killed,
    sock: PathBuf,
}

impl Agent {
    fn start(w: &Workdir, keys: &[PathBuf]) -> Agent {
        let sock = w.path("agent.sock");
        let child = Killed(
            Command::new("ssh-agent")
                .args(["-D", "-a"])
                .arg(&sock)
                .stdout(Stdio::null())
                .spawn()
                .unwrap(),
        );
        while !sock.exists() {
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        for k in keys {
            let added = Command::new("ssh-add")
                .arg(k)
                .env("SSH_AUTH_SOCK", &sock)
                .stderr(Stdio::null())
                .status()
                .unwrap();
            assert!(added.success());
        }
        Agent {
            _child: child,
            sock,
        }
    }
}

#[test]
fn an_agent_with_many_other_keys_is_named_and_identities_only_gets_in() {
    let (w, _sshd) = served(SshdOptions::default(), "");
    let others: Vec<PathBuf> = (0..7).map(|i| w.keygen(&format!("other{i}"))).collect();
    let agent = Agent::start(&w, &others);
    w.edit("config.yaml", |c| c.replace("agent: false", "agent: true"));
    let run = Run::of(
        w.command(&["poll", "--at", "2026-11-23T10:00:00Z"])
            .env("SSH_AUTH_SOCK", &agent.sock),
    );
    // sshd's MaxAuthTries is 6: it closes the connection at the 6th refused
    // key of the agent, before the identity file is tried.
    run.expect_code(1).expect_stderr(
        "authentication failed for user root: the server closed the connection after the SSH agent's first 6 key(s) (too many attempts for its MaxAuthTries); set identities_only: true",
    );
    w.edit("config.yaml", |c| {
        c.replace("ssh:\n", "ssh:\n  identities_only: true\n")
    });
    Run::of(
        w.command(&["poll", "--at", "2026-11-23T10:05:00Z"])
            .env("SSH_AUTH_SOCK", &agent.sock),
    )
    .expect_code(0)
    .expect_stderr("1 keys: 1 up");
}

/// Dropbear on a free port, as `account`, with its sftp-server hidden (a
/// mount namespace binds /dev/null over it) when `sftp` is false.
struct Dropbear {
    _child: Killed,
    port: u16,
    host_key: String,
}

impl Dropbear {
    fn start(w: &Workdir, sftp: bool) -> Dropbear {
        let key = w.path("dropbear-host");
        std::fs::remove_file(&key).ok();
        let made = Command::new("dropbearkey")
            .args(["-t", "ed25519", "-f"])
            .arg(&key)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .unwrap();
        assert!(made.success());
        let public = Command::new("dropbearkey")
            .args(["-y", "-f"])
            .arg(&key)
            .output()
            .unwrap();
        let host_key = String::from_utf8_lossy(&public.stdout)
            .lines()
            .find(|l| l.starts_with("ssh-ed25519 "))
            .unwrap()
            .split_whitespace()
            .take(2)
            .collect::<Vec<_>>()
            .join(" ");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let hide = if sftp {
            String::new()
        } else {
            "mount --bind /dev/null /usr/lib/openssh/sftp-server && ".into()
        };
        let child = Killed(
            Command::new("unshare")
                .args(["--mount", "sh", "-c"])
                .arg(format!(
                    "{hide}exec dropbear -F -E -s -p 127.0.0.1:{port} -r {}",
                    key.display()
                ))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap(),
        );
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                std::time::Instant::now() < deadline,
                "dropbear did not start"
            );
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        Dropbear {
            _child: child,
            port,
            host_key,
        }
    }
}

#[test]
fn dropbear_without_sftp_is_read_with_cat() {
    if !is_root() || !Path::new("/usr/sbin/dropbear").exists() {
        eprintln!("SKIPPED dropbear: needs root and dropbear-bin (.ci/run installs it)");
        return;
    }
    let account = Account::create();
    let home = PathBuf::from(format!("/home/{}", account.name));
    let w = Workdir::new();
    let key = w.keygen("client");
    std::fs::create_dir_all(home.join(".ssh")).unwrap();
    std::fs::copy(key.with_extension("pub"), home.join(".ssh/authorized_keys")).unwrap();
    let owned = Command::new("chown")
        .args(["-R", &format!("{0}:{0}", account.name)])
        .arg(home.join(".ssh"))
        .status()
        .unwrap();
    assert!(owned.success());
    let file = w.write("fc.txt", stats_file(&[("10.0.0.1", 5), ("10.0.0.2", 0)]));
    world_readable(&w);
    for (sftp, at) in [(false, "00"), (true, "05")] {
        let server = Dropbear::start(&w, sftp);
        w.write(
            "known_hosts",
            format!("[127.0.0.1]:{} {}\n", server.port, server.host_key),
        );
        config(
            &w,
            &key,
            &format!(
                "  - {{name: db, host: 127.0.0.1, port: {}, path: {}}}\n",
                server.port,
                file.display()
            ),
        );
        // One retry (operators have two by default): once in CI, with the
        // machine busy compiling, Dropbear closed the exec channel of the
        // fallback connection ("Failed waiting for channel success"); it did
        // not happen in 77 runs here, 60 of them beside two CPU hogs.
        w.edit("config.yaml", |c| {
            c.replace(
                &format!("user: {}", current_user()),
                &format!("user: {}", account.name),
            )
            .replace("retries: 0", "retries: 1\n  retry_delay: 0s")
        });
        w.run(&["poll", "--at", &format!("2026-11-23T10:{at}:00Z")])
            .expect_code(0)
            .expect_stderr("2 keys: 1 up, 1 down");
    }
}

#[test]
fn an_ssh_config_alias_supplies_hostname_port_user_key_and_known_hosts() {
    let (w, sshd) = served(SshdOptions::default(), "");
    let key = w.path("client");
    let kh = w.write("known_hosts.alias", sshd.known_hosts_line());
    w.write(
        "ssh_config",
        format!(
            "Host fc-east\n  HostName 127.0.0.1\n  Port {}\n  User {}\n  IdentityFile {}\n  \
             UserKnownHostsFile {}\n  ServerAliveInterval 30\n",
            sshd.port,
            current_user(),
            key.display(),
            kh.display()
        ),
    );
    // The section's key and known_hosts are wrong: the alias's are used.
    w.write("known_hosts", "");
    w.edit("config.yaml", |c| {
        c.replace(&key.display().to_string(), "/nonexistent/key")
            .replace(
                &format!("host: 127.0.0.1, port: {}, ", sshd.port),
                "host: fc-east, ",
            )
            .replace("ssh:\n", "ssh:\n  ssh_config: ssh_config\n")
    });
    poll(&w).expect_code(0).expect_stderr("1 keys: 1 up");
    let shown = w.run(&["config", "check"]);
    shown.expect_code(0);
    assert!(shown.stdout.contains("host: 127.0.0.1"), "{shown}");
}
