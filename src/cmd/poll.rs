//! `fcstats poll [--at TIME]`: read every collector once, compare with the stored
//! snapshot, record what changed in one transaction.

use std::path::Path;
use std::time::Instant;

use crate::model::inventory::Inventory;
use anyhow::{bail, Result};

use crate::aggregate::{distrust_empty, CollectorRead, Outcome, Sums, Verdict, Verdicts};
use crate::config::Config;
use crate::exit;
use crate::maintenance::{self, PollWindows};
use crate::model::{KeyId, Snapshot, State};
use crate::notify;
use crate::notify::kind::AlertKind;
use crate::output::plural;
use crate::signals::{self, Seen};
use crate::source;
use crate::state::{self, EventKind, HealthChange, KeyChange};
use crate::store::{lock, Needs, NewAlert, PollRecord, Store};
use crate::time::rfc3339;

/// Counts for the summary line.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Summary {
    pub up: usize,
    pub down: usize,
    pub unknown: usize,
    /// Keys whose exporter never sent anything (SPEC §9).
    pub inactive: usize,
    /// Keys down longer than `retire_after` (SPEC §9).
    pub retired: usize,
    /// Keys `ignore:` covers: counted apart, their transitions not counted.
    pub ignored: usize,
    pub transitions: usize,
}

fn summarize(
    verdicts: &Verdicts,
    snap: &Snapshot,
    changes: &[KeyChange],
    ignored: impl Fn(KeyId) -> bool,
) -> Summary {
    let mut s = Summary::default();
    for (id, v) in verdicts.iter().enumerate() {
        let Some(v) = v else { continue };
        let id = id as KeyId;
        if ignored(id) {
            s.ignored += 1;
            continue;
        }
        // An inactive or retired key stays so until it sends.
        let dormant = snap.brief(id).map(|b| b.state);
        match (v, dormant) {
            (Verdict::Up { .. }, _) => s.up += 1,
            (_, Some(State::Inactive)) | (Verdict::Inactive, None) => s.inactive += 1,
            (_, Some(State::Retired)) => s.retired += 1,
            (Verdict::Down { .. } | Verdict::Inactive, _) => s.down += 1,
            (Verdict::Unknown { .. }, _) => s.unknown += 1,
        }
    }
    s.transitions = changes
        .iter()
        .filter(|c| {
            c.event
                .as_ref()
                .is_some_and(|e| matches!(e.kind, EventKind::Up | EventKind::Down))
                && !ignored(c.id)
        })
        .count();
    s
}

fn log_change(c: &KeyChange, inventory: &Inventory) {
    let Some(ev) = &c.event else { return };
    let (e, i) = (&c.key.exporter, c.key.interface_shown());
    let collector = ev.collector.as_deref().unwrap_or("-");
    if inventory.ignored(e, &c.key.interface) {
        // Recorded, never said above debug: log servers are watched too.
        log::debug!(
            "{:?} (ignored): exporter={e} interface={i} collectors={collector}",
            ev.kind
        );
        return;
    }
    // The inventory's name and site, last, as the alerts give them.
    let mut names = String::new();
    if let Some(entry) = inventory.lookup(e, &c.key.interface) {
        for (label, v) in [("name", &entry.name), ("site", &entry.site)] {
            if let Some(v) = v {
                names.push_str(&format!(" {label}=\"{v}\""));
            }
        }
    }
    match ev.kind {
        EventKind::Down => {
            log::warn!("down: exporter={e} interface={i} collectors={collector} bps=0{names}")
        }
        EventKind::Up => log::info!(
            "up: exporter={e} interface={i} collectors={collector} bps={}{names}",
            ev.bps
        ),
        EventKind::Unknown => {
            log::debug!("unknown: exporter={e} interface={i} collectors={collector}{names}")
        }
        EventKind::Moved => {
            log::debug!("moved: exporter={e} interface={i} collectors={collector}{names}")
        }
        _ => log::debug!(
            "{:?}: exporter={e} interface={i} collectors={collector}{names}",
            ev.kind
        ),
    }
}

