//! The benchmark of issue "fast at every scale". Prints a Markdown table:
//! parser throughput, first and steady poll of K collectors served by a real
//! sshd on 127.0.0.1 against the OpenSSH floor (`ssh host cat file`, the same
//! files in parallel), peak RSS, database bytes per unchanged poll and per
//! transition, and `report downtime --month [--total]` over a month of
//! history made through the store's own API, and `fcstats page` on it. Needs root, /usr/sbin/sshd and
//! ssh; build the binary first (`cargo build --release`).
//!
//!     cargo run --release --example bench                    # 4 x 62,500 rows, 250k keys
//!     cargo run --release --example bench -- --rows 500 --month-keys 2000 --month-polls 100   # CI size

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use clap::Parser;
use fcstats::model::{Key, KeyState, State, Status};
use fcstats::state::{Event, EventKind, KeyChange};
use fcstats::store::{PollRecord, Store};
use fcstats::testdata::{self, Spec};

#[derive(Parser)]
struct Args {
    #[arg(long, default_value_t = 4)]
    collectors: u64,
    #[arg(long, default_value_t = 62_500)]
    rows: u64,
    /// Keys in the synthesized month of history
    #[arg(long, default_value_t = 250_000)]
    month_keys: u64,
    /// Polls in the synthesized month (8,640 = 30 days of 5-minute polls)
    #[arg(long, default_value_t = 8_640)]
    month_polls: u64,
    /// Transitions in the synthesized month
    #[arg(long, default_value_t = 1_000_000)]
    month_events: u64,
    /// Rows in another order in every round's files (the worst case for
    /// matching rows to keys by last time's order)
    #[arg(long)]
    shuffle: bool,
    /// Print each poll's stage timings (`fcstats -vv poll`) to stderr
    #[arg(long)]
    stages: bool,
    /// Rounds of (floor, steady poll) measured back to back; the best of each is kept
    #[arg(long, default_value_t = 5)]
    rounds: u64,
    /// Work in this folder and keep it (files, sshd config, databases), to
    /// profile polls by hand afterwards; default: a temporary folder
    #[arg(long)]
    keep: Option<PathBuf>,
}

fn secs(d: Duration) -> String {
    format!("{:.3} s", d.as_secs_f64())
}

/// The fcstats binary beside this example (target/release/fcstats).
fn fcstats_bin() -> Result<PathBuf> {
    let exe = std::env::current_exe()?;
    let bin = exe
        .parent()
        .and_then(Path::parent)
        .map(|d| d.join("fcstats"))
        .context("no target dir")?;
    if !bin.exists() {
        bail!(
            "{} is missing: run `cargo build --release` first",
            bin.display()
        );
    }
    Ok(bin)
}

fn keygen(path: &Path) -> Result<()> {
    let ok = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", ""])
        .arg("-f")
        .arg(path)
        .status()?;
    if !ok.success() {
        bail!("ssh-keygen failed");
    }
    Ok(())
}

/// Runs `cmd`, returning its wall time and, with GNU time, its peak RSS in
/// KiB; `show` copies its stderr to ours.
fn timed(dir: &Path, cmd: &mut Command, show: bool) -> Result<(Duration, Option<u64>)> {
    let rss_file = dir.join("rss");
    let gnu_time = Path::new("/usr/bin/time").exists();
    let mut run = if gnu_time {
        let mut c = Command::new("/usr/bin/time");
        c.arg("-f")
            .arg("%M")
            .arg("-o")
            .arg(&rss_file)
            .arg(cmd.get_program())
            .args(cmd.get_args());
        for (k, v) in cmd.get_envs() {
            if let Some(v) = v {
                c.env(k, v);
            }
        }
        if let Some(d) = cmd.get_current_dir() {
            c.current_dir(d);
        }
        c
    } else {
        std::mem::replace(cmd, Command::new("true"))
    };
    let start = Instant::now();
    let out = run.stdout(Stdio::null()).stderr(Stdio::piped()).output()?;
    let took = start.elapsed();
    if !out.status.success() {
        bail!("{:?} failed: {}", run, String::from_utf8_lossy(&out.stderr));
    }
    if show {
        eprint!("{}", String::from_utf8_lossy(&out.stderr));
    }
    let rss = std::fs::read_to_string(&rss_file)
        .ok()
        .and_then(|s| s.trim().parse().ok());
    Ok((took, rss))
}

