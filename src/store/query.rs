//! Read-only queries for the reports. They read only what a window needs: the
//! snapshot, the events from the window's start on (one range of the event
//! table, which is clustered by time), and the polls around the window.

use std::collections::HashMap;
use std::path::Path;

use anyhow::{bail, Context, Result};
use rusqlite::{params, Connection, OptionalExtension};

use super::{schema, Store};
use crate::model::{Key, Status};
use crate::state::EventKind;

/// A key as the snapshot holds it.
#[derive(Clone, Debug, PartialEq)]
pub struct KeyRow {
    pub key: Key,
    pub status: Status,
    /// Since when the status holds (unknown_since while unknown).
    pub since: i64,
    pub bps: u64,
    /// Row id of the owner collector (see `collector_names`).
    pub owner: Option<i64>,
    pub first_seen: i64,
    /// Marked by the `decoding` signal: sending, no flows decoded.
    pub not_decoding: bool,
}

/// A key event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EventRow {
    pub key: i64,
    pub at: i64,
    pub kind: EventKind,
    pub prev: Status,
    /// Row id of the collector the event names (see `collector_names`).
    pub collector: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CollectorRow {
    pub name: String,
    pub ok: bool,
    pub since: i64,
    pub last_ok: Option<i64>,
    pub last_error: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PollRow {
    pub at: i64,
    pub ok: i64,
    pub failed: i64,
    /// From the poll's start to its commit (`None` for polls before v5).
    pub duration_ms: Option<i64>,
}

/// Events in time order to (key, time) order: a counting sort on the key
/// (row ids are small and dense), stable, so each key's events stay in time
/// order. Falls back to a comparison sort for sparse ids.
pub fn group_by_key(events: Vec<EventRow>) -> Vec<EventRow> {
    let (Some(min), Some(max)) = (
        events.iter().map(|e| e.key).min(),
        events.iter().map(|e| e.key).max(),
    ) else {
        return events;
    };
    let span = (max - min) as usize + 1;
    if span > events.len().max(1 << 16) * 4 {
        let mut events = events;
        events.sort_by_key(|e| (e.key, e.at));
        return events;
    }
    let mut start = vec![0usize; span + 1];
    for e in &events {
        start[(e.key - min) as usize + 1] += 1;
    }
    for i in 1..start.len() {
        start[i] += start[i - 1];
    }
    let mut out = vec![events[0]; events.len()];
    for e in events {
        let i = &mut start[(e.key - min) as usize];
        out[*i] = e;
        *i += 1;
    }
    out
}

/// Two lists in (key, time) order, all of `a`'s events before `b`'s in time,
/// into one in (key, time) order.
pub fn merge_by_key(a: Vec<EventRow>, b: Vec<EventRow>) -> Vec<EventRow> {
    if b.is_empty() {
        return a;
    }
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        // On the same key, `a`'s events come first: they are earlier.
        if b[j].key < a[i].key {
            out.push(b[j]);
            j += 1;
        } else {
            out.push(a[i]);
            i += 1;
        }
    }
    out.extend_from_slice(&a[i..]);
    out.extend_from_slice(&b[j..]);
    out
}

/// Whether this process may write `path` (access(2), as the kernel decides).
fn writable(path: &Path) -> bool {
    use std::os::unix::ffi::OsStrExt;
    let Ok(c) = std::ffi::CString::new(path.as_os_str().as_bytes()) else {
        return false;
    };
    // SAFETY: `c` is a NUL-terminated path that outlives the call.
    unsafe { libc::access(c.as_ptr(), libc::W_OK) == 0 }
}

impl Store {
    /// Opens an existing database for reports; a missing one is an error
    /// rather than an empty answer.
    pub fn open_existing(path: &Path) -> Result<Store> {
        if !path.exists() {
            bail!(
                "no database at {}: run `fcstats poll` first (or name the database with --db)",
                path.display()
            );
        }
        if writable(path) {
            return Store::open(path);
        }
        Store::open_read_only(path)
    }

