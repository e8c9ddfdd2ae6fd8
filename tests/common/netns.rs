//! A collector behind a slow link: a network namespace of the test's own,
//! joined to the host by a veth pair, its outgoing traffic shaped with
//! `tc tbf` (this kernel has no netem), and a real sshd inside it. Needs root
//! and iproute2; the namespace (and with it the veth pair) and the sshd are
//! removed on drop.

use std::fs;
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::{Killed, Workdir, SFTP_SERVER, SSHD};

pub struct SlowHost {
    child: Option<Killed>,
    ns: String,
    /// The sshd's address (port 22) as the host reaches it.
    pub addr: String,
    pub host_key: String,
}

pub fn ip(args: &[&str]) {
    let out = Command::new("ip").args(args).output().expect("running ip");
    assert!(
        out.status.success(),
        "ip {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
}

impl SlowHost {
    /// An sshd accepting `key`, whose answers leave at `rate` (tc syntax, e.g. `256kbit`).
    pub fn start(w: &Workdir, key: &Path, rate: &str) -> SlowHost {
        let id = std::process::id();
        let ns = format!("fcstats-{id}");
        let (a, b) = (
            format!("fcs{}a", id % 100_000),
            format!("fcs{}b", id % 100_000),
        );
        let net = format!("10.231.{}", id % 250);
        let addr = format!("{net}.2");
        let mut host = SlowHost {
            child: None,
            ns: ns.clone(),
            addr: addr.clone(),
            host_key: String::new(),
        };
        ip(&["netns", "add", &ns]);
        ip(&["link", "add", &a, "type", "veth", "peer", "name", &b]);
        ip(&["link", "set", &b, "netns", &ns]);
        ip(&["addr", "add", &format!("{net}.1/30"), "dev", &a]);
        ip(&["link", "set", &a, "up"]);
        ip(&["-n", &ns, "addr", "add", &format!("{addr}/30"), "dev", &b]);
        ip(&["-n", &ns, "link", "set", &b, "up"]);
        ip(&["-n", &ns, "link", "set", "lo", "up"]);
        let tc = Command::new("ip")
            .args([
                "netns", "exec", &ns, "tc", "qdisc", "add", "dev", &b, "root", "tbf",
            ])
            .args(["rate", rate, "burst", "16kb", "latency", "400ms"])
            .status()
            .unwrap();
        assert!(tc.success(), "tc tbf failed");
        let host_key = w.keygen("slow-host");
        host.host_key = super::public_key(&host_key);
        let authorized = w.write(
            "slow-authorized_keys",
            fs::read_to_string(key.with_extension("pub")).unwrap(),
        );
        let config = w.write(
            "slow-sshd_config",
            format!(
                "Port 22\nListenAddress {addr}\nHostKey {}\nPidFile {}\nAuthorizedKeysFile {}\n\
                 StrictModes no\nUsePAM no\nPermitRootLogin yes\nPasswordAuthentication no\n\
                 Subsystem sftp {SFTP_SERVER}\nLogLevel ERROR\n",
                host_key.display(),
                w.path("slow-sshd.pid").display(),
                authorized.display()
            ),
        );
        fs::create_dir_all("/run/sshd").ok();
        host.child = Some(Killed(
            Command::new("ip")
                .args(["netns", "exec", &ns, SSHD, "-D", "-e", "-f"])
                .arg(&config)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap(),
        ));
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect((addr.as_str(), 22)).is_err() {
            assert!(Instant::now() < deadline, "the sshd in {ns} did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
        host
    }

    pub fn known_hosts_line(&self) -> String {
        format!("{} {}\n", self.addr, self.host_key)
    }

    /// A collector entry for the config.
    pub fn collector(&self, name: &str, path: &Path) -> String {
        format!(
            "  - {{name: {name}, host: {}, path: {}}}\n",
            self.addr,
            path.display()
        )
    }
}

impl Drop for SlowHost {
    fn drop(&mut self) {
        drop(self.child.take()); // sshd first, then its namespace
        Command::new("ip")
            .args(["netns", "del", &self.ns])
            .status()
            .ok();
    }
}
