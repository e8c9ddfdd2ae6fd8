//! A real rsyslogd, the log server of the logging tests.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use super::{free_port, quiet, start_listening, Killed, Workdir};

pub const RSYSLOGD: &str = "/usr/sbin/rsyslogd";

/// A real `rsyslogd -n` on loopback UDP and TCP ports, writing every message it
/// receives to `received.log` as `INPUT FACILITY SEVERITY APP MSG`. Killed on drop.
pub struct Rsyslog {
    _child: Killed,
    pub udp: u16,
    pub tcp: u16,
    out: PathBuf,
}

impl Rsyslog {
    pub fn start(w: &Workdir) -> Rsyslog {
        assert!(
            Path::new(RSYSLOGD).exists(),
            "{RSYSLOGD} is missing: install rsyslog (.ci/run does)"
        );
        let dir = w.path("rsyslog");
        fs::create_dir_all(&dir).unwrap();
        let out = dir.join("received.log");
        let udp = std::cell::Cell::new(0);
        let what = format!("rsyslogd (run `{RSYSLOGD} -n -f CONF` by hand to see why)");
        let (child, tcp) = start_listening(&what, Duration::from_secs(5), |tcp| {
            udp.set(free_port());
            let conf = w.write(
                "rsyslog/rsyslog.conf",
                format!(
                    "global(workDirectory=\"{d}\")\n\
                     module(load=\"imudp\")\nmodule(load=\"imtcp\")\n\
                     input(type=\"imudp\" address=\"127.0.0.1\" port=\"{u}\")\n\
                     input(type=\"imtcp\" address=\"127.0.0.1\" port=\"{tcp}\")\n\
                     template(name=\"t\" type=\"string\" string=\"%inputname% %syslogfacility-text% %syslogseverity-text% %app-name% %msg%\\n\")\n\
                     *.* action(type=\"omfile\" file=\"{o}\" template=\"t\")\n",
                    d = dir.display(),
                    u = udp.get(),
                    o = out.display()
                ),
            );
            quiet(
                Command::new(RSYSLOGD)
                    .args(["-n", "-f"])
                    .arg(&conf)
                    .arg("-i")
                    .arg(dir.join("rsyslogd.pid")),
            )
        });
        Rsyslog {
            _child: Killed(child),
            udp: udp.get(),
            tcp,
            out,
        }
    }

    /// The received lines once `pred` holds for them (5 s at most), white
    /// space folded (RFC 3164 messages keep the space after `fcstats[pid]:`).
    pub fn wait_for(&self, pred: impl Fn(&[String]) -> bool) -> Vec<String> {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let lines: Vec<String> = fs::read_to_string(&self.out)
                .unwrap_or_default()
                .lines()
                .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
                .collect();
            if pred(&lines) || Instant::now() > deadline {
                return lines;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}
