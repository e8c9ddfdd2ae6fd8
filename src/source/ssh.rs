//! An SSH collector: TCP with a connect timeout, libssh2 with a timeout on every
//! later step, host key checked against known_hosts, authentication by agent,
//! key files and password (in that order, where configured), then the file by SFTP.

use std::fs::OpenOptions;
use std::io::{self, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::path::Path;
use std::sync::Mutex;

use ssh2::{ErrorCode, HashType, HostKeyType, MethodType, Session};

use super::known_hosts::{self, KnownHosts, Verdict};
use super::{read_consistent, Deadline, FetchError, Fetched};
use crate::config::{ByteSize, HostKeyCheck, Password, SshTarget};
use crate::stats::Columns;

/// libssh2's codes that matter here.
const LIBSSH2_ERROR_TIMEOUT: i32 = -9;
const LIBSSH2_ERROR_AUTHENTICATION_FAILED: i32 = -18;
const LIBSSH2_FX_NO_SUCH_FILE: i32 = 2;
const LIBSSH2_FX_PERMISSION_DENIED: i32 = 3;

/// Appends to known_hosts from several threads never interleave.
static KNOWN_HOSTS_WRITE: Mutex<()> = Mutex::new(());

fn describe(e: &ssh2::Error, t: &SshTarget) -> String {
    match e.code() {
        ErrorCode::Session(LIBSSH2_ERROR_TIMEOUT) => {
            format!(
                "timed out after {} (timeout) waiting for the server",
                t.timeout
            )
        }
        ErrorCode::SFTP(LIBSSH2_FX_NO_SUCH_FILE) => {
            format!("no such file {} on the collector", t.path)
        }
        ErrorCode::SFTP(LIBSSH2_FX_PERMISSION_DENIED) => {
            format!("permission denied reading {} as {}", t.path, t.user)
        }
        ErrorCode::Session(_) => format!(
            "the SSH connection broke ({}): the server or its sshd stopped mid-transfer",
            e.message()
        ),
        _ => e.message().to_string(),
    }
}

fn describe_io(e: &io::Error, t: &SshTarget) -> String {
    if e.kind() == io::ErrorKind::TimedOut {
        format!(
            "timed out after {} (timeout) waiting for the server",
            t.timeout
        )
    } else {
        e.to_string()
    }
}

/// `host` for port 22, `[host]:port` otherwise, as OpenSSH writes known_hosts.
fn known_hosts_name(t: &SshTarget) -> String {
    if t.port == 22 {
        t.host.clone()
    } else {
        format!("[{}]:{}", t.host, t.port)
    }
}

fn key_type_name(k: HostKeyType) -> &'static str {
    match k {
        HostKeyType::Rsa => "ssh-rsa",
        HostKeyType::Dss => "ssh-dss",
        HostKeyType::Ecdsa256 => "ecdsa-sha2-nistp256",
        HostKeyType::Ecdsa384 => "ecdsa-sha2-nistp384",
        HostKeyType::Ecdsa521 => "ecdsa-sha2-nistp521",
        HostKeyType::Ed25519 => "ssh-ed25519",
        HostKeyType::Unknown => "unknown",
    }
}

/// Standard base64 (the base64 crate); `pad` false for OpenSSH fingerprints.
fn base64(data: &[u8], pad: bool) -> String {
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
    use base64::Engine;
    if pad {
        STANDARD.encode(data)
    } else {
        STANDARD_NO_PAD.encode(data)
    }
}

fn connect(t: &SshTarget, deadline: Deadline) -> Result<TcpStream, FetchError> {
    let addrs: Vec<SocketAddr> = (t.host.as_str(), t.port)
        .to_socket_addrs()
        .map_err(|e| FetchError::new(format!("cannot resolve host {}: {e}", t.host)))?
        .collect();
    let mut last = None;
    for addr in &addrs {
        let limit = std::time::Duration::from_millis(deadline.millis(t.connect_timeout).into());
        match TcpStream::connect_timeout(addr, limit) {
            Ok(s) => return Ok(s),
            Err(e) => last = Some((addr, e)),
        }
    }
    let (addr, e) =
        last.ok_or_else(|| FetchError::new(format!("host {} has no address", t.host)))?;
    Err(FetchError::new(match e.kind() {
        io::ErrorKind::ConnectionRefused => {
            format!(
                "connection refused by {addr} (is sshd running and listening on port {}?)",
                t.port
            )
        }
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => {
            format!(
                "connecting to {addr} timed out after {} (connect_timeout)",
                t.connect_timeout
            )
        }
        _ => format!("cannot connect to {addr}: {e}"),
    }))
}

