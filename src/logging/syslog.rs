//! Remote syslog. The syslog crate formats (RFC 5424 or 3164, app name
//! `fcstats`); sending is ours, because its TCP sender neither frames messages
//! (rsyslog would merge them) nor reconnects. TCP messages are octet-counted
//! (RFC 6587); a server that is down costs at most a short timeout, once.

use std::collections::BTreeMap;
use std::io::Write;
use std::net::{SocketAddr, TcpStream, ToSocketAddrs, UdpSocket};
use std::os::unix::net::UnixDatagram;
use std::sync::atomic::AtomicBool;
use std::sync::Mutex;
use std::time::Duration;

use log::{Level, Record};
use syslog::{Formatter3164, Formatter5424, LogFormat, Severity};

use super::{warn_once, Sink};
use crate::config::{SyslogConfig, SyslogFormat, SyslogServer};

/// The longest a dead log server may hold up a poll, per attempt.
const TIMEOUT: Duration = Duration::from_secs(1);

enum Conn {
    None,
    Udp(UdpSocket),
    Tcp(TcpStream),
    Unix(UnixDatagram),
    /// Gave up for this run.
    Dead,
}

pub struct Syslog {
    server: SyslogServer,
    format: SyslogFormat,
    f3164: Formatter3164,
    f5424: Formatter5424,
    conn: Mutex<Conn>,
    failed: AtomicBool,
}

fn severity(l: Level) -> Severity {
    match l {
        Level::Error => Severity::LOG_ERR,
        Level::Warn => Severity::LOG_WARNING,
        Level::Info => Severity::LOG_INFO,
        Level::Debug | Level::Trace => Severity::LOG_DEBUG,
    }
}

fn resolve(hostport: &str) -> std::io::Result<SocketAddr> {
    hostport
        .to_socket_addrs()?
        .next()
        .ok_or_else(|| std::io::Error::other("no address"))
}

impl Syslog {
    pub fn new(cfg: &SyslogConfig) -> Syslog {
        let facility = cfg.facility.parse().unwrap_or(syslog::Facility::LOG_LOCAL0);
        let process = "fcstats".to_string();
        Syslog {
            server: cfg.server.clone(),
            format: cfg.format,
            f3164: Formatter3164 {
                facility,
                process: process.clone(),
                ..Formatter3164::default()
            },
            f5424: Formatter5424 {
                facility,
                process,
                ..Formatter5424::default()
            },
            conn: Mutex::new(Conn::None),
            failed: AtomicBool::new(false),
        }
    }

    fn connect(&self) -> std::io::Result<Conn> {
        Ok(match &self.server {
            SyslogServer::Udp(hp) => {
                let addr = resolve(hp)?;
                let local: SocketAddr = if addr.is_ipv4() {
                    "0.0.0.0:0"
                } else {
                    "[::]:0"
                }
                .parse()
                .expect("literal");
                let s = UdpSocket::bind(local)?;
                s.connect(addr)?;
                Conn::Udp(s)
            }
            SyslogServer::Tcp(hp) => {
                let s = TcpStream::connect_timeout(&resolve(hp)?, TIMEOUT)?;
                s.set_write_timeout(Some(TIMEOUT))?;
                s.set_nodelay(true)?;
                Conn::Tcp(s)
            }
            SyslogServer::Unix(path) => {
                let s = UnixDatagram::unbound()?;
                s.connect(path)?;
                Conn::Unix(s)
            }
        })
    }

    /// The message as the server gets it (framed for TCP).
    fn frame(&self, sev: Severity, text: &dyn std::fmt::Display) -> Vec<u8> {
        let mut msg = Vec::new();
        let _ = match self.format {
            SyslogFormat::Rfc3164 => self.f3164.format(&mut msg, sev, text),
            SyslogFormat::Rfc5424 => self.f5424.format(&mut msg, sev, (0, BTreeMap::new(), text)),
        };
        if matches!(self.server, SyslogServer::Tcp(_)) {
            let mut framed = format!("{} ", msg.len()).into_bytes();
            framed.extend_from_slice(&msg);
            framed
        } else {
            msg
        }
    }

    fn send(conn: &mut Conn, bytes: &[u8]) -> std::io::Result<()> {
        match conn {
            Conn::Udp(s) => s.send(bytes).map(|_| ()),
            Conn::Tcp(s) => s.write_all(bytes),
            Conn::Unix(s) => s.send(bytes).map(|_| ()),
            Conn::None | Conn::Dead => Ok(()),
        }
    }

    /// Sends one message: on the open connection, else a new one; a broken
    /// stream is reopened once, then this sender gives up for the run.
    pub fn send_text(&self, sev: Severity, text: &dyn std::fmt::Display) -> std::io::Result<()> {
        let bytes = self.frame(sev, text);
        let mut conn = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        let mut last = std::io::Error::other("gave up on this server earlier in this run");
        for _ in 0..2 {
            match *conn {
                Conn::Dead => return Err(last),
                Conn::None => match self.connect() {
                    Ok(c) => *conn = c,
                    Err(e) => {
                        *conn = Conn::Dead;
                        return Err(e);
                    }
                },
                _ => {}
            }
            match Self::send(&mut conn, &bytes) {
                Ok(()) => return Ok(()),
                // Datagrams: nothing to reopen; the next message tries again.
                Err(e) if matches!(*conn, Conn::Udp(_)) => return Err(e),
                Err(e) => {
                    *conn = Conn::None;
                    last = e;
                }
            }
        }
        *conn = Conn::Dead;
        Err(last)
    }
}

impl Sink for Syslog {
    fn write(&self, r: &Record) {
        if let Err(e) = self.send_text(severity(r.level()), r.args()) {
            warn_once(&self.failed, || {
                format!(
                    "log server {} failed ({e}); not logging there this run",
                    self.server
                )
            });
        }
    }
}
