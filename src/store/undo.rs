//! `fcstats db undo --after TIME`: removes every poll after TIME and what it
//! recorded, and puts the snapshot back as it was after the last poll kept —
//! the way back from a poll recorded with a wrong (future) clock (SPEC §3).
//!
//! Every event stores the key's status before it (`prev`), so the earliest
//! removed event of a key says what the key was; the events kept say since
//! when, its owner and its bps. Collectors get back the health of their last
//! kept health event. One transaction: all of it, or nothing.

use anyhow::Result;
use rusqlite::params;

use super::Store;

/// What an undo removed.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Undone {
    pub polls: usize,
    pub events: usize,
    /// Keys first seen after TIME, removed with their history.
    pub keys_removed: usize,
    /// Keys whose state was put back.
    pub keys_restored: usize,
    pub alerts: usize,
}

/// A key's snapshot row as the kept history says it was. Statuses as in
/// `event.prev`: 1 down, 2 up, 3 unknown (last known down), 4 unknown (up),
/// 5 inactive, 6 retired; states as in `key.state`: 0 down, 1 up, 2
/// inactive, 3 retired. Kinds that enter a state: 1-4 and 8 (baseline
/// inactive), 9 (retired).
const RESTORE_KEYS: &str = "
WITH first_undone AS (
    SELECT key, prev FROM event e
    WHERE at > ?1 AND at = (SELECT min(at) FROM event WHERE key = e.key AND at > ?1)
)
UPDATE key SET
    state = CASE f.prev WHEN 2 THEN 1 WHEN 4 THEN 1 WHEN 5 THEN 2 WHEN 6 THEN 3 ELSE 0 END,
    since = coalesce((SELECT max(at) FROM event WHERE key = key.id AND at <= ?1
                      AND kind IN (1, 2, 3, 4, 8, 9)), key.first_seen),
    unknown_since = CASE WHEN f.prev IN (3, 4) THEN
        (SELECT max(at) FROM event WHERE key = key.id AND at <= ?1 AND kind = 5) END,
    owner = (SELECT collector FROM event WHERE key = key.id AND at <= ?1
             AND kind IN (1, 2, 3, 4, 7, 9) ORDER BY at DESC LIMIT 1),
    bps = coalesce((SELECT bps FROM event WHERE key = key.id AND at <= ?1
                    ORDER BY at DESC LIMIT 1), 0),
    pending_state = NULL, pending_since = NULL, pending_count = 0
FROM first_undone f
WHERE f.key = key.id AND f.prev <> 0";

/// Collectors: health as of their last kept health event; those first polled
/// after TIME are removed.
const RESTORE_COLLECTORS: &str = "
UPDATE collector SET
    ok = last.ok, since = last.at,
    last_error = (SELECT error FROM collector_event WHERE collector = collector.id
                  AND at <= ?1 AND ok = 0 ORDER BY id DESC LIMIT 1),
    last_ok = CASE WHEN last.ok = 1 THEN NULL ELSE
        (SELECT max(at) FROM poll WHERE at < last.at) END
FROM (SELECT collector, ok, at FROM collector_event c
      WHERE at <= ?1 AND id = (SELECT max(id) FROM collector_event
                               WHERE collector = c.collector AND at <= ?1)) AS last
WHERE last.collector = collector.id
  AND EXISTS (SELECT 1 FROM collector_event WHERE collector = collector.id AND at > ?1)";

impl Store {
    /// Removes the polls after `t` and everything they recorded (see the module doc).
    pub fn undo_after(&mut self, t: i64) -> Result<Undone> {
        let tx = self.conn.transaction()?;
        let count = |table: &str| -> rusqlite::Result<usize> {
            let n: i64 = tx.query_row(
                &format!("SELECT count(*) FROM {table} WHERE at > ?1"),
                [t],
                |r| r.get(0),
            )?;
            Ok(n as usize)
        };
        let mut u = Undone {
            polls: count("poll")?,
            events: count("event")?,
            ..Undone::default()
        };
        u.keys_restored = tx.execute(RESTORE_KEYS, [t])?;
        // Keys and collectors first seen after `t` go (their first event,
        // `prev` 0 / their first health event, is among the removed), after
        // the rows that refer to them.
        tx.execute(
            "CREATE TEMP TABLE undo_key AS SELECT key AS id FROM event WHERE at > ?1 AND prev = 0",
            [t],
        )?;
        tx.execute(
            "CREATE TEMP TABLE undo_collector AS SELECT collector AS id FROM collector_event \
             GROUP BY collector HAVING min(at) > ?1",
            [t],
        )?;
        tx.execute(RESTORE_COLLECTORS, [t])?;
        tx.execute("DELETE FROM event WHERE at > ?1", [t])?;
        tx.execute("DELETE FROM collector_event WHERE at > ?1", [t])?;
        u.keys_removed = tx.execute("DELETE FROM key WHERE id IN (SELECT id FROM undo_key)", [])?;
        tx.execute(
            "UPDATE key SET owner = NULL WHERE owner IN (SELECT id FROM undo_collector)",
            [],
        )?;
        tx.execute(
            "DELETE FROM collector WHERE id IN (SELECT id FROM undo_collector)",
            [],
        )?;
        tx.execute("DROP TABLE undo_key", [])?;
        tx.execute("DROP TABLE undo_collector", [])?;
        tx.execute("DELETE FROM poll WHERE at > ?1", [t])?;
        u.alerts = tx.execute("DELETE FROM alert WHERE created > ?1", params![t])?;
        // A listing may name keys just removed: drop those ids from it.
        if u.keys_removed > 0 {
            tx.execute(
                "UPDATE collector SET listed = (SELECT group_concat(value, ',') FROM \
                 json_each('[' || listed || ']') WHERE value IN (SELECT id FROM key)) \
                 WHERE listed IS NOT NULL",
                [],
            )?;
        }
        tx.commit()?;
        Ok(u)
    }
}