/// The poll's time (SPEC §3): `--at`, or the clock; later than the last
/// recorded poll and never later than the clock. A plain poll in the same
/// second as the last one waits for the next second.
fn poll_time(store: &Store, at: Option<i64>) -> Result<i64> {
    let now = crate::time::now();
    let last = store.last_poll()?;
    if let Some(at) = at {
        if at > now {
            bail!(
                "refusing to poll at {}: it is later than the clock ({}); --at records polls \
                 of the past (backfilling archived files)",
                rfc3339(at),
                rfc3339(now)
            );
        }
        if let Some(last) = last.filter(|last| at <= *last) {
            bail!(
                "refusing to poll at {}: it is not later than the last recorded poll at {} \
                 (--at must be later than the last poll)",
                rfc3339(at),
                rfc3339(last)
            );
        }
        return Ok(at);
    }
    match last {
        Some(last) if last > now => bail!(
            "refusing to poll at {}: the last recorded poll, at {}, is later than the clock. If \
             the clock is right, that poll was recorded with a wrong clock or --at: `fcstats db \
             undo --after {}` removes it and what it recorded",
            rfc3339(now),
            rfc3339(last),
            rfc3339(now)
        ),
        Some(last) if last == now => {
            while crate::time::now() <= last {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            Ok(crate::time::now())
        }
        _ => Ok(now),
    }
}

/// What the read phase hands on: every collector's outcome in config order,
/// the snapshot (with this poll's keys interned) and the reads' sums.
struct Read {
    reads: Vec<CollectorRead>,
    snap: Snapshot,
    sums: Sums,
}

/// What a poll decided, to be recorded in one transaction.
struct Settled {
    changes: Vec<KeyChange>,
    /// Keys whose signal marks changed (`signals:`).
    marks: Vec<(KeyId, crate::signals::Marks)>,
    health: Vec<HealthChange>,
    listings: Vec<(String, Vec<KeyId>)>,
    outbox: Vec<NewAlert>,
}

/// Read: the snapshot loads while the collectors stream in; each read is
/// interned and summed as it arrives, while the others are still streaming.
fn read(cfg: &Config, store: &mut Store, at: i64, started: Instant) -> Result<Read> {
    let (tx, arrived) = std::sync::mpsc::channel();
    let (outcomes, snap, sums) = std::thread::scope(|s| {
        s.spawn(move || {
            source::fetch_each(&cfg.collectors, &cfg.columns, cfg.parallel, |i, r| {
                // The receiver is gone only if the snapshot did not load.
                let _ = tx.send((i, r));
            });
            log::debug!("read collectors in {:.3}s", started.elapsed().as_secs_f64());
        });
        let mut snap = store.load()?;
        log::debug!(
            "loaded the snapshot at {:.3}s",
            started.elapsed().as_secs_f64()
        );
        let mut outcomes: Vec<Option<Outcome>> = cfg.collectors.iter().map(|_| None).collect();
        let mut sums = Sums::default();
        for (i, r) in arrived {
            let c = &cfg.collectors[i];
            if let Ok(f) = &r {
                log::debug!(
                    "collector {}: {} bytes, {} rows",
                    c.name,
                    f.bytes,
                    f.rows.len()
                );
            }
            outcomes[i] = Some(match source::outcome(r, at, cfg.stale_after) {
                Ok(parsed) => {
                    let last = snap.listings.get(&c.name).map_or(&[][..], |l| &l.order);
                    let rows = parsed.intern(&mut snap.table, last);
                    // (A read `distrust_empty` fails below has no rows to add.)
                    sums.add(i, &c.name, &rows, &snap);
                    Outcome::Ok(rows)
                }
                Err(e) => Outcome::Failed(e),
            });
        }
        anyhow::Ok((outcomes, snap, sums))
    })?;
    let mut reads: Vec<CollectorRead> = cfg
        .collectors
        .iter()
        .zip(outcomes)
        .map(|(c, outcome)| CollectorRead {
            collector: c.name.clone(),
            outcome: outcome.expect("every collector was read"),
        })
        .collect();
    log::debug!(
        "interned {} keys ({} stored) at {:.3}s",
        snap.table.len(),
        snap.briefs.len(),
        started.elapsed().as_secs_f64()
    );
    distrust_empty(&mut reads, &snap);
    for r in &reads {
        if let Outcome::Failed(e) = &r.outcome {
            log::error!("collector {} failed: {e}", r.collector);
        }
    }
    Ok(Read { reads, snap, sums })
}

/// Judge: every key's verdict, and the keys it may change loaded in full.
fn judge<'a>(
    cfg: &Config,
    store: &Store,
    snap: &mut Snapshot,
    sums: Sums,
    reads: &'a [CollectorRead],
    at: i64,
    started: Instant,
) -> Result<(Verdicts<'a>, Vec<Option<Seen>>)> {
    let seen = if cfg.signals.is_empty() {
        Vec::new()
    } else {
        sums.seen()
    };
    let verdicts = sums.verdicts(reads, snap);
    let rules = &cfg.rules();
    log::trace!("aggregated at {:.3}s", started.elapsed().as_secs_f64());
    let unsettled = state::unsettled(snap, &verdicts, at, rules);
    store.complete(snap, &unsettled)?;
    log::trace!(
        "loaded {} keys in full at {:.3}s",
        unsettled.len(),
        started.elapsed().as_secs_f64()
    );
    Ok((verdicts, seen))
}

