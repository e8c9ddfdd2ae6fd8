//! Reading collectors: over SSH (SFTP) or from a local file, in parallel on
//! threads, with retries. Each read is parsed while it streams in; the result
//! is every row of the file or one line saying what went wrong.

mod algorithms;
mod known_hosts;
mod local;
mod ssh;

pub use ssh::algorithm_problem;

use std::io::{self, BufReader, Read};
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::config::{ByteSize, Collector, Dur, Source};
use crate::stats::{self, Columns, ParseError, Parsed};

/// A successful read.
#[derive(Debug)]
pub struct Fetched {
    pub rows: Parsed,
    /// The file's modification time (unix seconds), when the source gives one.
    pub mtime: Option<i64>,
    pub bytes: u64,
}

/// A failed read: one line for the operator, and whether trying again may help.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchError {
    pub message: String,
    pub retry: bool,
    /// The file was caught while being rewritten: a read a moment later is
    /// what helps, not one `retry_delay` later.
    pub soon: bool,
}

/// The pause before reading a file caught mid-rewrite again (or `retry_delay`
/// if that is shorter).
const REREAD_DELAY: std::time::Duration = std::time::Duration::from_secs(1);

impl FetchError {
    pub fn new(message: impl Into<String>) -> FetchError {
        FetchError {
            message: message.into(),
            retry: true,
            soon: false,
        }
    }

    /// Trying again cannot help (authentication, host key, configuration).
    pub fn fatal(message: impl Into<String>) -> FetchError {
        FetchError {
            retry: false,
            ..FetchError::new(message)
        }
    }

    /// A bad or changing file: read it again in a moment.
    pub fn reread(message: impl Into<String>) -> FetchError {
        FetchError {
            soon: true,
            ..FetchError::new(message)
        }
    }
}

/// Read buffer: SFTP pipelines its requests over what one read asks for, so a
/// large buffer is what makes transfers fast.
const READ_BUFFER: usize = 1 << 20;

/// Reads at most `max` bytes, failing with `FileTooLarge` past that.
struct Capped<R> {
    inner: R,
    left: u64,
    read: u64,
}

impl<R: Read> Read for Capped<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        if n as u64 > self.left {
            return Err(io::Error::new(io::ErrorKind::FileTooLarge, "too large"));
        }
        self.left -= n as u64;
        Ok(n)
    }
}

fn too_large(max: ByteSize) -> FetchError {
    FetchError::fatal(format!(
        "the file is larger than max_bytes ({max}); raise max_bytes if that is expected"
    ))
}

/// Streams `r` through the parser. `describe_io` turns a transport error into a line.
fn read_rows<R: Read>(
    r: R,
    max: ByteSize,
    cols: &Columns,
    describe_io: impl Fn(&io::Error) -> String,
) -> Result<(Parsed, u64), FetchError> {
    let mut capped = Capped {
        inner: r,
        left: max.0,
        read: 0,
    };
    let parsed = stats::parse(BufReader::with_capacity(READ_BUFFER, &mut capped), cols);
    match parsed {
        Ok(rows) => Ok((rows, capped.read)),
        Err(ParseError::Io(e)) if e.kind() == io::ErrorKind::FileTooLarge => Err(too_large(max)),
        Err(ParseError::Io(e)) => Err(FetchError::new(format!(
            "reading the file failed: {}",
            describe_io(&e)
        ))),
        Err(bad) => Err(FetchError::reread(bad.to_string())),
    }
}

/// A file's size and modification time (ns), to tell whether it changed
/// while it was read.
pub(crate) type Stamp = (Option<u64>, Option<i64>);

/// How often a file that keeps changing under the reader is read again.
const READ_TRIES: usize = 3;

/// Reads a file until one read starts and ends on the same stamp, so that a
/// file caught mid-rewrite is never half-read. `stamp` looks at the file,
/// `open` opens it for one read.
pub(crate) fn read_consistent<R: Read>(
    mut stamp: impl FnMut() -> Result<Stamp, FetchError>,
    mut open: impl FnMut() -> Result<R, FetchError>,
    max: ByteSize,
    cols: &Columns,
    describe_io: impl Fn(&io::Error) -> String,
) -> Result<Fetched, FetchError> {
    for attempt in 1..=READ_TRIES {
        let before = stamp()?;
        if before.0.is_some_and(|size| size > max.0) {
            return Err(too_large(max));
        }
        let read = read_rows(open()?, max, cols, &describe_io);
        if stamp()? == before {
            let (rows, bytes) = read?;
            let mtime = before.1.map(|ns| ns.div_euclid(1_000_000_000));
            return Ok(Fetched { rows, mtime, bytes });
        }
        log::debug!(
            "the file changed while it was read (read {attempt} of {READ_TRIES}); reading again"
        );
    }
    Err(FetchError::reread(format!(
        "the file changed while it was read, {READ_TRIES} times in a row: it is being rewritten; nothing from it was used"
    )))
}

