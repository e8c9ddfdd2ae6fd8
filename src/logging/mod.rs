//! One `log::Log` that fans out to stderr (env_logger), a rotated log file and
//! a remote syslog server. Stderr follows -v/-q/RUST_LOG; the file and syslog
//! follow the config's `log.level`. A sink that fails says so once on stderr
//! and never fails the command.

mod file;
pub(crate) mod syslog;

use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::OnceLock;

use anyhow::Result;
use log::{LevelFilter, Log, Metadata, Record};

use crate::config::LogConfig;

/// A destination besides stderr.
trait Sink: Send + Sync {
    fn write(&self, record: &Record);
}

struct Fanout {
    stderr: env_logger::Logger,
    /// With RUST_LOG, env_logger filters stderr; otherwise this level does.
    rust_log: bool,
    stderr_level: AtomicUsize,
    sinks: OnceLock<(LevelFilter, Vec<Box<dyn Sink>>)>,
}

static LOGGER: OnceLock<Fanout> = OnceLock::new();

fn level_from(n: usize) -> LevelFilter {
    LevelFilter::iter().nth(n).unwrap_or(LevelFilter::Trace)
}

impl Fanout {
    fn stderr_enabled(&self, m: &Metadata) -> bool {
        if self.rust_log {
            self.stderr.enabled(m)
        } else {
            m.level() <= level_from(self.stderr_level.load(Ordering::Relaxed))
        }
    }
}

/// Records of other crates below warning level are dropped, whatever `-vv`
/// or `RUST_LOG` say: their debug lines quote URLs whole, tokens included
/// (SPEC §8: secrets are never logged).
fn foreign_detail(m: &Metadata) -> bool {
    m.level() > log::Level::Warn && !m.target().starts_with("fcstats")
}

impl Log for Fanout {
    fn enabled(&self, m: &Metadata) -> bool {
        !foreign_detail(m)
            && (self.stderr_enabled(m) || self.sinks.get().is_some_and(|(l, _)| m.level() <= *l))
    }

    fn log(&self, r: &Record) {
        if foreign_detail(r.metadata()) {
            return;
        }
        // Text from collector files (exporter names, errors quoting a field)
        // reaches terminals and logs with its control characters escaped.
        // Formatted once here; every destination writes this text.
        let text = r.args().to_string();
        let text = crate::output::escape_controls_but_newlines(&text);
        self.log_record(
            &Record::builder()
                .args(format_args!("{text}"))
                .metadata(r.metadata().clone())
                .module_path(r.module_path())
                .file(r.file())
                .line(r.line())
                .build(),
        );
    }

    fn flush(&self) {
        self.stderr.flush();
    }
}

impl Fanout {
    fn log_record(&self, r: &Record) {
        if self.stderr_enabled(r.metadata()) {
            self.stderr.log(r);
        }
        if let Some((level, sinks)) = self.sinks.get() {
            if r.level() <= *level {
                for s in sinks {
                    s.write(r);
                }
            }
        }
    }
}

/// Says a sink's trouble on stderr, once per process and sink.
pub(crate) fn warn_once(flag: &AtomicBool, msg: impl FnOnce() -> String) {
    if !flag.swap(true, Ordering::Relaxed) {
        let _ = writeln!(std::io::stderr(), "fcstats: warning: {}", msg());
    }
}

/// The stderr logger, before the config is read. `level` comes from -v/-q.
pub fn init(level: LevelFilter) {
    let rust_log = std::env::var("RUST_LOG").ok();
    let mut b = env_logger::Builder::new();
    b.filter_level(LevelFilter::Trace)
        .format(|f, r| match r.level() {
            log::Level::Info => writeln!(f, "fcstats: {}", r.args()),
            log::Level::Warn => writeln!(f, "fcstats: warning: {}", r.args()),
            l => writeln!(
                f,
                "fcstats: {}: {}",
                l.as_str().to_ascii_lowercase(),
                r.args()
            ),
        });
    if let Some(filters) = &rust_log {
        b.parse_filters(filters);
    }
    let fanout = Fanout {
        stderr: b.build(),
        rust_log: rust_log.is_some(),
        stderr_level: AtomicUsize::new(level as usize),
        sinks: OnceLock::new(),
    };
    let max = if rust_log.is_some() {
        fanout.stderr.filter()
    } else {
        level
    };
    if LOGGER.set(fanout).is_ok() {
        let logger = LOGGER.get().expect("just set");
        if log::set_logger(logger).is_ok() {
            log::set_max_level(max);
        }
    }
}

/// Sets stderr's level (the config's when no flag was given) and, with
/// `sinks`, adds the log file and syslog from the config.
pub fn attach(cfg: &LogConfig, stderr_level: Option<LevelFilter>, sinks: bool) -> Result<()> {
    let Some(logger) = LOGGER.get() else {
        return Ok(());
    };
    if let Some(l) = stderr_level {
        logger.stderr_level.store(l as usize, Ordering::Relaxed);
    }
    let want = sinks;
    let mut sinks: Vec<Box<dyn Sink>> = Vec::new();
    if let (true, Some(path)) = (want, &cfg.file) {
        // A log that cannot be opened must not stop the poll (SPEC §8: no
        // outage goes unrecorded because of a log): said on stderr, and on.
        match file::RotatingFile::open(path, cfg.max_size.0, cfg.keep) {
            Ok(f) => sinks.push(Box::new(f)),
            Err(e) => log::warn!("{e:#}; logging to stderr only this run"),
        }
    }
    if let (true, Some(s)) = (want, &cfg.syslog) {
        sinks.push(Box::new(syslog::Syslog::new(s)));
    }
    let stderr_max = if logger.rust_log {
        logger.stderr.filter()
    } else {
        level_from(logger.stderr_level.load(Ordering::Relaxed))
    };
    let sink_level = if sinks.is_empty() {
        LevelFilter::Off
    } else {
        cfg.level
    };
    let _ = logger.sinks.set((sink_level, sinks));
    log::set_max_level(stderr_max.max(sink_level));
    Ok(())
}