/// Bytes the database uses: its pages minus their free space (SQLite's
/// dbstat), after moving the write-ahead log into the file.
fn used_bytes(db: &Path) -> Result<i64> {
    let c = rusqlite::Connection::open(db)?;
    c.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
    Ok(c.query_row("SELECT sum(pgsize - unused) FROM dbstat", [], |r| r.get(0))?)
}

/// An account this run created, removed again when the run ends.
struct Created(String);

impl Drop for Created {
    fn drop(&mut self) {
        let ok = Command::new("userdel")
            .arg(&self.0)
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            eprintln!("bench: could not remove the account {}", self.0);
        }
    }
}

/// The account the floor and the polls log in as. As root: `fcstats-bench`
/// (created when missing, with no password, and removed at the end) with
/// /bin/sh, so that no shell startup file of root's weighs on either side;
/// otherwise the current user.
fn bench_user(dir: &Path) -> Result<(String, Option<Created>)> {
    let me = String::from_utf8(Command::new("id").arg("-un").output()?.stdout)?
        .trim()
        .to_owned();
    if me != "root" {
        return Ok((me, None));
    }
    let name = "fcstats-bench";
    let exists = Command::new("id")
        .arg(name)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()?
        .success();
    let mut created = None;
    if !exists {
        let ok = Command::new("useradd")
            .args([
                "--system",
                "--no-create-home",
                "--home-dir",
                "/",
                "--shell",
                "/bin/sh",
                name,
            ])
            .status()?
            .success();
        if ok {
            created = Some(Created(name.to_owned()));
        }
        // A locked account ("!") may not log in even with a key.
        let ok = ok
            && Command::new("usermod")
                .args(["-p", "*", name])
                .status()?
                .success();
        if !ok {
            bail!("cannot create the user {name}");
        }
    }
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755))?;
    Ok((name.to_owned(), created))
}