/// When a collector's whole read must end (`deadline`, SPEC §8).
#[derive(Clone, Copy, Debug)]
pub struct Deadline {
    pub end: std::time::Instant,
    pub limit: crate::config::Dur,
}

impl Deadline {
    pub fn after(limit: crate::config::Dur) -> Deadline {
        Deadline {
            end: std::time::Instant::now() + limit.std(),
            limit,
        }
    }

    pub fn left(&self) -> std::time::Duration {
        self.end
            .saturating_duration_since(std::time::Instant::now())
    }

    pub fn passed(&self) -> bool {
        self.left().is_zero()
    }

    /// `cap`, or less when less is left (at least 1 ms: 0 means "forever" to libssh2).
    pub fn millis(&self, cap: crate::config::Dur) -> u32 {
        let ms = self.left().min(cap.std()).as_millis().max(1);
        u32::try_from(ms).unwrap_or(u32::MAX)
    }

    pub fn error(&self) -> FetchError {
        FetchError::fatal(format!(
            "took longer than deadline ({}): the link is too slow for the file, or the server \
             stalls; the other collectors were not held up (raise `deadline` if the file is \
             that slow to fetch)",
            self.limit
        ))
    }
}

fn pause_for(e: &FetchError, c: &Collector) -> std::time::Duration {
    if e.soon {
        REREAD_DELAY.min(c.retry_delay.std())
    } else {
        c.retry_delay.std()
    }
}

/// One collector, with its retries, all within its deadline.
pub fn fetch(c: &Collector, cols: &Columns) -> Result<Fetched, FetchError> {
    let deadline = Deadline::after(c.deadline);
    let mut attempt = 0;
    loop {
        let result = match &c.source {
            Source::Local(path) => local::fetch(path, c.max_bytes, cols),
            Source::Ssh(target) => ssh::fetch(&c.name, target, c.max_bytes, cols, deadline),
        };
        match result {
            Err(e) if e.retry && attempt < c.retries && deadline.left() > pause_for(&e, c) => {
                attempt += 1;
                let pause = pause_for(&e, c);
                log::debug!(
                    "collector {}: {} (try {attempt} of {}; again in {:.1}s)",
                    c.name,
                    e.message,
                    c.retries + 1,
                    pause.as_secs_f64()
                );
                std::thread::sleep(pause);
            }
            Err(e) if attempt > 0 => {
                return Err(FetchError {
                    message: format!("{} (after {} tries)", e.message, attempt + 1),
                    ..e
                })
            }
            other => return other,
        }
    }
}

/// Every collector, at most `parallel` at once, each result handed to `done`
/// (with the collector's index in config order) as soon as it is read, on
/// the thread that read it.
pub fn fetch_each(
    collectors: &[Collector],
    cols: &Columns,
    parallel: usize,
    done: impl Fn(usize, Result<Fetched, FetchError>) + Sync,
) {
    let next = AtomicUsize::new(0);
    std::thread::scope(|s| {
        for _ in 0..parallel.clamp(1, collectors.len().max(1)) {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(c) = collectors.get(i) else { break };
                done(i, fetch(c, cols));
            });
        }
    });
}