/// The system-wide file OpenSSH also reads (its GlobalKnownHostsFile).
const SYSTEM_KNOWN_HOSTS: &str = "/etc/ssh/ssh_known_hosts";

/// The collector's known_hosts and the system's, parsed; lines skipped are
/// said once each (file:line), the others still count. Also whether the
/// collector's file lacks a final newline (an appended line needs one first).
fn load_known_hosts(name: &str, t: &SshTarget) -> Result<(KnownHosts, bool), FetchError> {
    let mut all = KnownHosts::default();
    let mut unterminated = false;
    for (i, file) in [t.known_hosts.as_path(), Path::new(SYSTEM_KNOWN_HOSTS)]
        .iter()
        .enumerate()
    {
        let text = match std::fs::read_to_string(file) {
            Ok(text) => text,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => {
                return Err(FetchError::fatal(format!(
                    "cannot read known_hosts {}: {e}",
                    file.display()
                )))
            }
        };
        let kh = KnownHosts::parse(&file.display().to_string(), &text);
        for w in &kh.warnings {
            log::warn!("collector {name}: known_hosts {w}");
        }
        if i == 0 {
            all.hashed = kh.hashed;
            unterminated = !text.is_empty() && !text.ends_with('\n');
        }
        all.entries.extend(kh.entries);
    }
    Ok((all, unterminated))
}

/// Offers first the host key types known for the host, as OpenSSH does, so
/// that a server with several keys presents the one the file holds.
fn prefer_known_types(sess: &Session, kh: &KnownHosts, entry: &str) {
    let known = kh.types_for(entry);
    if known.is_empty() {
        return;
    }
    let Ok(supported) = sess.supported_algs(MethodType::HostKey) else {
        return;
    };
    fn algs_of(key_type: &str) -> Vec<&str> {
        match key_type {
            "ssh-rsa" => vec!["rsa-sha2-512", "rsa-sha2-256"],
            other => vec![other],
        }
    }
    let mut prefs: Vec<&str> = known
        .iter()
        .flat_map(|k| algs_of(k))
        .filter(|a| supported.contains(a))
        .collect();
    let rest: Vec<&str> = supported
        .iter()
        .copied()
        .filter(|a| !prefs.contains(a) && *a != "ssh-rsa")
        .collect();
    prefs.extend(rest);
    if let Err(e) = sess.method_pref(MethodType::HostKey, &prefs.join(",")) {
        log::debug!("host key preference {prefs:?} not taken: {}", e.message());
    }
}

fn check_host_key(
    name: &str,
    sess: &Session,
    t: &SshTarget,
    entry: &str,
    kh: &KnownHosts,
    unterminated: bool,
) -> Result<(), FetchError> {
    if t.host_key_check == HostKeyCheck::Off {
        log::warn!("collector {name}: host key checking is off (host_key_check: off); anyone on the path can impersonate it");
        return Ok(());
    }
    let (key, key_type) = sess
        .host_key()
        .ok_or_else(|| FetchError::fatal("the server sent no host key"))?;
    let key_type = key_type_name(key_type);
    let fingerprint = sess
        .host_key_hash(HashType::Sha256)
        .map(|h| format!("SHA256:{}", base64(h, false)))
        .unwrap_or_default();
    let file = &t.known_hosts;
    match kh.check(entry, key_type, key) {
        Verdict::Known => Ok(()),
        Verdict::Revoked => Err(FetchError::fatal(format!(
            "the host key of {entry} ({key_type} {fingerprint}) is marked @revoked in known_hosts: \
             refused. Ask for the collector's new key and replace the revoked one"
        ))),
        Verdict::Changed => Err(FetchError::fatal(format!(
            "HOST KEY CHANGED for {entry}: the server's {key_type} key ({fingerprint}) is not the one in {}; this could be \
             an attack. If the collector was reinstalled, check the new key and run `ssh-keygen -R '{entry}' -f {}`",
            file.display(),
            file.display()
        ))),
        Verdict::OtherTypes(types) => Err(FetchError::fatal(format!(
            "host key not known: {entry} is in known_hosts only with {} key(s), and the server offered \
             none of those but a {key_type} key ({fingerprint}); after checking it, add it with \
             `ssh-keyscan -t {key_type} -p {} {} >> {}`",
            types.join(", "),
            t.port,
            t.host,
            file.display()
        ))),
        Verdict::Unknown if t.host_key_check == HostKeyCheck::AcceptNew => {
            accept_new(name, t, entry, key_type, key, kh.hashed, unterminated)?;
            log::warn!("collector {name}: added host key {fingerprint} for {entry} to {} (accept-new)", file.display());
            Ok(())
        }
        Verdict::Unknown => Err(FetchError::fatal(format!(
            "host key unknown: {entry} ({fingerprint}) is not in {}; after checking the fingerprint, add it \
             with `ssh-keyscan -p {} {} >> {}`, or set host_key_check: accept-new",
            file.display(),
            t.port,
            t.host,
            file.display()
        ))),
    }
}