/// Settle: the changes of state and health, the listings, the alerts.
fn settle(
    cfg: &Config,
    sinks: &[Box<dyn notify::Sink>],
    snap: &Snapshot,
    (verdicts, seen): (&Verdicts, &[Option<Seen>]),
    reads: &[CollectorRead],
    at: i64,
    windows: &PollWindows,
) -> Settled {
    let changes = state::step(snap, verdicts, at, &cfg.rules());
    let signals = signals::judge(snap, verdicts, seen, &cfg.signals, cfg.confirm.down);
    let health = state::health_step(&snap.collectors, reads, snap.last_poll, at);
    let listings = reads
        .iter()
        .filter_map(|r| {
            let order = state::listing_change(snap.listings.get(&r.collector), r.rows()?)?;
            Some((r.collector.clone(), order))
        })
        .collect();
    let mut alerts = notify::event::alerts(
        &changes,
        |id| snap.state(id),
        &health,
        |c| snap.collectors.contains_key(c),
        at,
    );
    for &(id, raised, bps, owner) in &signals.raised {
        alerts.push(notify::event::signal(
            snap.table.key(id),
            raised,
            at,
            bps,
            owner,
        ));
    }
    notify::event::label(&mut alerts, &cfg.exporters);
    maintenance::settle_alerts(
        &mut alerts,
        windows,
        &changes,
        &cfg.exporters,
        (snap.last_poll, at),
    );
    // The signals' alerts (ignored keys' dropped) are logged like transitions.
    for a in &alerts {
        if matches!(
            a.kind,
            AlertKind::InterfacesChanged | AlertKind::NotDecoding
        ) {
            log::warn!("{}", a.summary());
        }
    }
    let mut outbox = notify::outbox(&alerts, sinks, at);
    if sinks
        .iter()
        .any(|s| s.resend_open() || s.shared().repeat.is_some())
    {
        let in_window = |a: &notify::Alert| windows.covers_alert(a, &cfg.exporters, at);
        let mut open = notify::event::open_outages(snap, &changes, in_window);
        notify::event::label(&mut open, &cfg.exporters);
        outbox.extend(notify::reminders(&open, sinks, (snap.last_poll, at)));
    }
    Settled {
        changes,
        marks: signals.marks,
        health,
        listings,
        outbox,
    }
}

/// The maintenance windows around this poll (SPEC §10): the database's and
/// the config's occurrences from a day before the last poll (a transition
/// confirmed late is dated at its run's first poll) to this one, and the keys
/// down since a time inside a window that ends in this poll's interval.
fn poll_windows(cfg: &Config, store: &Store, prev: Option<i64>, at: i64) -> Result<PollWindows> {
    let from = prev.unwrap_or(at).min(at) - 86_400;
    let mut windows = store.windows(from, at + 1)?;
    for r in &cfg.maintenance {
        windows.extend(r.occurrences(from, at + 1));
    }
    let mut ended_down = Vec::new();
    if let Some(prev) = prev {
        for w in windows.iter().filter(|w| prev < w.to && w.to <= at) {
            ended_down.extend(store.down_since(w.from, w.to)?);
        }
    }
    Ok(PollWindows {
        windows,
        ended_down,
    })
}

/// Record: one transaction.
fn record(
    cfg: &Config,
    store: &mut Store,
    s: &Settled,
    reads: &[CollectorRead],
    (at, started): (i64, Instant),
) -> Result<()> {
    let failed = reads.iter().filter(|r| r.rows().is_none()).count();
    store.record(&PollRecord {
        at,
        ok: reads.len() - failed,
        failed,
        keys: &s.changes,
        marks: &s.marks,
        health: &s.health,
        listings: &s.listings,
        outbox: &s.outbox,
        // Relative to the earlier of the poll's time and the clock, and never
        // in a poll that read nothing (SPEC §3): no poll deletes history
        // because of its own time.
        prune_before: (cfg.retention.secs() > 0 && failed < reads.len())
            .then(|| at.min(crate::time::now()) - cfg.retention.secs() as i64),
        duration_ms: i64::try_from(started.elapsed().as_millis()).ok(),
    })
}