/// What a read gave the poll: its rows, or why it failed. A file older than
/// `stale_after` at poll time `at` is a failure (0 disables the check).
pub fn outcome(
    result: Result<Fetched, FetchError>,
    at: i64,
    stale_after: Dur,
) -> Result<Parsed, String> {
    match result {
        Err(e) => Err(e.message),
        Ok(f) => match f.mtime {
            Some(mtime) if stale_after.secs() > 0 && at - mtime > stale_after.secs() as i64 => {
                Err(format!(
                    "the file is stale: last modified {} ({} before this poll; stale_after is {stale_after})",
                    crate::time::rfc3339(mtime),
                    Dur((at - mtime) as u64)
                ))
            }
            _ => Ok(f.rows),
        },
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    fn fetched(mtime: Option<i64>) -> Result<Fetched, FetchError> {
        Ok(Fetched {
            rows: Parsed::default(),
            mtime,
            bytes: 10,
        })
    }

    #[test]
    fn a_file_older_than_stale_after_is_a_failure_naming_its_age() {
        let at = 1_700_000_000;
        match outcome(fetched(Some(at - 901)), at, Dur(900)) {
            Err(e) => assert_eq!(
                e,
                "the file is stale: last modified 2023-11-14T21:58:19Z (15m1s before this poll; stale_after is 15m)"
            ),
            o => panic!("{o:?}"),
        }
        assert_eq!(
            outcome(fetched(Some(at - 900)), at, Dur(900)),
            Ok(Parsed::default())
        );
        assert_eq!(
            outcome(fetched(Some(at - 9000)), at, Dur(0)),
            Ok(Parsed::default())
        );
        assert_eq!(outcome(fetched(None), at, Dur(900)), Ok(Parsed::default()));
    }

    #[test]
    fn a_file_caught_mid_rewrite_is_read_again_in_a_second_not_after_retry_delay() {
        let c = |retry_delay| Collector {
            name: "here".into(),
            source: Source::Local("x".into()),
            retries: 2,
            retry_delay: Dur(retry_delay),
            max_bytes: crate::config::ByteSize(1 << 20),
            deadline: Dur(60),
        };
        let secs = |e: &FetchError, d| pause_for(e, &c(d)).as_secs();
        assert_eq!(secs(&FetchError::reread("cut"), 5), 1);
        assert_eq!(secs(&FetchError::new("refused"), 5), 5);
        assert_eq!(secs(&FetchError::reread("cut"), 0), 0);
    }

    #[test]
    fn a_failing_read_is_retried_and_the_tries_are_counted() {
        let dir = tempfile::tempdir().unwrap();
        let c = Collector {
            name: "here".into(),
            source: Source::Local(dir.path().join("missing.txt")),
            retries: 2,
            retry_delay: Dur(0),
            deadline: Dur(60),
            max_bytes: ByteSize(1 << 20),
        };
        let err = fetch(&c, &Columns::default()).unwrap_err();
        let want = format!(
            "no such file {} (after 3 tries)",
            dir.path().join("missing.txt").display()
        );
        assert_eq!(err.message, want);
    }

    #[test]
    fn fetch_each_hands_every_result_over_with_its_config_index() {
        let dir = tempfile::tempdir().unwrap();
        let collectors: Vec<Collector> = (0..5)
            .map(|i| {
                let p = dir.path().join(format!("{i}.txt"));
                std::fs::write(
                    &p,
                    format!("Exporter Address\tCurrent NetFlow bps\ne{i}\t{i}\n"),
                )
                .unwrap();
                Collector {
                    name: format!("c{i}"),
                    source: Source::Local(p),
                    retries: 0,
                    retry_delay: Dur(0),
                    deadline: Dur(60),
                    max_bytes: ByteSize(1 << 20),
                }
            })
            .collect();
        for parallel in [1, 2, 8] {
            // Collector i's file says i bps.
            let got = Mutex::new(Vec::new());
            fetch_each(&collectors, &Columns::default(), parallel, |i, r| {
                let bps: u64 = r.unwrap().rows.iter().map(|row| row.2).sum();
                got.lock().unwrap().push((i, bps));
            });
            let mut got = got.into_inner().unwrap();
            got.sort();
            assert_eq!(
                got,
                [(0, 0), (1, 1), (2, 2), (3, 3), (4, 4)],
                "parallel {parallel}"
            );
        }
    }

    const FILE: &[u8] = b"Exporter Address\tCurrent NetFlow bps\n10.0.0.1\t5\n";

    #[test]
    fn a_file_that_changes_while_read_is_read_again() {
        // The stamp moves during the first read only.
        let stamps = std::cell::RefCell::new(vec![
            (Some(9), Some(1)),
            (Some(9), Some(2)),
            (Some(9), Some(2)),
            (Some(9), Some(2)),
        ]);
        let opens = std::cell::Cell::new(0);
        let got = read_consistent(
            || Ok(stamps.borrow_mut().remove(0)),
            || {
                opens.set(opens.get() + 1);
                Ok(FILE)
            },
            ByteSize(1 << 20),
            &Columns::default(),
            |e| e.to_string(),
        )
        .unwrap();
        assert_eq!(opens.get(), 2);
        assert_eq!(got.rows.len(), 1);
    }

    #[test]
    fn a_file_that_never_holds_still_fails_and_nothing_is_used() {
        let n = std::cell::Cell::new(0);
        let err = read_consistent(
            || {
                n.set(n.get() + 1);
                Ok((Some(9), Some(n.get())))
            },
            || Ok(FILE),
            ByteSize(1 << 20),
            &Columns::default(),
            |e| e.to_string(),
        )
        .unwrap_err();
        assert_eq!(
            err.message,
            "the file changed while it was read, 3 times in a row: it is being rewritten; nothing from it was used"
        );
    }

    #[test]
    fn reading_past_max_bytes_is_too_large() {
        let data = b"Exporter Address\tCurrent NetFlow bps\n10.0.0.1\t5\n";
        let ok = read_rows(
            &data[..],
            ByteSize(data.len() as u64),
            &Columns::default(),
            |e| e.to_string(),
        );
        assert_eq!(ok.unwrap().1, data.len() as u64);
        let err = read_rows(&data[..], ByteSize(10), &Columns::default(), |e| {
            e.to_string()
        })
        .unwrap_err();
        assert_eq!(err, too_large(ByteSize(10)));
    }
}