/// Appends the host's key: after a newline if the file lacks a final one,
/// hashed if the file hashes its names.
fn accept_new(
    name: &str,
    t: &SshTarget,
    entry: &str,
    key_type: &str,
    key: &[u8],
    hashed: bool,
    unterminated: bool,
) -> Result<(), FetchError> {
    let shown = if hashed {
        let mut salt = [0u8; 20];
        openssl::rand::rand_bytes(&mut salt)
            .map_err(|e| FetchError::fatal(format!("cannot make a salt: {e}")))?;
        known_hosts::hashed_name(entry, &salt)
    } else {
        entry.to_owned()
    };
    let lead = if unterminated { "\n" } else { "" };
    let line = format!("{lead}{shown} {key_type} {}\n", base64(key, true));
    let file = &t.known_hosts;
    let _guard = KNOWN_HOSTS_WRITE.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(dir) = file.parent() {
        std::fs::create_dir_all(dir).ok();
    }
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(file)
        .and_then(|mut f| f.write_all(line.as_bytes()))
        .map_err(|e| {
            FetchError::fatal(format!(
                "collector {name}: cannot add {entry} to known_hosts {}: {e}",
                file.display()
            ))
        })
}

/// The secret `p` names; `what` (`password`, `passphrase`) for the errors.
fn secret(p: &Password, what: &str) -> Result<Option<String>, FetchError> {
    Ok(match p {
        Password::None => None,
        Password::Inline(s) => Some(s.0.clone()),
        Password::Env(var) => Some(std::env::var(var).map_err(|_| {
            FetchError::fatal(format!(
                "{what}_env: the environment variable {var} is not set"
            ))
        })?),
        Password::File(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| {
                FetchError::fatal(format!("{what}_file: cannot read {}: {e}", path.display()))
            })?;
            Some(text.lines().next().unwrap_or("").to_owned())
        }
    })
}

/// Why the agent socket cannot be used, said the way an operator fixes it
/// (libssh2 only says "failed connecting with agent"). `None`: it answers.
fn agent_problem(sock: &Path) -> Option<String> {
    let e = std::os::unix::net::UnixStream::connect(sock).err()?;
    Some(match e.kind() {
        io::ErrorKind::PermissionDenied => format!(
            "the SSH agent: permission denied on $SSH_AUTH_SOCK ({}): this user cannot open the \
             socket (in a container, run as the socket owner's uid, e.g. --user \"$(id -u):$(id -g)\")",
            sock.display()
        ),
        io::ErrorKind::NotFound => format!(
            "the SSH agent: $SSH_AUTH_SOCK ({}) does not exist (is the agent running, the socket mounted?)",
            sock.display()
        ),
        _ => format!("the SSH agent: cannot connect to $SSH_AUTH_SOCK ({}): {e}", sock.display()),
    })
}

fn authenticate(sess: &Session, t: &SshTarget) -> Result<(), FetchError> {
    let mut tried: Vec<String> = Vec::new();
    let timed_out = |e: &ssh2::Error| e.code() == ErrorCode::Session(LIBSSH2_ERROR_TIMEOUT);
    if let Some(sock) = std::env::var_os("SSH_AUTH_SOCK").filter(|_| t.agent) {
        match agent_problem(Path::new(&sock)) {
            Some(problem) => tried.push(problem),
            None => {
                if let Ok(mut agent) = sess.agent() {
                    if agent.connect().is_ok() && agent.list_identities().is_ok() {
                        for id in agent.identities().unwrap_or_default() {
                            if agent.userauth(&t.user, &id).is_ok() {
                                return Ok(());
                            }
                        }
                        tried.push("the SSH agent".into());
                    }
                }
            }
        }
    }
    let passphrase = secret(&t.passphrase, "passphrase")?;
    for key in &t.identity {
        if !key.exists() {
            continue;
        }
        match sess.userauth_pubkey_file(&t.user, None, key, passphrase.as_deref()) {
            Ok(()) if sess.authenticated() => return Ok(()),
            Err(e) if timed_out(&e) => return Err(FetchError::new(describe(&e, t))),
            Err(e) if e.code() != ErrorCode::Session(LIBSSH2_ERROR_AUTHENTICATION_FAILED) => {
                let hint = if passphrase.is_none() {
                    "; if the key is encrypted, set passphrase_env or passphrase_file"
                } else {
                    "; is the passphrase right?"
                };
                tried.push(format!("key {} ({}{hint})", key.display(), e.message()))
            }
            _ => tried.push(format!("key {}", key.display())),
        }
    }
    if let Some(pw) = secret(&t.password, "password")? {
        match sess.userauth_password(&t.user, &pw) {
            Ok(()) if sess.authenticated() => return Ok(()),
            Err(e) if timed_out(&e) => return Err(FetchError::new(describe(&e, t))),
            _ => tried.push("password".into()),
        }
    }
    let tried = if tried.is_empty() {
        "nothing to try: no agent, none of the identity files exists, no password configured"
            .to_owned()
    } else {
        format!("tried {}", tried.join(", "))
    };
    Err(FetchError::fatal(format!(
        "authentication failed for user {} ({tried})",
        t.user
    )))
}

