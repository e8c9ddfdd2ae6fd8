//! Jump hosts (`jump:`, as ProxyJump): the next host is reached over a
//! direct-tcpip channel of the jump host's session; no `ssh` process is
//! spawned. libssh2 speaks to a file descriptor, so the channel is joined to
//! one end of a socket pair by a thread that moves bytes both ways until
//! either side closes or the deadline passes; the next session runs over the
//! other end.

use std::io::{self, Read, Write};
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::net::UnixStream;

use ssh2::{Channel, Session};

use crate::source::{Deadline, FetchError};

/// What a session runs over: TCP to the first host, a tunnel to the others.
pub enum Stream {
    Tcp(std::net::TcpStream),
    Tunnel(UnixStream),
}

impl AsRawFd for Stream {
    fn as_raw_fd(&self) -> RawFd {
        match self {
            Stream::Tcp(s) => s.as_raw_fd(),
            Stream::Tunnel(s) => s.as_raw_fd(),
        }
    }
}

impl Stream {
    pub fn set_read_timeout(&self, wait: std::time::Duration) -> io::Result<()> {
        match self {
            Stream::Tcp(s) => s.set_read_timeout(Some(wait)),
            Stream::Tunnel(s) => s.set_read_timeout(Some(wait)),
        }
    }
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Tcp(s) => s.read(buf),
            Stream::Tunnel(s) => s.read(buf),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Stream::Tcp(s) => s.write(buf),
            Stream::Tunnel(s) => s.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A stream to `host:port` through `sess` (logged in to a jump host).
/// `fd` is the socket `sess` runs over.
pub fn tunnel(
    sess: Session,
    fd: RawFd,
    host: &str,
    port: u16,
    deadline: Deadline,
) -> Result<Stream, FetchError> {
    let channel = sess.channel_direct_tcpip(host, port, None).map_err(|e| {
        FetchError::new(format!(
            "the jump host could not open a connection to {host}:{port} ({}); can it reach \
                 that host, and does its sshd allow forwarding (AllowTcpForwarding)?",
            e.message()
        ))
    })?;
    let (ours, theirs) = UnixStream::pair()
        .map_err(|e| FetchError::new(format!("cannot make a socket pair: {e}")))?;
    ours.set_nonblocking(true)
        .map_err(|e| FetchError::new(format!("cannot set up the tunnel: {e}")))?;
    sess.set_blocking(false);
    std::thread::Builder::new()
        .name(format!("jump to {host}:{port}"))
        .spawn(move || pump(&sess, fd, channel, ours, deadline))
        .map_err(|e| FetchError::new(format!("cannot start the tunnel: {e}")))?;
    Ok(Stream::Tunnel(theirs))
}

/// Bytes read but not yet written on.
#[derive(Default)]
struct Pending {
    buf: Vec<u8>,
    done: bool,
}

/// Moves what `from` has into `pending`, then as much of `pending` into `to`
/// as it takes. Returns whether anything moved; `Err` ends the tunnel.
fn step(from: &mut dyn Read, to: &mut dyn Write, pending: &mut Pending) -> io::Result<bool> {
    let mut moved = false;
    if pending.buf.is_empty() && !pending.done {
        let mut chunk = [0u8; 32 * 1024];
        match from.read(&mut chunk) {
            Ok(0) => pending.done = true,
            Ok(n) => {
                pending.buf.extend_from_slice(&chunk[..n]);
                moved = true;
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(e) => return Err(e),
        }
    }
    while !pending.buf.is_empty() {
        match to.write(&pending.buf) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => {
                pending.buf.drain(..n);
                moved = true;
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
            Err(e) => return Err(e),
        }
    }
    Ok(moved)
}

fn pump(
    sess: &Session,
    fd: RawFd,
    mut channel: Channel,
    mut local: UnixStream,
    deadline: Deadline,
) {
    let (mut up, mut down) = (Pending::default(), Pending::default());
    let mut local_in = local.try_clone().expect("cloning a socket");
    while !deadline.passed() {
        let sent = step(&mut local_in, &mut channel, &mut up);
        let got = step(&mut channel, &mut local, &mut down);
        match (sent, got) {
            (Ok(a), Ok(b)) => {
                if (up.done && up.buf.is_empty()) || (down.done && down.buf.is_empty()) {
                    break;
                }
                if !a && !b {
                    wait(fd, &local);
                }
            }
            _ => break,
        }
    }
    let _ = local.shutdown(std::net::Shutdown::Both);
    sess.set_blocking(true);
    sess.set_timeout(1000);
    let _ = channel.close();
    let _ = sess.disconnect(None, "done", None);
}

/// Sleeps until either socket has something to read (or 20 ms pass: libssh2
/// may hold data it has already read, and writes may have become possible).
fn wait(fd: RawFd, local: &UnixStream) {
    let mut fds = [
        libc::pollfd {
            fd: local.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        },
        libc::pollfd {
            fd,
            events: libc::POLLIN,
            revents: 0,
        },
    ];
    // SAFETY: two valid pollfd structs; poll only writes their revents.
    unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, 20) };
}
