//! Real OpenSSH `sshd` collectors on 127.0.0.1 with generated keys, killed on
//! drop; an SFTP gate that holds a transfer mid-way; configs that use them.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use super::{current_user, quiet, start_listening, stats_file, Killed, Workdir};

pub const SSHD: &str = "/usr/sbin/sshd";
pub const SFTP_SERVER: &str = "/usr/lib/openssh/sftp-server";

/// SIGKILL to every descendant of `pid` (children first found, then theirs),
/// not to `pid` itself.
pub fn kill_descendants(pid: u32) {
    let mut found = Vec::new();
    let mut todo = vec![pid];
    while let Some(parent) = todo.pop() {
        let out = Command::new("pgrep")
            .args(["-P", &parent.to_string()])
            .output()
            .unwrap();
        for child in String::from_utf8_lossy(&out.stdout).split_whitespace() {
            let child: u32 = child.parse().unwrap();
            found.push(child);
            todo.push(child);
        }
    }
    for p in found {
        Command::new("kill")
            .args(["-KILL", &p.to_string()])
            .stderr(Stdio::null())
            .status()
            .ok();
    }
}

/// A real OpenSSH server on 127.0.0.1, killed on drop.
pub struct Sshd {
    child: Option<Killed>,
    pub port: u16,
    /// `ssh-ed25519 AAAA...` of its host key.
    pub host_key: String,
    /// `ecdsa-sha2-nistp256 AAAA...` of the second host key, if any.
    pub extra_host_key: String,
    /// `@cert-authority` key (`ssh-ed25519 AAAA...`) that signed its host
    /// certificate, if it presents one.
    pub ca_key: String,
    config: PathBuf,
    gate: Option<PathBuf>,
}

#[derive(Default)]
pub struct SshdOptions<'a> {
    pub authorized_keys: &'a [&'a Path],
    pub password_auth: bool,
    /// Serve SFTP through a gate (see `Sshd::arm_gate`).
    pub sftp_gate: bool,
    /// A second host key of this type (`ecdsa`, `rsa`), besides the ed25519 one.
    pub extra_host_key: Option<&'a str>,
    /// sshd_config lines that take precedence over the defaults (sshd keeps
    /// the first value of a keyword).
    pub extra: &'a str,
    /// No `Subsystem sftp` (an appliance without SFTP).
    pub no_sftp: bool,
    /// Present a host certificate signed by a CA made for the test.
    pub host_certificate: bool,
    /// Listen on ::1 too.
    pub ipv6: bool,
}

/// The gate's SFTP subsystem: plain sftp-server until `GATE.arm` exists; then
/// the server's answers pass until the first MiB has gone out, `GATE.flowing`
/// is created, and the rest is held back until that file is removed. A test
/// thereby knows a transfer is under way, and that it cannot end meanwhile.
const SFTP_GATE: &str = r#"#!/usr/bin/perl
# perl-base is essential on Debian, so this runs on any machine with sshd.
my $gate = $0;
exec "SFTP_SERVER" unless -e "$gate.arm";
open(my $server, "-|", "SFTP_SERVER") or die "sftp-server: $!";
binmode $server; binmode STDOUT;
my ($sent, $buf) = (0, "");
while (my $n = sysread($server, $buf, 65536)) {
    my $off = 0;
    while ($off < $n) {
        my $w = syswrite(STDOUT, $buf, $n - $off, $off);
        exit 0 unless defined $w;
        $off += $w;
    }
    $sent += $n;
    if ($sent >= 1048576) {
        open(my $f, ">", "$gate.flowing") or die; close $f;
        select(undef, undef, undef, 0.05) while -e "$gate.flowing";
        exit 0;
    }
}
"#;