/// Deliver: the outbox, within `alert_budget`.
fn deliver(cfg: &Config, store: &Store, sinks: &[Box<dyn notify::Sink>]) -> Result<()> {
    if sinks.is_empty() {
        return Ok(());
    }
    let d = notify::deliver(
        store,
        sinks,
        cfg.alert_max_age.secs() as i64,
        crate::time::now(),
        cfg.alert_budget.std(),
    )?;
    if d != notify::Delivered::default() {
        log::info!(
            "alerts: {} sent, {} failed (kept for the next run), {} dropped, {} deferred{}",
            d.sent,
            d.failed,
            d.dropped,
            d.deferred,
            if d.waiting > 0 {
                format!(", {} waiting for their receiver's Retry-After", d.waiting)
            } else {
                String::new()
            }
        );
    }
    Ok(())
}

/// The summary line, and the exit code.
fn finish(at: i64, reads: &[CollectorRead], s: &Summary, started: Instant) -> i32 {
    let failed: Vec<&str> = reads
        .iter()
        .filter(|r| r.rows().is_none())
        .map(|r| r.collector.as_str())
        .collect();
    let failed_list = if failed.is_empty() {
        String::new()
    } else {
        format!(" (failed: {})", failed.join(", "))
    };
    // Said only when there are some, so the line is as before without them.
    let mut ignored = String::new();
    for (n, what) in [
        (s.inactive, "inactive"),
        (s.retired, "retired"),
        (s.ignored, "ignored"),
    ] {
        if n > 0 {
            ignored.push_str(&format!(", {n} {what}"));
        }
    }
    log::info!(
        "poll at {}: {}/{} collectors read{failed_list}; {} keys: {} up, {} down, {} unknown{ignored}; {} transition{}; {:.2}s",
        rfc3339(at),
        reads.len() - failed.len(),
        reads.len(),
        s.up + s.down + s.unknown + s.inactive + s.retired,
        s.up,
        s.down,
        s.unknown,
        s.transitions,
        plural(s.transitions),
        started.elapsed().as_secs_f64()
    );
    match failed.len() {
        0 => exit::OK,
        n if n == reads.len() => {
            log::error!(
                "no collector could be read; the poll was recorded and every listed key is unknown"
            );
            exit::ERROR
        }
        _ => exit::PARTIAL,
    }
}

/// One poll: read → judge → settle → record → deliver.
pub fn run(cfg: &Config, db: &Path, at: Option<i64>) -> Result<i32> {
    let started = Instant::now();
    let _lock = lock::acquire(db)?;
    let mut store = Store::open(db)?;
    let sinks = notify::sinks(cfg);
    // Reminders of open outages are dated at their start.
    let reminding = sinks
        .iter()
        .any(|s| s.resend_open() || s.shared().repeat.is_some());
    store.set_needs(Needs {
        since: cfg.retire_after.is_some() || reminding,
        marks: !cfg.signals.is_empty(),
    });
    let at = poll_time(&store, at)?;
    let Read {
        reads,
        mut snap,
        sums,
    } = read(cfg, &mut store, at, started)?;
    let (verdicts, seen) = judge(cfg, &store, &mut snap, sums, &reads, at, started)?;
    let windows = poll_windows(cfg, &store, snap.last_poll, at)?;
    let settled = settle(cfg, &sinks, &snap, (&verdicts, &seen), &reads, at, &windows);
    log::debug!("decided at {:.3}s", started.elapsed().as_secs_f64());
    record(cfg, &mut store, &settled, &reads, (at, started))?;
    for c in &settled.changes {
        log_change(c, &cfg.exporters);
    }
    deliver(cfg, &store, &sinks)?;
    // A dead man's switch: only a poll that read something is alive.
    let read_some = reads.iter().any(|r| r.rows().is_some());
    if let Some(h) = cfg.heartbeat.as_ref().filter(|_| read_some) {
        if let Err(e) = notify::heartbeat::send(h) {
            log::warn!("heartbeat: {e:#}");
        }
    }
    if let Some(dir) = &cfg.page.dir {
        if let Err(e) = super::page::write(cfg, &store, dir, at) {
            log::error!("page: {e:#}");
        }
    }
    if let Some(path) = &cfg.metrics.textfile {
        // The poll is recorded: a textfile that cannot be written is said,
        // and the next poll writes it again.
        if let Err(e) = super::metrics::write_textfile(cfg, &store, path) {
            log::error!("metrics: {e:#}");
        }
    }
    let summary = summarize(&verdicts, &snap, &settled.changes, |id| {
        !cfg.exporters.ignore.is_empty() && {
            let k = snap.table.key(id);
            cfg.exporters.ignored(&k.exporter, &k.interface)
        }
    });
    Ok(finish(at, &reads, &summary, started))
}
