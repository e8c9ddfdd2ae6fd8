//! A webhook receiver in the test process, for the HTTP sinks.

use std::net::TcpListener;
use std::time::Duration;

/// A webhook receiver in the test process: answers every POST with `status`
/// (changeable while it runs) and keeps the bodies it got a 2xx for... and
/// the ones it refused, separately.
pub struct Hook {
    pub port: u16,
    pub status: std::sync::Arc<std::sync::atomic::AtomicU16>,
    /// The `Location` of a 3xx answer.
    pub location: std::sync::Arc<std::sync::Mutex<String>>,
    /// Every request line received (`POST /hook HTTP/1.1`).
    pub requests: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    /// Every header line received, lower-cased names (`x-team: netops`).
    pub headers: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    pub accepted: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    pub refused: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl Hook {
    pub fn start() -> Hook {
        use std::io::{BufRead, BufReader, Read, Write};
        use std::sync::atomic::{AtomicU16, Ordering};
        use std::sync::{Arc, Mutex};
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let status = Arc::new(AtomicU16::new(200));
        let accepted = Arc::new(Mutex::new(Vec::new()));
        let refused = Arc::new(Mutex::new(Vec::new()));
        let location = Arc::new(Mutex::new(String::new()));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let headers = Arc::new(Mutex::new(Vec::new()));
        let (s, a, r) = (status.clone(), accepted.clone(), refused.clone());
        let (l, q, hs) = (location.clone(), requests.clone(), headers.clone());
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(conn) = conn else { continue };
                conn.set_read_timeout(Some(Duration::from_secs(5))).ok();
                let mut reader = BufReader::new(conn);
                let mut len = 0usize;
                let mut first = true;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        break;
                    }
                    if std::mem::take(&mut first) {
                        q.lock().unwrap().push(line.trim_end().to_owned());
                    } else if let Some((k, v)) = line.trim_end().split_once(':') {
                        hs.lock().unwrap().push(format!(
                            "{}: {}",
                            k.to_ascii_lowercase(),
                            v.trim()
                        ));
                    }
                    let lower = line.to_ascii_lowercase();
                    if let Some(v) = lower.strip_prefix("content-length:") {
                        len = v.trim().parse().unwrap_or(0);
                    }
                    if line == "\r\n" {
                        break;
                    }
                }
                let mut body = vec![0; len];
                reader.read_exact(&mut body).ok();
                let body = String::from_utf8_lossy(&body).into_owned();
                let code = s.load(Ordering::SeqCst);
                if code < 300 {
                    a.lock().unwrap().push(body)
                } else {
                    r.lock().unwrap().push(body)
                }
                let mut conn = reader.into_inner();
                let location = if (300..400).contains(&code) {
                    format!("Location: {}\r\n", l.lock().unwrap())
                } else if code == 429 {
                    // Too many requests: come back in 2 seconds.
                    "Retry-After: 2\r\n".to_owned()
                } else {
                    String::new()
                };
                let _ = write!(
                    conn,
                    "HTTP/1.1 {code} X\r\n{location}Content-Length: 0\r\nConnection: close\r\n\r\n"
                );
            }
        });
        Hook {
            port,
            status,
            location,
            requests,
            headers,
            accepted,
            refused,
        }
    }

    /// Answers every request with `code` and `Location: to`.
    pub fn redirect(&self, code: u16, to: &str) {
        *self.location.lock().unwrap() = to.to_owned();
        self.set_status(code);
    }

    pub fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }

    pub fn set_status(&self, code: u16) {
        self.status.store(code, std::sync::atomic::Ordering::SeqCst);
    }

    pub fn accepted(&self) -> Vec<String> {
        self.accepted.lock().unwrap().clone()
    }

    pub fn refused(&self) -> Vec<String> {
        self.refused.lock().unwrap().clone()
    }
}