/// The file, read through `inner`, each read given at most `timeout` and
/// never past the deadline.
struct Timed<R> {
    inner: R,
    sess: Session,
    deadline: Deadline,
    timeout: crate::config::Dur,
}

impl<R: io::Read> io::Read for Timed<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.deadline.passed() {
            return Err(io::Error::new(io::ErrorKind::TimedOut, "deadline"));
        }
        self.sess.set_timeout(self.deadline.millis(self.timeout));
        self.inner.read(buf)
    }
}

/// One read of the collector's file, ended by `deadline` whatever the step.
pub fn fetch(
    name: &str,
    t: &SshTarget,
    max: ByteSize,
    cols: &Columns,
    deadline: Deadline,
) -> Result<Fetched, FetchError> {
    match fetch_within(name, t, max, cols, deadline) {
        Err(_) if deadline.passed() => Err(deadline.error()),
        other => other,
    }
}

fn fetch_within(
    name: &str,
    t: &SshTarget,
    max: ByteSize,
    cols: &Columns,
    deadline: Deadline,
) -> Result<Fetched, FetchError> {
    let tcp = connect(t, deadline)?;
    tcp.set_nodelay(true).ok();
    let mut sess = Session::new().map_err(|e| FetchError::new(e.message().to_owned()))?;
    // libssh2 has no timeout by default: without this a silent server hangs
    // us. Each step gets `timeout`, or what is left of the deadline.
    let limit = |sess: &Session| sess.set_timeout(deadline.millis(t.timeout));
    limit(&sess);
    let entry = known_hosts_name(t);
    let (kh, unterminated) = load_known_hosts(name, t)?;
    prefer_known_types(&sess, &kh, &entry);
    sess.set_tcp_stream(tcp);
    sess.handshake().map_err(|e| {
        FetchError::new(match e.code() {
            ErrorCode::Session(LIBSSH2_ERROR_TIMEOUT) => format!(
                "SSH handshake timed out after {} (timeout): the server accepted the connection but did not speak SSH",
                t.timeout
            ),
            _ => format!("SSH handshake failed: {}", e.message()),
        })
    })?;
    check_host_key(name, &sess, t, &entry, &kh, unterminated)?;
    limit(&sess);
    authenticate(&sess, t)?;
    limit(&sess);
    let sftp = sess
        .sftp()
        .map_err(|e| FetchError::new(format!("cannot start SFTP: {}", describe(&e, t))))?;
    let path = Path::new(&t.path);
    let fetched = read_consistent(
        || {
            limit(&sess);
            let st = sftp
                .stat(path)
                .map_err(|e| FetchError::new(describe(&e, t)))?;
            Ok((st.size, st.mtime.map(|m| m as i64 * 1_000_000_000)))
        },
        || {
            limit(&sess);
            let file = sftp
                .open(path)
                .map_err(|e| FetchError::new(describe(&e, t)))?;
            Ok(Timed {
                inner: file,
                sess: sess.clone(),
                deadline,
                timeout: t.timeout,
            })
        },
        max,
        cols,
        |e| describe_io(e, t),
    )?;
    sess.disconnect(None, "done", None).ok();
    Ok(fetched)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc4648() {
        assert_eq!(base64(b"", true), "");
        assert_eq!(base64(b"f", true), "Zg==");
        assert_eq!(base64(b"fo", true), "Zm8=");
        assert_eq!(base64(b"foo", true), "Zm9v");
        assert_eq!(base64(b"foob", false), "Zm9vYg");
    }
}
