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

/// What every connection of one fetch shares, worked out once: the
/// endpoints, the known_hosts files (read and parsed once, their bad lines
/// said once), the algorithm lists.
struct Conn<'a> {
    name: &'a str,
    t: &'a SshTarget,
    eps: Vec<Endpoint>,
    known: hostkey::Known,
    lists: algorithms::Lists,
    deadline: Deadline,
}

impl<'a> Conn<'a> {
    fn new(name: &'a str, t: &'a SshTarget, deadline: Deadline) -> Result<Conn<'a>, FetchError> {
        let sess = Session::new().map_err(|e| FetchError::new(e.message().to_owned()))?;
        Ok(Conn {
            name,
            t,
            eps: endpoints(t),
            known: hostkey::load(name, t)?,
            lists: offered(&sess, t)?,
            deadline,
        })
    }

    /// A stream to `eps[upto]`: TCP to the first endpoint, then a tunnel
    /// through each jump host before `upto`, each logged in to.
    fn open_stream(&self, upto: usize) -> Result<Stream, FetchError> {
        let eps = &self.eps;
        let first = connect(&eps[0], self.t, self.deadline).map_err(|e| on(&eps[0], e))?;
        let mut stream = Stream::Tcp(first);
        for i in 0..upto {
            let fd = stream.as_raw_fd();
            let sess = self.establish(i, stream).map_err(|e| on(&eps[i], e))?;
            let next = &eps[i + 1];
            stream = jump::tunnel(sess, fd, &next.host, next.port, self.deadline)
                .map_err(|e| on(&eps[i], e))?;
        }
        Ok(stream)
    }

    /// A logged-in session with the collector, through its jump hosts.
    fn session(&self) -> Result<Session, FetchError> {
        let last = self.eps.len() - 1;
        self.establish(last, self.open_stream(last)?)
    }

    /// A session with `eps[i]` over `stream`: handshake, host key, login.
    fn establish(&self, i: usize, stream: Stream) -> Result<Session, FetchError> {
        let (t, ep) = (self.t, &self.eps[i]);
        let mut sess = Session::new().map_err(|e| FetchError::new(e.message().to_owned()))?;
        // libssh2 has no timeout by default: without this a silent server hangs
        // us. Each step gets `timeout`, or what is left of the deadline.
        let limit = |sess: &Session| sess.set_timeout(self.deadline.millis(t.timeout));
        limit(&sess);
        sess.set_compress(t.compression);
        prefer(&sess, &self.lists, &self.known, &ep.entry());
        sess.set_tcp_stream(stream);
        if let Err(e) = sess.handshake() {
            return Err(self.handshake_failed(&e, i));
        }
        log::debug!(
            "{}: kex {}, host key {}, cipher {}, mac {}, compression {}",
            ep.entry(),
            sess.methods(MethodType::Kex).unwrap_or("-"),
            sess.methods(MethodType::HostKey).unwrap_or("-"),
            sess.methods(MethodType::CryptCs).unwrap_or("-"),
            sess.methods(MethodType::MacCs).unwrap_or("-"),
            sess.methods(MethodType::CompCs).unwrap_or("-"),
        );
        hostkey::check(self.name, &sess, t, &ep.host, ep.port, &self.known)?;
        limit(&sess);
        let login = auth::Login {
            t,
            user: &ep.user,
            password: ep.collector,
        };
        auth::authenticate(&sess, &login)?;
        limit(&sess);
        Ok(sess)
    }

    fn handshake_failed(&self, e: &ssh2::Error, i: usize) -> FetchError {
        match e.code() {
            ErrorCode::Session(LIBSSH2_ERROR_TIMEOUT) => FetchError::new(format!(
                "SSH handshake timed out after {} (timeout): the server accepted the connection but did not speak SSH",
                self.t.timeout
            )),
            ErrorCode::Session(LIBSSH2_ERROR_KEX_FAILURE) => {
                let why = self
                    .open_stream(i)
                    .ok()
                    .and_then(|s| server_offer(s, self.t, self.deadline))
                    .and_then(|offer| algorithms::diagnose(&self.lists, &offer));
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
fn offered(sess: &Session, t: &SshTarget) -> Result<algorithms::Lists, FetchError> {
    let mut lists = algorithms::Lists::default();
    for kind in Kind::ALL {
        let method = match kind {
            Kind::Kex => MethodType::Kex,
            Kind::HostKey => MethodType::HostKey,
            Kind::Cipher => MethodType::CryptCs,
            Kind::Mac => MethodType::MacCs,
        };
        let supported = sess.supported_algs(method).unwrap_or_default();
        lists[kind as usize] =
            algorithms::offered(kind, &supported, algorithms::spec(&t.algorithms, kind))
                .map_err(FetchError::fatal)?;
    }
    Ok(lists)
}

/// What is wrong with `t`'s `algorithms:` (an unknown name, or SHA-1 ones in
/// a build without them), for `config check`.
pub fn algorithm_problem(t: &SshTarget) -> Option<String> {
    let sess = Session::new().ok()?;
    offered(&sess, t).err().map(|e| e.message)
}

/// Sets the algorithms to offer; the host key types already known for
/// `entry` go first.
fn prefer(sess: &Session, lists: &algorithms::Lists, known: &hostkey::Known, entry: &str) {
    for kind in Kind::ALL {
        let list = &lists[kind as usize];
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

/// What the server offers, read from its first packet on a fresh connection.
fn server_offer(mut s: Stream, t: &SshTarget, deadline: Deadline) -> Option<algorithms::Lists> {
    let wait = std::time::Duration::from_millis(deadline.millis(t.timeout).into());
    s.set_read_timeout(wait).ok()?;
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
    let conn = Conn::new(name, t, deadline)?;
    let mut sess = conn.session()?;
    let fetched = match t.transfer {
        Transfer::Exec => conn.by_exec(&sess, max, cols),
        Transfer::Sftp => {
            let sftp = sess.sftp().map_err(|e| {
                FetchError::new(format!(
                    "cannot start SFTP: {} (a server without an SFTP subsystem is read with \
                     transfer: exec, or auto)",
                    describe(&e, t)
                ))
            })?;
            conn.by_sftp(&sess, &sftp, max, cols)
        }
        Transfer::Auto => match sess.sftp() {
            Ok(sftp) => conn.by_sftp(&sess, &sftp, max, cols),
            Err(e) => {
                log::info!(
                    "collector {name}: no SFTP ({}); reading the file with cat (transfer: auto)",
                    describe(&e, t)
                );
                // A failed SFTP start can leave libssh2's session unable to
                // open another channel (seen with Dropbear): a new connection.
                sess = conn.session()?;
                conn.by_exec(&sess, max, cols)
            }
        },
    };
    sess.disconnect(None, "done", None).ok();
    fetched
}

impl Conn<'_> {
    /// The file through `read_consistent`: every step given `timeout` (or
    /// what is left of the deadline), the file read through `Timed`.
    fn read_timed<R: Read>(
        &self,
        sess: &Session,
        max: ByteSize,
        cols: &Columns,
        mut stamp: impl FnMut() -> Result<super::Stamp, FetchError>,
        mut open: impl FnMut() -> Result<R, FetchError>,
    ) -> Result<Fetched, FetchError> {
        let (t, deadline) = (self.t, self.deadline);
        let limit = || sess.set_timeout(deadline.millis(t.timeout));
        read_consistent(
            || {
                limit();
                stamp()
            },
            || {
                limit();
                Ok(Timed {
                    inner: open()?,
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

    fn by_sftp(
        &self,
        sess: &Session,
        sftp: &ssh2::Sftp,
        max: ByteSize,
        cols: &Columns,
    ) -> Result<Fetched, FetchError> {
        let t = self.t;
        let path = Path::new(&t.path);
        let failed = |e: ssh2::Error| FetchError::new(describe(&e, t));
        self.read_timed(
            sess,
            max,
            cols,
            || {
                let st = sftp.stat(path).map_err(failed)?;
                Ok((st.size, st.mtime.map(|m| m as i64 * 1_000_000_000)))
            },
            || sftp.open(path).map_err(failed),
        )
    }

    fn by_exec(
        &self,
        sess: &Session,
        max: ByteSize,
        cols: &Columns,
    ) -> Result<Fetched, FetchError> {
        let t = self.t;
        self.read_timed(
            sess,
            max,
            cols,
            || exec::stamp(sess, t),
            || exec::cat(sess, t),
        )
    }
}