impl Sshd {
    /// Starts `sshd -D` with a fresh host key under `w`, named `name`.
    pub fn start(w: &Workdir, name: &str, opts: SshdOptions) -> Sshd {
        assert!(
            Path::new(SSHD).exists(),
            "{SSHD} is missing: install openssh-server (.ci/run does)"
        );
        fs::create_dir_all("/run/sshd").ok();
        let host_key = w.keygen(&format!("{name}-host"));
        let host_pub = public_key(&host_key);
        let extra = opts.extra_host_key.map(|kind| {
            let path = w.keygen_type(&format!("{name}-host-{kind}"), kind);
            let public = public_key(&path);
            (path, public)
        });
        let mut extra_line = extra
            .as_ref()
            .map(|(p, _)| format!("HostKey {}\n", p.display()))
            .unwrap_or_default();
        let ca_key = if opts.host_certificate {
            let ca = w.keygen(&format!("{name}-ca"));
            let signed = Command::new("ssh-keygen")
                .args(["-q", "-s"])
                .arg(&ca)
                .args([
                    "-I",
                    name,
                    "-h",
                    "-n",
                    "127.0.0.1,localhost",
                    "-V",
                    "-1d:+1d",
                ])
                .arg(host_key.with_extension("pub"))
                .status()
                .unwrap();
            assert!(signed.success(), "ssh-keygen -s failed");
            extra_line.push_str(&format!(
                "HostCertificate {}-cert.pub\n",
                host_key.display()
            ));
            public_key(&ca)
        } else {
            String::new()
        };
        if opts.ipv6 {
            extra_line.push_str("ListenAddress ::1\n");
        }
        let authorized = w.path(&format!("{name}-authorized_keys"));
        let mut keys = String::new();
        for k in opts.authorized_keys {
            keys.push_str(&fs::read_to_string(k.with_extension("pub")).unwrap());
        }
        fs::write(&authorized, keys).unwrap();
        let yes_no = |b: bool| if b { "yes" } else { "no" };
        let sftp = if opts.no_sftp {
            None
        } else if opts.sftp_gate {
            let gate = w.write(
                &format!("{name}-sftp-gate"),
                SFTP_GATE.replace("SFTP_SERVER", SFTP_SERVER),
            );
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(&gate, fs::Permissions::from_mode(0o755)).unwrap();
            Some(gate)
        } else {
            Some(PathBuf::from(SFTP_SERVER))
        };
        let subsystem = sftp
            .as_ref()
            .map(|p| format!("Subsystem sftp {}\n", p.display()))
            .unwrap_or_default();
        let config = w.path(&format!("{name}-sshd_config"));
        let what = format!(
            "sshd (run `{SSHD} -D -e -f {}` by hand to see why)",
            config.display()
        );
        let (child, port) = start_listening(&what, Duration::from_secs(5), |port| {
            fs::write(
                &config,
                format!(
                    "{}Port {port}\nListenAddress 127.0.0.1\nHostKey {}\n{extra_line}PidFile {}\n\
                     AuthorizedKeysFile {}\nStrictModes no\nUsePAM no\nPermitRootLogin yes\n\
                     PasswordAuthentication {}\nKbdInteractiveAuthentication no\n\
                     {subsystem}LogLevel ERROR\n",
                    opts.extra,
                    host_key.display(),
                    w.path(&format!("{name}-sshd.pid")).display(),
                    authorized.display(),
                    yes_no(opts.password_auth),
                ),
            )
            .unwrap();
            quiet(Command::new(SSHD).args(["-D", "-e", "-f"]).arg(&config))
        });
        Sshd {
            child: Some(Killed(child)),
            port,
            host_key: host_pub,
            extra_host_key: extra.map(|(_, public)| public).unwrap_or_default(),
            ca_key,
            config,
            gate: if opts.sftp_gate { sftp } else { None },
        }
    }

    /// Arms the SFTP gate: the next transfer stops after its first MiB.
    /// Returns the file whose appearance says so; removing it lets the
    /// transfer go on.
    pub fn arm_gate(&self) -> PathBuf {
        let gate = self.gate.as_ref().expect("started with sftp_gate: true");
        fs::write(gate.with_extension("arm"), "").unwrap();
        gate.with_extension("flowing")
    }

    /// An sshd accepting `key` only.
    pub fn with_key(w: &Workdir, name: &str, key: &Path) -> Sshd {
        Sshd::start(
            w,
            name,
            SshdOptions {
                authorized_keys: &[key],
                password_auth: false,
                ..Default::default()
            },
        )
    }

    /// The known_hosts line OpenSSH writes for this server.
    pub fn known_hosts_line(&self) -> String {
        format!("[127.0.0.1]:{} {}\n", self.port, self.host_key)
    }

    pub fn stop(&mut self) {
        self.child.take();
    }
}

/// `ssh-ed25519 AAAA...` of the key pair at `private` (its `.pub`, without the comment).
pub fn public_key(private: &Path) -> String {
    fs::read_to_string(private.with_extension("pub"))
        .unwrap()
        .split_whitespace()
        .take(2)
        .collect::<Vec<_>>()
        .join(" ")
}

/// A collector entry for the config.
pub fn ssh_collector(name: &str, sshd: &Sshd, path: &Path) -> String {
    format!(
        "  - {{name: {name}, host: 127.0.0.1, port: {}, path: {}}}\n",
        sshd.port,
        path.display()
    )
}

/// A config whose ssh defaults use `key` and `known_hosts` in the work dir.
pub fn config(w: &Workdir, key: &Path, collectors: &str) -> PathBuf {
    w.write(
        "config.yaml",
        format!(
            "database: state.db\nssh:\n  user: {}\n  identity: [{}]\n  agent: false\n  known_hosts: {}\n  \
             connect_timeout: 2s\n  timeout: 5s\n  retries: 0\ncollectors:\n{collectors}",
            current_user(),
            key.display(),
            w.path("known_hosts").display()
        ),
    )
}

/// One sshd collector accepting `key`, its host key in known_hosts, serving
/// `rows` as fc.txt. Returns the server and the file's path.
pub fn single(w: &Workdir, name: &str, key: &Path, rows: &[(&str, u64)]) -> (Sshd, PathBuf) {
    let sshd = Sshd::with_key(w, name, key);
    w.write("known_hosts", sshd.known_hosts_line());
    let file = w.write("fc.txt", stats_file(rows));
    (sshd, file)
}