    /// For a user who may read the database but not write it (reports only):
    /// no migration, no journal mode change. Without write access to the
    /// folder either, SQLite cannot make the WAL index a reader needs, so the
    /// file is read as immutable: what the last checkpoint wrote.
    fn open_read_only(path: &Path) -> Result<Store> {
        use rusqlite::OpenFlags;
        let ro = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, ro)
            .and_then(|c| {
                c.query_row("SELECT count(*) FROM poll", [], |_| Ok(()))
                    .map(|()| c)
            })
            .or_else(|_| {
                log::debug!("{}: read-only, read as immutable", path.display());
                Connection::open_with_flags(
                    format!("file:{}?immutable=1", path.display()),
                    ro | OpenFlags::SQLITE_OPEN_URI,
                )
            })
            .with_context(|| format!("cannot open the database {} to read", path.display()))?;
        schema::check_current(&conn).with_context(|| format!("database {}", path.display()))?;
        Ok(Store::with(conn, path))
    }

    /// Every key of the snapshot with its row id, in row id order.
    pub fn keys(&self) -> Result<Vec<(i64, KeyRow)>> {
        let mut stmt = self.conn.prepare(
            "SELECT id, exporter, interface, state, since, unknown_since, bps, owner, first_seen, \
             not_decoding FROM key ORDER BY id",
        )?;
        let rows = stmt.query_map([], |r| {
            let unknown_since: Option<i64> = r.get(5)?;
            let status =
                Status::known_as(super::state_from_code(r.get(3)?), unknown_since.is_some());
            Ok((
                r.get::<_, i64>(0)?,
                KeyRow {
                    key: Key::new(r.get::<_, String>(1)?, r.get::<_, String>(2)?),
                    status,
                    since: unknown_since.unwrap_or(r.get(4)?),
                    bps: r.get::<_, i64>(6)? as u64,
                    owner: r.get(7)?,
                    first_seen: r.get(8)?,
                    not_decoding: r.get(9)?,
                },
            ))
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Key events at `from` or later and before `until`, in time order (the
    /// table's order). Without `collectors`, `EventRow::collector` is left
    /// `None` (downtime needs no names).
    pub fn events_between(&self, from: i64, until: i64, collectors: bool) -> Result<Vec<EventRow>> {
        let sql = if collectors {
            "SELECT key, at, kind, prev, collector FROM event WHERE at >= ?1 AND at < ?2"
        } else {
            "SELECT key, at, kind, prev FROM event WHERE at >= ?1 AND at < ?2"
        };
        let mut stmt = self.conn.prepare(sql)?;
        let mut out = Vec::new();
        let mut rows = stmt.query([from, until])?;
        while let Some(r) = rows.next()? {
            let (kind, prev) = (r.get_ref(2)?.as_i64()?, r.get_ref(3)?.as_i64()?);
            out.push(EventRow {
                key: r.get_ref(0)?.as_i64()?,
                at: r.get_ref(1)?.as_i64()?,
                kind: EventKind::from_code(kind)
                    .with_context(|| format!("unknown event kind {kind} in the database"))?,
                prev: Status::from_code(prev)
                    .with_context(|| format!("unknown status {prev} in the database"))?,
                collector: if collectors {
                    r.get_ref(4)?.as_i64_or_null()?
                } else {
                    None
                },
            });
        }
        Ok(out)
    }

    /// The time of the last event, if any.
    pub fn last_event(&self) -> Result<Option<i64>> {
        Ok(self
            .conn
            .query_row("SELECT max(at) FROM event", [], |r| r.get(0))?)
    }

    /// When the outage that a key left at `at` began: its last down (or
    /// baseline down) event before `at`.
    pub fn outage_start(&self, key: i64, at: i64) -> Result<Option<i64>> {
        Ok(self
            .conn
            .query_row(
                "SELECT max(at) FROM event WHERE key = ?1 AND at < ?2 AND kind IN (?3, ?4)",
                params![
                    key,
                    at,
                    EventKind::Down.code(),
                    EventKind::BaselineDown.code()
                ],
                |r| r.get(0),
            )
            .optional()?
            .flatten())
    }

    /// Poll times around [from, to]: the last at or before `from`, all between,
    /// and the first at or after `to`.
    pub fn polls_around(&self, from: i64, to: i64) -> Result<Vec<i64>> {
        let mut stmt = self.conn.prepare(
            "SELECT at FROM poll WHERE at >= coalesce((SELECT max(at) FROM poll WHERE at <= ?1), ?1) \
             AND at <= coalesce((SELECT min(at) FROM poll WHERE at >= ?2), ?2) ORDER BY at",
        )?;
        let rows = stmt.query_map([from, to], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn last_poll_row(&self) -> Result<Option<PollRow>> {
        Ok(self
            .conn
            .query_row(
                "SELECT at, ok, failed, duration_ms FROM poll ORDER BY at DESC LIMIT 1",
                [],
                |r| {
                    Ok(PollRow {
                        at: r.get(0)?,
                        ok: r.get(1)?,
                        failed: r.get(2)?,
                        duration_ms: r.get(3)?,
                    })
                },
            )
            .optional()?)
    }

    /// Alerts in the outbox.
    pub fn alerts_pending(&self) -> Result<usize> {
        let n: i64 = self
            .conn
            .query_row("SELECT count(*) FROM alert", [], |r| r.get(0))?;
        Ok(n as usize)
    }

    /// Collector names by row id.
    pub fn collector_names(&self) -> Result<HashMap<i64, String>> {
        let mut stmt = self.conn.prepare("SELECT id, name FROM collector")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn collectors(&self) -> Result<Vec<CollectorRow>> {
        let mut stmt = self
            .conn
            .prepare("SELECT name, ok, since, last_ok, last_error FROM collector ORDER BY name")?;
        let rows = stmt.query_map([], |r| {
            Ok(CollectorRow {
                name: r.get(0)?,
                ok: r.get(1)?,
                since: r.get(2)?,
                last_ok: r.get(3)?,
                last_error: r.get(4)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        /// Grouping time-ordered events by key gives (key, time) order,
        /// for dense and for sparse row ids.
        #[test]
        fn grouping_by_key_keeps_time_order_within_a_key(
            mut raw in proptest::collection::vec((0i64..50, 0i64..1000, proptest::bool::ANY), 0..200),
        ) {
            raw.sort_by_key(|r| (r.1, r.0));
            raw.dedup_by_key(|r| (r.1, r.0));
            let events: Vec<EventRow> = raw
                .iter()
                .map(|&(key, at, sparse)| EventRow {
                    key: if sparse { key * 1_000_000 } else { key },
                    at,
                    kind: EventKind::Up,
                    prev: Status::Down,
                    collector: None,
                })
                .collect();
            let mut want = events.clone();
            want.sort_by_key(|e| (e.key, e.at));
            prop_assert_eq!(&group_by_key(events.clone()), &want);
            // Split anywhere in time, grouped apart and merged: the same.
            for cut in [0, events.len() / 3, events.len()] {
                let (a, b) = events.split_at(cut);
                let merged = merge_by_key(group_by_key(a.to_vec()), group_by_key(b.to_vec()));
                prop_assert_eq!(&merged, &want);
            }
        }
    }
}