fn main() -> Result<()> {
    let a = Args::parse();
    let bin = fcstats_bin()?;
    let dir = tempfile::Builder::new()
        .prefix("fcstats-bench-")
        .tempdir()?;
    let d = match &a.keep {
        Some(keep) => {
            std::fs::remove_dir_all(keep).ok();
            std::fs::create_dir_all(keep)?;
            keep.as_path()
        }
        None => dir.path(),
    };
    let mut spec = Spec {
        collectors: a.collectors,
        rows: a.rows,
        interfaces: false,
        zero: 0.1,
        shared: 0.05,
        seed: 1,
        shuffle: a.shuffle,
    };
    let write_files = |spec: &Spec| -> Result<u64> {
        let mut total = 0;
        for c in 0..spec.collectors {
            let path = d.join(format!("fc-{}.txt", c + 1));
            let mut w = BufWriter::with_capacity(1 << 20, std::fs::File::create(&path)?);
            testdata::write(&mut w, spec, c)?;
            w.flush()?;
            total += std::fs::metadata(&path)?.len();
        }
        Ok(total)
    };
    let bytes = write_files(&spec)?;
    let keys = a.collectors * a.rows;
    println!("| what | result |\n| --- | --- |");
    println!(
        "| input | {} collectors x {} rows = {keys} keys, {:.1} MB |",
        a.collectors,
        a.rows,
        bytes as f64 / 1e6
    );

    // 1. The parser alone, from memory, best of 3.
    let files: Vec<Vec<u8>> = (0..a.collectors)
        .map(|c| std::fs::read(d.join(format!("fc-{}.txt", c + 1))))
        .collect::<Result<_, _>>()?;
    let cols = fcstats::stats::Columns::default();
    let mut best = Duration::MAX;
    for _ in 0..3 {
        let start = Instant::now();
        for f in &files {
            let rows = fcstats::stats::parse(&f[..], &cols)?;
            std::hint::black_box(rows);
        }
        best = best.min(start.elapsed());
    }
    println!(
        "| parser | {:.0} MB/s |",
        bytes as f64 / 1e6 / best.as_secs_f64()
    );

    // 2. A real sshd on loopback serving the files.
    std::fs::create_dir_all("/run/sshd").ok();
    keygen(&d.join("host"))?;
    keygen(&d.join("client"))?;
    std::fs::copy(d.join("client.pub"), d.join("authorized_keys"))?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    std::fs::write(
        d.join("sshd_config"),
        format!(
            "Port {port}\nListenAddress 127.0.0.1\nHostKey {h}\nPidFile {p}\nAuthorizedKeysFile {k}\n\
             StrictModes no\nUsePAM no\nPermitRootLogin yes\nMaxStartups 50\nMaxSessions 50\n\
             Subsystem sftp /usr/lib/openssh/sftp-server\n",
            h = d.join("host").display(),
            p = d.join("sshd.pid").display(),
            k = d.join("authorized_keys").display()
        ),
    )?;
    let mut sshd = Command::new("/usr/sbin/sshd")
        .arg("-D")
        .arg("-f")
        .arg(d.join("sshd_config"))
        .stderr(Stdio::null())
        .spawn()?;
    let deadline = Instant::now() + Duration::from_secs(5);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if Instant::now() > deadline {
            bail!("sshd did not start");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let host_pub = std::fs::read_to_string(d.join("host.pub"))?;
    let host_pub: Vec<&str> = host_pub.split_whitespace().take(2).collect();
    std::fs::write(
        d.join("known_hosts"),
        format!("[127.0.0.1]:{port} {}\n", host_pub.join(" ")),
    )?;
    // `_created` lives to the end of main: the account goes after the last poll.
    let (user, _created) = bench_user(d)?;

    // 3. The floor (OpenSSH copying the same files, in parallel) and the
    // polls through fcstats.
    let floor_once = || -> Result<Duration> {
        let start = Instant::now();
        let children: Vec<_> = (0..a.collectors)
            .map(|c| {
                Command::new("ssh")
                    .args(["-q", "-p", &port.to_string(), "-i"])
                    .arg(d.join("client"))
                    .arg("-o")
                    .arg(format!(
                        "UserKnownHostsFile={}",
                        d.join("known_hosts").display()
                    ))
                    .args(["-o", "BatchMode=yes", &format!("{user}@127.0.0.1"), "cat"])
                    .arg(d.join(format!("fc-{}.txt", c + 1)))
                    .stdout(Stdio::null())
                    .spawn()
            })
            .collect::<Result<_, _>>()?;
        for mut c in children {
            if !c.wait()?.success() {
                bail!("ssh cat failed");
            }
        }
        Ok(start.elapsed())
    };
    let mut cfg = format!(
        "database: {}\nstale_after: 0\nretention: 0\nssh:\n  user: {user}\n  port: {port}\n  identity: [{}]\n  agent: false\n  \
         known_hosts: {}\n  retries: 0\n  max_bytes: 1GiB\ncollectors:\n",
        d.join("state.db").display(),
        d.join("client").display(),
        d.join("known_hosts").display()
    );
    for c in 0..a.collectors {
        let n = c + 1;
        cfg.push_str(&format!(
            "  - {{name: fc-{n}, host: 127.0.0.1, path: {}}}\n",
            d.join(format!("fc-{n}.txt")).display()
        ));
    }
    std::fs::write(d.join("config.yaml"), cfg)?;
    let mut at = 1_795_392_000i64;
    let poll = |at: i64| -> Result<(Duration, Option<u64>)> {
        timed(
            d,
            Command::new(&bin)
                .arg(if a.stages { "-vv" } else { "-q" })
                .args(["poll", "--at", &format!("@{at}")])
                .current_dir(d)
                .env("FCSTATS_CONFIG", d.join("config.yaml")),
            a.stages,
        )
    };
    let state_db = d.join("state.db");
    let (first, rss1) = poll(at)?;
    println!("| first poll (baseline) | {} |", secs(first));
    // Rounds, each with new files where about 1% of the keys changed: the
    // floor, then a steady poll, back to back, so both see the same load.
    let (mut floor, mut steady, mut rss2) = (Duration::MAX, Duration::MAX, 0);
    let mut ratios = Vec::new();
    let (mut transitions, mut grown) = (0i64, 0i64);
    for round in 0..a.rounds {
        spec.seed = 2 + round;
        write_files(&spec)?;
        let f = floor_once()?;
        at += 300;
        let before = used_bytes(&state_db)?;
        let (p, rss) = poll(at)?;
        grown += used_bytes(&state_db)? - before;
        transitions += rusqlite::Connection::open(&state_db)?.query_row(
            "SELECT count(*) FROM event WHERE at = ?1",
            [at],
            |r| r.get::<_, i64>(0),
        )?;
        floor = floor.min(f);
        steady = steady.min(p);
        rss2 = rss2.max(rss.unwrap_or(0));
        ratios.push(p.as_secs_f64() / f.as_secs_f64());
    }
    ratios.sort_by(f64::total_cmp);
    println!(
        "| floor: `ssh {user}@host cat file` x {} in parallel, best of {} | {} |",
        a.collectors,
        a.rounds,
        secs(floor)
    );
    println!(
        "| steady poll (~1% of keys changed: {} transitions per poll), best of {} | {} = {:.2} x the floor (median of the rounds' ratios: {:.2}) |",
        transitions / a.rounds as i64,
        a.rounds,
        secs(steady),
        steady.as_secs_f64() / floor.as_secs_f64(),
        ratios[ratios.len() / 2]
    );
    if let Some(r1) = rss1 {
        println!(
            "| peak RSS of a poll | {} MB (first), {} MB (steady) |",
            r1 / 1024,
            rss2 / 1024
        );
    }
    println!(
        "| database bytes per transition | {:.0} |",
        grown as f64 / transitions.max(1) as f64
    );
    let before = used_bytes(&state_db)?;
    let n = 10;
    for _ in 0..n {
        at += 300;
        poll(at)?;
    }
    let per_poll = (used_bytes(&state_db)? - before) as f64 / f64::from(n);
    println!("| database bytes per unchanged poll | {per_poll:.0} (over {n} polls) |");
    sshd.kill().ok();
    sshd.wait().ok();

    // 5. A month of history through the store's own API, then the reports.
    let db = d.join("month.db");
    let mut store = Store::open(&db)?;
    let t0 = 1_795_392_000i64 - (a.month_polls as i64) * 300;
    let key = |i: u64| {
        Key::new(
            format!("10.{}.{}.{}", (i >> 16) & 255, (i >> 8) & 255, i & 255),
            "",
        )
    };
    let state = |s: State, since: i64| KeyState {
        state: s,
        since,
        unknown_since: None,
        owner: Some("fc-1".into()),
        bps: 1000,
        first_seen: t0,
        pending: None,
    };
    let change = |i: u64, kind: EventKind, s: State, prev: Status, at: i64| KeyChange {
        id: i as u32,
        key: key(i),
        new: state(s, at),
        event: Some(Event {
            kind,
            at,
            prev,
            collector: Some("fc-1".into()),
            bps: 1000,
        }),
    };
    let base: Vec<KeyChange> = (0..a.month_keys)
        .map(|i| change(i, EventKind::BaselineUp, State::Up, Status::Unseen, t0))
        .collect();
    store.record(&PollRecord {
        at: t0,
        ok: 1,
        failed: 0,
        keys: &base,
        marks: &[],
        health: &[],
        listings: &[],
        outbox: &[],
        prune_before: None,
        duration_ms: None,
    })?;
    drop(base);
    let per_poll_events = (a.month_events / a.month_polls).max(2) & !1;
    let mut down: Vec<bool> = vec![false; a.month_keys as usize];
    let start = Instant::now();
    for p in 1..a.month_polls {
        let at = t0 + p as i64 * 300;
        let changes: Vec<KeyChange> = (0..per_poll_events)
            .map(|j| {
                let i = (p * per_poll_events + j) * 7919 % a.month_keys;
                let was = down[i as usize];
                down[i as usize] = !was;
                if was {
                    change(i, EventKind::Up, State::Up, Status::Down, at)
                } else {
                    change(i, EventKind::Down, State::Down, Status::Up, at)
                }
            })
            .collect();
        let mut changes = changes;
        changes.sort_by(|x, y| x.key.cmp(&y.key));
        changes.dedup_by(|x, y| x.key == y.key);
        store.record(&PollRecord {
            at,
            ok: 1,
            failed: 0,
            keys: &changes,
            marks: &[],
            health: &[],
            listings: &[],
            outbox: &[],
            prune_before: None,
            duration_ms: None,
        })?;
    }
    drop(store);
    let events: i64 =
        rusqlite::Connection::open(&db)?
            .query_row("SELECT count(*) FROM event", [], |r| r.get(0))?;
    println!(
        "| month of history | {} keys, {} polls, {events} events, made in {} |",
        a.month_keys,
        a.month_polls,
        secs(start.elapsed())
    );
    let now = format!("@{}", t0 + a.month_polls as i64 * 300);
    for extra in [&[][..], &["--total"][..]] {
        let mut cmd = Command::new(&bin);
        cmd.args(["--db"])
            .arg(&db)
            .args([
                "report", "downtime", "--month", "--now", &now, "--format", "tsv",
            ])
            .args(extra);
        cmd.current_dir(d)
            .env("FCSTATS_CONFIG", d.join("config.yaml"));
        let (took, _) = timed(d, &mut cmd, a.stages)?;
        println!(
            "| `report downtime --month {}` | {} |",
            extra.join(" "),
            secs(took)
        );
    }
    page_stage(&bin, d, &db, &now, a.stages)
}

/// Stage 6, the status pages of that month (`fcstats page`), written three
/// times: into an empty folder, into the other of its two folders (new files
/// again), then over the files of the first (what every poll does from then
/// on); the time, the files and their bytes.
fn page_stage(bin: &Path, d: &Path, db: &Path, now: &str, show: bool) -> Result<()> {
    let site = d.join("site");
    for round in ["first", "second", "steady"] {
        let mut cmd = Command::new(bin);
        cmd.arg("--db")
            .arg(db)
            .args(["page", "--out"])
            .arg(&site)
            .args(["--now", now])
            .current_dir(d)
            .env("FCSTATS_CONFIG", d.join("config.yaml"));
        let (took, rss) = timed(d, &mut cmd, show)?;
        let (mut files, mut bytes) = (0u64, 0u64);
        for entry in std::fs::read_dir(site.join("keys"))?.chain(std::fs::read_dir(&site)?) {
            let meta = entry?.metadata()?;
            if meta.is_file() {
                files += 1;
                bytes += meta.len();
            }
        }
        println!(
            "| `page --out site` ({round}) | {} ({files} files, {} MB, peak RSS {}) |",
            secs(took),
            bytes / 1_000_000,
            rss.map_or("-".into(), |k| format!("{} MB", k / 1024))
        );
    }
    Ok(())
}
