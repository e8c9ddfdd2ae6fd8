//! `fcstats import legacy-csv`: the old tool's history stored as events
//! before fcstats's own (SPEC §9). One transaction: all of it, or nothing.

use anyhow::Result;
use rusqlite::{params, OptionalExtension};

use super::{state_code, Store};
use crate::legacy_csv::KeyPlan;
use crate::model::Status;
use crate::state::EventKind;

/// Where fcstats's own history and earlier imports begin and end.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Bounds {
    /// The first poll recorded, if any.
    pub first_poll: Option<i64>,
    /// Earlier imports: (first row, last row).
    pub imports: Vec<(i64, i64)>,
}

impl Bounds {
    /// Why a row at `at` cannot be imported, if it cannot.
    pub fn refuses(&self, at: i64) -> Option<String> {
        if let Some(p) = self.first_poll.filter(|p| at >= *p) {
            return Some(format!(
                "at or after fcstats's first poll at {}",
                crate::time::rfc3339(p)
            ));
        }
        self.imports
            .iter()
            .find(|(a, b)| (*a..=*b).contains(&at))
            .map(|(a, b)| {
                format!(
                    "inside an earlier import ({} to {})",
                    crate::time::rfc3339(*a),
                    crate::time::rfc3339(*b)
                )
            })
    }
}

impl Store {
    pub fn import_bounds(&self) -> Result<Bounds> {
        let first_poll = self
            .conn
            .query_row("SELECT min(at) FROM poll", [], |r| r.get(0))?;
        let mut stmt = self.conn.prepare("SELECT first_at, last_at FROM import")?;
        let imports = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(Bounds {
            first_poll,
            imports,
        })
    }

    /// The spans that count as observed though no poll saw them: each
    /// import's first row to the first poll at or after its last row (or
    /// that row, before any poll).
    pub fn imported_spans(&self) -> Result<Vec<(i64, i64)>> {
        let mut stmt = self.conn.prepare(
            "SELECT first_at, coalesce((SELECT min(at) FROM poll WHERE at >= last_at), last_at) \
             FROM import ORDER BY first_at",
        )?;
        let spans = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(spans)
    }

    /// Stores the planned events (interface empty: the old tool knew
    /// exporters only). A key fcstats knows keeps its state; its first event
    /// after the import, if a baseline, now follows the imported status, and
    /// a first event of the import that follows an earlier one likewise. A
    /// key new to fcstats gets the imported status.
    pub fn import_history(
        &mut self,
        file: &str,
        plans: &[KeyPlan],
        (first_row, last_row): (i64, i64),
        rows: usize,
        at: i64,
    ) -> Result<()> {
        let tx = self.conn.transaction()?;
        for p in plans {
            let (first, last) = (p.events[0].at, p.events[p.events.len() - 1]);
            let key: Option<i64> = tx
                .query_row(
                    "SELECT id FROM key WHERE exporter = ?1 AND interface = ''",
                    [&p.exporter],
                    |r| r.get(0),
                )
                .optional()?;
            let key = match key {
                Some(id) => {
                    tx.execute(
                        "UPDATE key SET first_seen = min(first_seen, ?2) WHERE id = ?1",
                        params![id, first],
                    )?;
                    id
                }
                None => {
                    let state = p.last().known().expect("imported states are known");
                    tx.execute(
                        "INSERT INTO key (exporter, interface, state, since, owner, bps, first_seen) \
                         VALUES (?1, '', ?2, ?3, NULL, ?4, ?5)",
                        params![p.exporter, state_code(state), last.at, last.bps as i64, first],
                    )?;
                    tx.last_insert_rowid()
                }
            };
            // The status just before the import, from an earlier import's events.
            let before: Option<(i64, i64)> = tx
                .query_row(
                    "SELECT kind, prev FROM event WHERE key = ?1 AND at < ?2 ORDER BY at DESC LIMIT 1",
                    params![key, first],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            let before = before.and_then(|(kind, prev)| {
                Some(EventKind::from_code(kind)?.after(Status::from_code(prev)?))
            });
            for (i, e) in p.events.iter().enumerate() {
                let prev = match (i, before) {
                    (0, Some(b)) => b,
                    _ => e.prev,
                };
                tx.execute(
                    "INSERT OR REPLACE INTO event (at, key, kind, prev, collector, bps) \
                     VALUES (?1, ?2, ?3, ?4, NULL, ?5)",
                    params![e.at, key, e.kind.code(), prev.code(), e.bps as i64],
                )?;
            }
            tx.execute(
                "UPDATE event SET prev = ?3 WHERE key = ?1 AND prev = 0 AND at = \
                 (SELECT min(at) FROM event WHERE key = ?1 AND at > ?2)",
                params![key, last.at, p.last().code()],
            )?;
        }
        tx.execute(
            "INSERT INTO import (file, first_at, last_at, rows, imported_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![file, first_row, last_row, rows as i64, at],
        )?;
        tx.commit()?;
        Ok(())
    }
}
