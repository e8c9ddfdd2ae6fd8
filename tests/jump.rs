//! A collector that only a bastion can reach (SPEC §13, `jump:`): two network
//! namespaces of the test's own. `bastion` is joined to this host by one veth
//! pair and to `inner` by another; `inner` has no route back here. A real
//! sshd runs in each. fcstats reaches the collector over direct-tcpip
//! channels, checking every hop's host key. Needs root and iproute2.

mod common;

use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::netns::ip;
use common::*;

/// The two namespaces and their sshds, removed on drop.
struct Site {
    sshds: Vec<Killed>,
    namespaces: Vec<String>,
    /// The bastion's address from here; the collector's from the bastion.
    bastion: String,
    inner: String,
    /// Host keys (`ssh-ed25519 AAAA...`).
    bastion_key: String,
    inner_key: String,
}

impl Site {
    fn start(w: &Workdir, client: &Path) -> Site {
        let id = std::process::id();
        let (b, i) = (format!("fcstats-b{id}"), format!("fcstats-i{id}"));
        let mut site = Site {
            sshds: Vec::new(),
            namespaces: vec![b.clone(), i.clone()],
            bastion: format!("10.232.{}.2", id % 250),
            inner: format!("10.233.{}.2", id % 250),
            bastion_key: String::new(),
            inner_key: String::new(),
        };
        ip(&["netns", "add", &b]);
        ip(&["netns", "add", &i]);
        let (h, hb) = (
            format!("fcj{}h", id % 100_000),
            format!("fcj{}b", id % 100_000),
        );
        let (bi, ib) = (
            format!("fcj{}x", id % 100_000),
            format!("fcj{}y", id % 100_000),
        );
        ip(&["link", "add", &h, "type", "veth", "peer", "name", &hb]);
        ip(&["link", "set", &hb, "netns", &b]);
        ip(&[
            "addr",
            "add",
            &format!("10.232.{}.1/30", id % 250),
            "dev",
            &h,
        ]);
        ip(&["link", "set", &h, "up"]);
        ip(&[
            "-n",
            &b,
            "addr",
            "add",
            &format!("{}/30", site.bastion),
            "dev",
            &hb,
        ]);
        ip(&["-n", &b, "link", "set", &hb, "up"]);
        ip(&[
            "-n", &b, "link", "add", &bi, "type", "veth", "peer", "name", &ib,
        ]);
        ip(&["-n", &b, "link", "set", &ib, "netns", &i]);
        ip(&[
            "-n",
            &b,
            "addr",
            "add",
            &format!("10.233.{}.1/30", id % 250),
            "dev",
            &bi,
        ]);
        ip(&["-n", &b, "link", "set", &bi, "up"]);
        ip(&[
            "-n",
            &i,
            "addr",
            "add",
            &format!("{}/30", site.inner),
            "dev",
            &ib,
        ]);
        ip(&["-n", &i, "link", "set", &ib, "up"]);
        for ns in [&b, &i] {
            ip(&["-n", ns, "link", "set", "lo", "up"]);
        }
        let (bastion, inner) = (site.bastion.clone(), site.inner.clone());
        site.bastion_key = site.sshd(w, &b, &[&bastion], client, "bastion");
        site.inner_key = site.sshd(w, &i, &[&inner, "127.0.0.1"], client, "inner");
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect((site.bastion.as_str(), 22)).is_err() {
            assert!(
                Instant::now() < deadline,
                "the bastion's sshd did not start"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        // The inner sshd is up once it has written its pid file.
        while !w.path("inner-sshd.pid").exists() {
            assert!(Instant::now() < deadline, "the inner sshd did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
        site
    }

    /// An sshd in `ns` on port 22 of `addrs`, accepting `client`; its host key.
    fn sshd(&mut self, w: &Workdir, ns: &str, addrs: &[&str], client: &Path, name: &str) -> String {
        let host_key = w.keygen(&format!("{name}-host"));
        let listen: String = addrs
            .iter()
            .map(|a| format!("ListenAddress {a}\n"))
            .collect();
        let config = w.write(
            &format!("{name}-sshd_config"),
            format!(
                "Port 22\n{listen}HostKey {}\nPidFile {}\nAuthorizedKeysFile {}\nStrictModes no\n\
                 UsePAM no\nPermitRootLogin yes\nPasswordAuthentication no\n\
                 Subsystem sftp {SFTP_SERVER}\nLogLevel ERROR\n",
                host_key.display(),
                w.path(&format!("{name}-sshd.pid")).display(),
                client.with_extension("pub").display()
            ),
        );
        std::fs::create_dir_all("/run/sshd").ok();
        self.sshds.push(Killed(
            Command::new("ip")
                .args(["netns", "exec", ns, SSHD, "-D", "-e", "-f"])
                .arg(&config)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap(),
        ));
        public_key(&host_key)
    }
}

impl Drop for Site {
    fn drop(&mut self) {
        self.sshds.clear(); // the sshds first, then their namespaces
        for ns in &self.namespaces {
            Command::new("ip").args(["netns", "del", ns]).status().ok();
        }
    }
}

#[test]
fn a_collector_behind_one_or_two_bastions_is_read_and_every_hop_is_checked() {
    if !is_root() {
        skip("jump hosts: needs root for network namespaces");
        return;
    }
    let w = Workdir::new();
    let key = w.keygen("client");
    let site = Site::start(&w, &key);
    let file = w.write("fc.txt", stats_file(&[("10.0.0.1", 5), ("10.0.0.2", 0)]));
    let user = current_user();
    config(
        &w,
        &key,
        &format!(
            "  - {{name: inner, host: {}, path: {}}}\n",
            site.inner,
            file.display()
        ),
    );
    w.write(
        "known_hosts",
        format!("{} {}\n", site.inner, site.inner_key),
    );
    // From here, the collector cannot be reached (how it fails depends on
    // this host's own routes: no route, or something else answering).
    w.run(&["poll", "--at", "2026-11-23T10:00:00Z"])
        .expect_code(1)
        .expect_stderr("collector inner failed: ");

    // Through the bastion, whose key is not known yet: that hop is refused.
    w.edit("config.yaml", |c| {
        c.replace(
            "ssh:\n",
            &format!("ssh:\n  jump: {user}@{}:22\n", site.bastion),
        )
    });
    w.run(&["poll", "--at", "2026-11-23T10:05:00Z"])
        .expect_code(1)
        .expect_stderr(&format!(
            "collector inner failed: jump host {user}@{}:22: host key unknown: {} (ssh-ed25519 SHA256:",
            site.bastion, site.bastion
        ));

    let mut known = std::fs::read_to_string(w.path("known_hosts")).unwrap();
    known.push_str(&format!("{} {}\n", site.bastion, site.bastion_key));
    w.write("known_hosts", &known);
    w.run(&["poll", "--at", "2026-11-23T10:10:00Z"])
        .expect_code(0)
        .expect_stderr("2 keys: 1 up, 1 down");

    // Two hops: the bastion, then the collector's own sshd, to its loopback.
    known.push_str(&format!("127.0.0.1 {}\n", site.inner_key));
    w.write("known_hosts", &known);
    w.edit("config.yaml", |c| {
        c.replace(
            &format!("jump: {user}@{}:22", site.bastion),
            &format!(
                "jump: [\"{user}@{}\", \"{user}@{}\"]",
                site.bastion, site.inner
            ),
        )
        .replace(&format!("host: {}", site.inner), "host: 127.0.0.1")
    });
    w.run(&["poll", "--at", "2026-11-23T10:15:00Z"])
        .expect_code(0)
        .expect_stderr("2 keys: 1 up, 1 down");
}
