//! An SSH collector (SPEC §13): TCP with a connect timeout (through jump
//! hosts when `jump:` names them), libssh2 with a timeout on every later step
//! and the algorithms `algorithms:` allows, the host key checked against
//! known_hosts (hostkey.rs), a login (auth.rs), then the file by SFTP or by
//! `cat` (exec.rs).

mod auth;
mod exec;
mod hostkey;
mod jump;

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::os::fd::AsRawFd;
use std::path::Path;

use ssh2::{ErrorCode, MethodType, Session};

use super::algorithms::{self, Kind};
use super::{read_consistent, Deadline, FetchError, Fetched};
use crate::config::{ByteSize, SshTarget, Transfer};
use crate::stats::Columns;
use jump::Stream;

/// libssh2's codes that matter here, from libssh2-sys.
use libssh2_sys::{
    LIBSSH2_ERROR_KEX_FAILURE, LIBSSH2_ERROR_TIMEOUT, LIBSSH2_FX_NO_SUCH_FILE,
    LIBSSH2_FX_PERMISSION_DENIED,
};

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

/// One host to log in to: a jump host or, last, the collector.
struct Endpoint {
    host: String,
    port: u16,
    user: String,
    collector: bool,
}

impl Endpoint {
    fn entry(&self) -> String {
        hostkey::entry_name(&self.host, self.port)
    }

    /// How errors name a jump host (the collector's are named by the caller).
    fn prefix(&self) -> String {
        if self.collector {
            String::new()
        } else {
            format!("jump host {}@{}:{}: ", self.user, self.host, self.port)
        }
    }
}

/// The jump hosts in order, then the collector. A jump host without a user
/// is logged in to as the local user, as ProxyJump does.
fn endpoints(t: &SshTarget) -> Vec<Endpoint> {
    let local = std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .unwrap_or_else(|_| t.user.clone());
    let mut all: Vec<Endpoint> = t
        .jump
        .iter()
        .map(|h| Endpoint {
            host: h.host.clone(),
            port: h.port.unwrap_or(22),
            user: h.user.clone().unwrap_or_else(|| local.clone()),
            collector: false,
        })
        .collect();
    all.push(Endpoint {
        host: t.host.clone(),
        port: t.port,
        user: t.user.clone(),
        collector: true,
    });
    all
}

