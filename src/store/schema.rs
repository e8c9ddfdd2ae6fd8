//! The schema, created and migrated by `PRAGMA user_version`.

use anyhow::{bail, Result};
use rusqlite::Connection;

/// The version this fcstats writes. A database with a higher one is refused.
pub const SCHEMA_VERSION: i64 = 5;

/// Migrations in order: `MIGRATIONS[i]` takes version i to i + 1.
pub(super) const MIGRATIONS: [&str; 5] = [
    r#"
CREATE TABLE collector (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    ok         INTEGER NOT NULL,     -- 1 ok, 0 failed
    since      INTEGER NOT NULL,     -- poll at which ok took its value
    last_ok    INTEGER,              -- while failed: last poll it was read at
    last_error TEXT
);
CREATE TABLE key (
    id            INTEGER PRIMARY KEY,
    exporter      TEXT NOT NULL,
    interface     TEXT NOT NULL,     -- '' without an interface column
    state         INTEGER NOT NULL,  -- last known state: 1 up, 0 down
    since         INTEGER NOT NULL,  -- poll at which state was entered
    unknown_since INTEGER,           -- set while unknown
    owner         INTEGER REFERENCES collector(id),
    bps           INTEGER NOT NULL,  -- aggregate bps at the last change
    first_seen    INTEGER NOT NULL,
    UNIQUE (exporter, interface)
);
-- What each collector's last successful read listed (SPEC §2 "matters").
CREATE TABLE listing (
    collector INTEGER NOT NULL,
    key       INTEGER NOT NULL,
    PRIMARY KEY (collector, key)
) WITHOUT ROWID;
CREATE TABLE poll (
    at     INTEGER PRIMARY KEY,      -- unix seconds UTC
    ok     INTEGER NOT NULL,         -- collectors read
    failed INTEGER NOT NULL          -- collectors failed
);
-- kind: 1 baseline up, 2 baseline down, 3 down, 4 up, 5 unknown, 6 known, 7 moved
-- prev: the key's status before the event: 0 unseen, 1 down, 2 up,
--       3 unknown (last known down), 4 unknown (last known up)
-- At most one event per key per poll. Clustered by time, so that a window's
-- events are one sequential range; event_key serves per-key look-ups.
CREATE TABLE event (
    at        INTEGER NOT NULL,
    key       INTEGER NOT NULL REFERENCES key(id),
    kind      INTEGER NOT NULL,
    prev      INTEGER NOT NULL,
    collector INTEGER,
    bps       INTEGER NOT NULL,
    PRIMARY KEY (at, key)
) WITHOUT ROWID;
CREATE INDEX event_key ON event (key, at);
CREATE TABLE collector_event (
    id        INTEGER PRIMARY KEY,
    at        INTEGER NOT NULL,
    collector INTEGER NOT NULL REFERENCES collector(id),
    ok        INTEGER NOT NULL,
    error     TEXT
);
CREATE INDEX collector_event_at ON collector_event (at);
"#,
    r#"
-- v2: the alert outbox. One row per alert and sink, written in the poll's
-- transaction, removed once delivered (or dropped past alert_max_age).
CREATE TABLE alert (
    id         INTEGER PRIMARY KEY,
    created    INTEGER NOT NULL,     -- poll time of the event
    sink       TEXT NOT NULL,
    kind       TEXT NOT NULL,
    summary    TEXT NOT NULL,
    payload    TEXT NOT NULL,        -- the JSON event
    attempts   INTEGER NOT NULL DEFAULT 0,
    last_try   INTEGER,
    last_error TEXT
);
"#,
    r#"
-- v3: flap control. A run of polls whose verdict differs from the key's state,
-- waiting for `confirm:` polls in a row before the transition is recorded.
ALTER TABLE key ADD COLUMN pending_state INTEGER;            -- 1 up, 0 down, NULL none
ALTER TABLE key ADD COLUMN pending_since INTEGER;            -- the run's first poll
ALTER TABLE key ADD COLUMN pending_count INTEGER NOT NULL DEFAULT 0;
"#,
    r#"
-- v4: what each collector's last successful read listed, as one text per
-- collector instead of a row per key: the row ids of its keys in file order,
-- comma-separated (NULL: nothing listed yet). It loads at once, and the order
-- lets the next read match its rows to keys without hashing.
ALTER TABLE collector ADD COLUMN listed TEXT;
UPDATE collector SET listed =
    (SELECT group_concat(key, ',' ORDER BY key) FROM listing WHERE listing.collector = collector.id);
DROP TABLE listing;
"#,
    r#"
-- v5: history imported from the old tool (`fcstats import legacy-csv`). Its
-- span, from its first row to fcstats's first poll at or after its last row
-- (or that row, before any poll), counts as observed: the old tool polled
-- continuously and logged only changes. key.state gains 2 inactive and 3
-- retired (no change of column). The signals (`signals:`) keep, per key, the
-- Interfaces count last read while up, the polls in a row up with 0 fps, and
-- whether it is marked not decoding.
ALTER TABLE key ADD COLUMN interface_count INTEGER;
ALTER TABLE key ADD COLUMN zero_fps INTEGER NOT NULL DEFAULT 0;
ALTER TABLE key ADD COLUMN not_decoding INTEGER NOT NULL DEFAULT 0;
-- An alert not to be tried before this time (its receiver said 429 with
-- Retry-After).
ALTER TABLE alert ADD COLUMN retry_at INTEGER;
-- How long each poll took to record (for the metrics), in milliseconds.
ALTER TABLE poll ADD COLUMN duration_ms INTEGER;
-- Maintenance windows (`fcstats maintenance add`): shared by every poll and
-- person. `scope` as `maintenance list` shows it (all, collector=C,
-- exporter=X site=S ...).
CREATE TABLE maintenance (
    id      INTEGER PRIMARY KEY,
    scope   TEXT NOT NULL,
    from_at INTEGER NOT NULL,
    to_at   INTEGER NOT NULL,
    reason  TEXT NOT NULL,
    who     TEXT NOT NULL,
    created INTEGER NOT NULL
);
CREATE TABLE import (
    id          INTEGER PRIMARY KEY,
    file        TEXT NOT NULL,
    first_at    INTEGER NOT NULL,
    last_at     INTEGER NOT NULL,
    rows        INTEGER NOT NULL,
    imported_at INTEGER NOT NULL
);
"#,
];

/// For a read-only connection: the schema must be at `SCHEMA_VERSION`
/// already (migrating needs a poll, which writes).
pub fn check_current(conn: &Connection) -> Result<()> {
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if version != SCHEMA_VERSION {
        bail!(
            "its schema is version {version}, this fcstats reads {SCHEMA_VERSION}, and this user \
             may not write it: run `fcstats poll` (as the user that polls) to migrate it"
        );
    }
    Ok(())
}

/// WAL, a busy timeout, and the schema at `SCHEMA_VERSION`.
pub fn prepare(conn: &mut Connection) -> Result<()> {
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if version > SCHEMA_VERSION {
        bail!(
            "it was written by a newer fcstats (schema version {version}; this fcstats knows up to \
             {SCHEMA_VERSION}); upgrade fcstats, or point --db at another file"
        );
    }
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    if version < SCHEMA_VERSION {
        let tx = conn.transaction()?;
        for (v, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
            tx.execute_batch(sql)?;
            tx.pragma_update(None, "user_version", v as i64 + 1)?;
        }
        tx.commit()?;
    }
    Ok(())
}