fn connect(ep: &Endpoint, t: &SshTarget, deadline: Deadline) -> Result<TcpStream, FetchError> {
    let addrs: Vec<SocketAddr> = (ep.host.as_str(), ep.port)
        .to_socket_addrs()
        .map_err(|e| FetchError::new(format!("cannot resolve host {}: {e}", ep.host)))?
        .collect();
    let mut last = None;
    for addr in &addrs {
        let limit = std::time::Duration::from_millis(deadline.millis(t.connect_timeout).into());
        match TcpStream::connect_timeout(addr, limit) {
            Ok(s) => {
                s.set_nodelay(true).ok();
                return Ok(s);
            }
            Err(e) => last = Some((addr, e)),
        }
    }
    let (addr, e) =
        last.ok_or_else(|| FetchError::new(format!("host {} has no address", ep.host)))?;
    Err(FetchError::new(match e.kind() {
        io::ErrorKind::ConnectionRefused => {
            format!(
                "connection refused by {addr} (is sshd running and listening on port {}?)",
                ep.port
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

/// A stream to `eps[upto]`: TCP to the first endpoint, then a tunnel through
/// each jump host before `upto`, each logged in to.
fn open_stream(
    name: &str,
    t: &SshTarget,
    eps: &[Endpoint],
    upto: usize,
    deadline: Deadline,
) -> Result<Stream, FetchError> {
    let mut stream = Stream::Tcp(connect(&eps[0], t, deadline).map_err(|e| on(&eps[0], e))?);
    for i in 0..upto {
        let fd = stream.as_raw_fd();
        let sess = establish(name, t, eps, i, stream, deadline).map_err(|e| on(&eps[i], e))?;
        let next = &eps[i + 1];
        stream =
            jump::tunnel(sess, fd, &next.host, next.port, deadline).map_err(|e| on(&eps[i], e))?;
    }
    Ok(stream)
}

/// `e`, said of `ep` when it is a jump host.
fn on(ep: &Endpoint, e: FetchError) -> FetchError {
    FetchError {
        message: format!("{}{}", ep.prefix(), e.message),
        ..e
    }
}

/// The lists offered for each kind of algorithm; a bad `algorithms:` entry
/// is a configuration error.
fn offered(sess: &Session, t: &SshTarget) -> Result<Vec<(Kind, Vec<String>)>, FetchError> {
    Kind::ALL
        .iter()
        .map(|&kind| {
            let method = match kind {
                Kind::Kex => MethodType::Kex,
                Kind::HostKey => MethodType::HostKey,
                Kind::Cipher => MethodType::CryptCs,
                Kind::Mac => MethodType::MacCs,
            };
            let supported = sess.supported_algs(method).unwrap_or_default();
            algorithms::offered(kind, &supported, algorithms::spec(&t.algorithms, kind))
                .map(|list| (kind, list))
                .map_err(FetchError::fatal)
        })
        .collect()
}

/// What is wrong with `t`'s `algorithms:` (an unknown name, or SHA-1 ones in
/// a build without them), for `config check`.
pub fn algorithm_problem(t: &SshTarget) -> Option<String> {
    let sess = Session::new().ok()?;
    offered(&sess, t).err().map(|e| e.message)
}

/// Sets the algorithms to offer; the host key types already known for
/// `entry` go first.
fn prefer(sess: &Session, lists: &[(Kind, Vec<String>)], known: &hostkey::Known, entry: &str) {
    for (kind, list) in lists {
        let (methods, list): (&[MethodType], Vec<String>) = match kind {
            Kind::Kex => (&[MethodType::Kex], list.clone()),
            Kind::HostKey => (
                &[MethodType::HostKey],
                hostkey::preference(&known.hosts, entry, list),
            ),
            Kind::Cipher => (&[MethodType::CryptCs, MethodType::CryptSc], list.clone()),
            Kind::Mac => (&[MethodType::MacCs, MethodType::MacSc], list.clone()),
        };
        for &m in methods {
            if let Err(e) = sess.method_pref(m, &list.join(",")) {
                log::debug!("algorithm preference {list:?} not taken: {}", e.message());
            }
        }
    }
}

/// A session with `eps[i]` over `stream`: handshake, host key, login.
fn establish(
    name: &str,
    t: &SshTarget,
    eps: &[Endpoint],
    i: usize,
    stream: Stream,
    deadline: Deadline,
) -> Result<Session, FetchError> {
    let ep = &eps[i];
    let fd = stream.as_raw_fd();
    let mut sess = Session::new().map_err(|e| FetchError::new(e.message().to_owned()))?;
    // libssh2 has no timeout by default: without this a silent server hangs
    // us. Each step gets `timeout`, or what is left of the deadline.
    sess.set_timeout(deadline.millis(t.timeout));
    sess.set_compress(t.compression);
    let known = hostkey::load(name, t)?;
    let lists = offered(&sess, t)?;
    prefer(&sess, &lists, &known, &ep.entry());
    sess.set_tcp_stream(stream);
    if let Err(e) = sess.handshake() {
        return Err(handshake_failed(&e, name, t, eps, i, &lists, deadline));
    }
    hostkey::check(name, &sess, t, &ep.entry(), &known)?;
    sess.set_timeout(deadline.millis(t.timeout));
    let login = auth::Login {
        t,
        user: &ep.user,
        password: ep.collector,
        fd,
    };
    auth::authenticate(&sess, &login)?;
    sess.set_timeout(deadline.millis(t.timeout));
    Ok(sess)
}

fn handshake_failed(
    e: &ssh2::Error,
    name: &str,
    t: &SshTarget,
    eps: &[Endpoint],
    i: usize,
    lists: &[(Kind, Vec<String>)],
    deadline: Deadline,
) -> FetchError {
    match e.code() {
        ErrorCode::Session(LIBSSH2_ERROR_TIMEOUT) => FetchError::new(format!(
            "SSH handshake timed out after {} (timeout): the server accepted the connection but did not speak SSH",
            t.timeout
        )),
        ErrorCode::Session(LIBSSH2_ERROR_KEX_FAILURE) => {
            let ours = |kind: Kind| -> Vec<String> {
                lists
                    .iter()
                    .find(|(k, _)| *k == kind)
                    .map(|(_, l)| l.clone())
                    .unwrap_or_default()
            };
            let why = open_stream(name, t, eps, i, deadline)
                .ok()
                .and_then(|s| server_offer(s, t, deadline))
                .and_then(|offer| algorithms::diagnose(&ours, &offer));
            match why {
                Some(why) => FetchError::fatal(format!(
                    "SSH handshake failed: no algorithm in common with the server: {why}"
                )),
                None => FetchError::new(format!("SSH handshake failed: {}", e.message())),
            }
        }
        _ => FetchError::new(format!("SSH handshake failed: {}", e.message())),
    }
}

/// What the server offers, read from its first packet on a fresh connection.
fn server_offer(
    mut s: Stream,
    t: &SshTarget,
    deadline: Deadline,
) -> Option<algorithms::ServerOffer> {
    let wait = Some(std::time::Duration::from_millis(
        deadline.millis(t.timeout).into(),
    ));
    match &s {
        Stream::Tcp(tcp) => tcp.set_read_timeout(wait).ok()?,
        Stream::Tunnel(unix) => unix.set_read_timeout(wait).ok()?,
    }
    s.write_all(b"SSH-2.0-fcstats\r\n").ok()?;
    // Lines before the version line may come first (RFC 4253 §4.2).
    let mut line = Vec::new();
    let mut byte = [0u8; 1];
    loop {
        s.read_exact(&mut byte).ok()?;
        line.push(byte[0]);
        if byte[0] == b'\n' {
            if line.starts_with(b"SSH-") {
                break;
            }
            line.clear();
        }
        if line.len() > 8192 {
            return None;
        }
    }
    let mut len = [0u8; 4];
    s.read_exact(&mut len).ok()?;
    let len = u32::from_be_bytes(len) as usize;
    if !(5..=256 * 1024).contains(&len) {
        return None;
    }
    let mut packet = vec![0u8; len];
    s.read_exact(&mut packet).ok()?;
    let padding = usize::from(packet[0]);
    algorithms::parse_kexinit(packet.get(1..len.checked_sub(padding)?)?)
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
    let eps = endpoints(t);
    let sess = session(name, t, &eps, deadline)?;
    let fetched = match t.transfer {
        Transfer::Exec => by_exec(&sess, t, max, cols, deadline),
        Transfer::Sftp => {
            let sftp = sess.sftp().map_err(|e| {
                FetchError::new(format!(
                    "cannot start SFTP: {} (a server without an SFTP subsystem is read with \
                     transfer: exec, or auto)",
                    describe(&e, t)
                ))
            })?;
            by_sftp(&sess, &sftp, t, max, cols, deadline)
        }
        Transfer::Auto => match sess.sftp() {
            Ok(sftp) => by_sftp(&sess, &sftp, t, max, cols, deadline),
            Err(e) => {
                log::info!(
                    "collector {name}: no SFTP ({}); reading the file with cat (transfer: auto)",
                    describe(&e, t)
                );
                // A failed SFTP start can leave libssh2's session unable to
                // open another channel (seen with Dropbear): a new connection.
                drop(sess);
                let sess = session(name, t, &eps, deadline)?;
                let fetched = by_exec(&sess, t, max, cols, deadline);
                sess.disconnect(None, "done", None).ok();
                return fetched;
            }
        },
    }?;
    sess.disconnect(None, "done", None).ok();
    Ok(fetched)
}

/// A logged-in session with the collector, through its jump hosts.
fn session(
    name: &str,
    t: &SshTarget,
    eps: &[Endpoint],
    deadline: Deadline,
) -> Result<Session, FetchError> {
    let last = eps.len() - 1;
    let stream = open_stream(name, t, eps, last, deadline)?;
    establish(name, t, eps, last, stream, deadline)
}

fn by_sftp(
    sess: &Session,
    sftp: &ssh2::Sftp,
    t: &SshTarget,
    max: ByteSize,
    cols: &Columns,
    deadline: Deadline,
) -> Result<Fetched, FetchError> {
    let limit = || sess.set_timeout(deadline.millis(t.timeout));
    let path = Path::new(&t.path);
    read_consistent(
        || {
            limit();
            let st = sftp
                .stat(path)
                .map_err(|e| FetchError::new(describe(&e, t)))?;
            Ok((st.size, st.mtime.map(|m| m as i64 * 1_000_000_000)))
        },
        || {
            limit();
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
    )
}

fn by_exec(
    sess: &Session,
    t: &SshTarget,
    max: ByteSize,
    cols: &Columns,
    deadline: Deadline,
) -> Result<Fetched, FetchError> {
    let limit = || sess.set_timeout(deadline.millis(t.timeout));
    read_consistent(
        || {
            limit();
            exec::stamp(sess, t)
        },
        || {
            limit();
            Ok(Timed {
                inner: exec::cat(sess, t)?,
                sess: sess.clone(),
                deadline,
                timeout: t.timeout,
            })
        },
        max,
        cols,
        |e| describe_io(e, t),
    )
}
