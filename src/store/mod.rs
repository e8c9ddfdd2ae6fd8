//! SQLite store: the snapshot (one row per key and per collector), what each
//! collector listed, and the history (polls, key events, collector events).
//! Every poll is one transaction that writes only what changed.

pub mod import;
pub mod lock;
pub mod maintenance;
pub mod query;
mod schema;
mod undo;

pub use undo::Undone;

use std::collections::HashMap;
use std::fmt::Write;
use std::path::Path;
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use rusqlite::types::ValueRef;
use rusqlite::{params, Connection, OptionalExtension, Transaction};

use crate::model::{
    Brief, CollectorHealth, KeyId, KeySet, KeyState, KeyTable, Listing, Pending, Snapshot, State,
};
use crate::state::{HealthChange, KeyChange};

/// What `Store::load` reads beyond what every poll needs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Needs {
    /// `Brief::since` (for `retire_after:`).
    pub since: bool,
    /// `Brief::marks` (for `signals:`).
    pub marks: bool,
}

pub struct Store {
    conn: Connection,
    needs: Needs,
    path: std::path::PathBuf,
    /// Row id of each key, by the id of the key in the snapshot's table
    /// (0: not stored yet). Filled by `load`, extended by `record`.
    db_ids: Vec<i64>,
    collector_ids: HashMap<String, i64>,
}

/// An alert for the outbox.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewAlert {
    pub created: i64,
    pub sink: String,
    pub kind: String,
    pub summary: String,
    pub payload: String,
}

/// An alert waiting in the outbox.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PendingAlert {
    pub id: i64,
    pub created: i64,
    pub sink: String,
    pub kind: String,
    pub summary: String,
    pub payload: String,
    pub attempts: i64,
    pub last_try: Option<i64>,
    pub last_error: Option<String>,
    /// Not to be tried before this time (the receiver said 429).
    pub retry_at: Option<i64>,
}

/// Everything one poll writes.
pub struct PollRecord<'a> {
    pub at: i64,
    pub ok: usize,
    pub failed: usize,
    pub keys: &'a [KeyChange],
    pub health: &'a [HealthChange],
    /// Per collector read this poll whose listing changed: the keys it lists
    /// now, in file order.
    pub listings: &'a [(String, Vec<KeyId>)],
    /// Keys whose signal marks changed (`signals:`).
    pub marks: &'a [(KeyId, crate::signals::Marks)],
    /// Alerts to deliver after the commit.
    pub outbox: &'a [NewAlert],
    /// History older than this time is pruned in the same transaction.
    pub prune_before: Option<i64>,
    /// From the poll's start to this record.
    pub duration_ms: Option<i64>,
}

/// How a known state is stored: 1 up, 0 down, 2 inactive, 3 retired.
fn state_code(s: State) -> i64 {
    match s {
        State::Down => 0,
        State::Up => 1,
        State::Inactive => 2,
        State::Retired => 3,
    }
}

/// The reverse of `state_code`.
fn state_from_code(code: i64) -> State {
    match code {
        1 => State::Up,
        2 => State::Inactive,
        3 => State::Retired,
        _ => State::Down,
    }
}

/// A bps as the database holds it: a sum past `i64::MAX` (summed over
/// collectors, saturating) is kept at `i64::MAX`, never wrapped negative.
fn db_bps(bps: u64) -> i64 {
    i64::try_from(bps).unwrap_or(i64::MAX)
}

impl Store {
    /// Opens (creating the file and its folder if needed) and migrates.
    pub fn open(path: &Path) -> Result<Store> {
        create_parent(path)?;
        create_private(path)?;
        let conn = Connection::open(path)
            .with_context(|| format!("cannot open the database {}", path.display()))?;
        let mut store = Store::with(conn, path);
        schema::prepare(&mut store.conn).with_context(|| format!("database {}", path.display()))?;
        Ok(store)
    }

    fn with(conn: Connection, path: &Path) -> Store {
        Store {
            conn,
            needs: Needs::default(),
            path: path.to_owned(),
            db_ids: Vec::new(),
            collector_ids: HashMap::new(),
        }
    }

    /// Asks `load` for more than every poll needs.
    pub fn set_needs(&mut self, needs: Needs) {
        self.needs = needs;
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn last_poll(&self) -> Result<Option<i64>> {
        Ok(self
            .conn
            .query_row("SELECT max(at) FROM poll", [], |r| r.get(0))?)
    }

    /// Reads the snapshot: every key in brief (`complete` adds the whole
    /// state of the keys a poll may change), what each collector listed, the
    /// collectors' health; remembers the row ids for `record`. Keys get ids in
    /// row id order.
    pub fn load(&mut self) -> Result<Snapshot> {
        let mut snap = Snapshot {
            last_poll: self.last_poll()?,
            ..Snapshot::default()
        };
        // Owners by collector row id (small numbers): no hashing per key.
        let mut owners: Vec<Option<Arc<str>>> = Vec::new();
        let mut listed: Vec<(Arc<str>, String)> = Vec::new();
        let mut stmt = self
            .conn
            .prepare("SELECT id, name, ok, since, last_ok, last_error, listed FROM collector")?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let (id, name): (i64, String) = (r.get(0)?, r.get(1)?);
            let health = CollectorHealth {
                ok: r.get(2)?,
                since: r.get(3)?,
                last_ok: r.get(4)?,
                last_error: r.get(5)?,
            };
            snap.collectors.insert(name.clone(), health);
            self.collector_ids.insert(name.clone(), id);
            let name: Arc<str> = Arc::from(name);
            if let Some(text) = r.get::<_, Option<String>>(6)? {
                listed.push((name.clone(), text));
            }
            let i = usize::try_from(id).context("a negative collector id")?;
            if i >= owners.len() {
                owners.resize(i + 1, None);
            }
            owners[i] = Some(name);
        }
        drop(rows);
        drop(stmt);
        let count: i64 = self
            .conn
            .query_row("SELECT count(*) FROM key", [], |r| r.get(0))?;
        snap.table = KeyTable::with_capacity(count as usize);
        snap.briefs.reserve(count as usize);
        self.db_ids.clear();
        self.db_ids.reserve(count as usize);
        self.load_keys(&mut snap, &owners)?;
        // Row ids were read in order: a binary search maps them back to ids,
        // and row ids 1, 2, 3... (keys are never deleted) map at once.
        let to_id = |row: i64| match usize::try_from(row - 1) {
            Ok(i) if self.db_ids.get(i) == Some(&row) => Some(i as KeyId),
            _ => self.db_ids.binary_search(&row).ok().map(|i| i as KeyId),
        };
        for (name, text) in listed {
            let order = text
                .split(',')
                .filter(|t| !t.is_empty())
                .map(|t| {
                    let row: i64 = t.parse().with_context(|| {
                        format!("collector {name}: listed holds {t:?}, not a key row id")
                    })?;
                    to_id(row).with_context(|| {
                        format!(
                            "collector {name}: listed names key row {row}, which does not exist"
                        )
                    })
                })
                .collect::<Result<Vec<KeyId>>>()?;
            snap.listings.insert(name.to_string(), Listing::new(order));
        }
        Ok(snap)
    }

    /// Every key in brief into `snap` (and its row id into `db_ids`); `since`
    /// and the signals' marks only when `needs` asks for them (a poll
    /// loads every key, so every column read costs).
    fn load_keys(&mut self, snap: &mut Snapshot, owners: &[Option<Arc<str>>]) -> Result<()> {
        let needs = self.needs;
        // Plain columns: cheaper to read than an expression of them.
        let mut sql = String::from(
            "SELECT id, exporter, interface, state, unknown_since, pending_state, owner",
        );
        if needs.since {
            sql.push_str(", since, first_seen");
        }
        if needs.marks {
            sql.push_str(", interface_count, zero_fps, not_decoding");
        }
        sql.push_str(" FROM key ORDER BY id");
        let mut stmt = self.conn.prepare(&sql)?;
        let mut rows = stmt.query([])?;
        let marks_at = if needs.since { 9 } else { 7 };
        while let Some(r) = rows.next()? {
            // (exporter, interface) is unique in the table.
            snap.table
                .push_new(r.get_ref(1)?.as_str()?, r.get_ref(2)?.as_str()?);
            self.db_ids.push(r.get_ref(0)?.as_i64()?);
            let owner = r.get_ref(6)?.as_i64_or_null()?;
            let marks = if needs.marks {
                crate::signals::Marks {
                    interfaces: r
                        .get_ref(marks_at)?
                        .as_i64_or_null()?
                        .and_then(|n| u32::try_from(n).ok()),
                    zero_fps: u32::try_from(r.get_ref(marks_at + 1)?.as_i64()?).unwrap_or(0),
                    not_decoding: r.get_ref(marks_at + 2)?.as_i64()? != 0,
                }
            } else {
                Default::default()
            };
            snap.briefs.push(Some(Brief {
                state: state_from_code(r.get_ref(3)?.as_i64()?),
                since: if needs.since {
                    r.get_ref(7)?.as_i64()?
                } else {
                    0
                },
                first_seen: if needs.since {
                    r.get_ref(8)?.as_i64()?
                } else {
                    0
                },
                unknown: r.get_ref(4)? != ValueRef::Null,
                pending: r.get_ref(5)? != ValueRef::Null,
                owner: owner
                    .and_then(|o| owners.get(usize::try_from(o).ok()?))
                    .cloned()
                    .flatten(),
                marks,
            }));
        }
        Ok(())
    }

    /// Adds the whole stored state of these keys of the last `load` to
    /// `snap.full`: one look-up each when they are few, else one pass over
    /// the table.
    pub fn complete(&self, snap: &mut Snapshot, ids: &[KeyId]) -> Result<()> {
        let wanted: Vec<KeyId> = ids
            .iter()
            .copied()
            .filter(|id| !snap.full.contains_key(id) && db_id(&self.db_ids, *id).is_some())
            .collect();
        let owner = |snap: &Snapshot, id| snap.brief(id).and_then(|b| b.owner.clone());
        if wanted.len() * 16 < self.db_ids.len() {
            let mut stmt = self
                .conn
                .prepare_cached(&format!("SELECT {KEY_STATE} FROM key WHERE id = ?1"))?;
            for id in wanted {
                let row = self.db_ids[id as usize];
                let state = stmt.query_row([row], |r| key_state(r, owner(snap, id)))?;
                snap.full.insert(id, state);
            }
            return Ok(());
        }
        let set: KeySet = wanted.into_iter().collect();
        let mut stmt = self
            .conn
            .prepare(&format!("SELECT {KEY_STATE}, id FROM key ORDER BY id"))?;
        let mut rows = stmt.query([])?;
        let mut id: KeyId = 0;
        while let Some(r) = rows.next()? {
            // `load` gave ids in row id order, and the lock keeps the table as it was.
            if self.db_ids.get(id as usize) != Some(&r.get(8)?) {
                bail!("the key table changed since the snapshot was loaded");
            }
            if set.contains(id) {
                let state = key_state(r, owner(snap, id))?;
                snap.full.insert(id, state);
            }
            id += 1;
        }
        Ok(())
    }

    /// `load`, then every key in full.
    #[cfg(test)]
    pub fn load_full(&mut self) -> Result<Snapshot> {
        let mut snap = self.load()?;
        let all: Vec<KeyId> = (0..snap.table.len() as KeyId).collect();
        self.complete(&mut snap, &all)?;
        Ok(snap)
    }

    /// Writes one poll in one transaction.
    pub fn record(&mut self, poll: &PollRecord) -> Result<()> {
        let tx = self.conn.transaction()?;
        record_health(&tx, &mut self.collector_ids, poll)?;
        for c in poll.keys {
            record_key(&tx, &mut self.db_ids, &mut self.collector_ids, c)?;
        }
        for (id, m) in poll.marks {
            let row = db_id(&self.db_ids, *id).expect("a key with marks was recorded above");
            tx.prepare_cached(
                "UPDATE key SET interface_count = ?2, zero_fps = ?3, not_decoding = ?4 WHERE id = ?1",
            )?
            .execute(params![row, m.interfaces, m.zero_fps, m.not_decoding])?;
        }
        for (name, order) in poll.listings {
            let cid = collector_id(&tx, &mut self.collector_ids, name)?;
            let mut text = String::with_capacity(order.len() * 8);
            for &k in order {
                let row = db_id(&self.db_ids, k).expect("a listed key was recorded above");
                if !text.is_empty() {
                    text.push(',');
                }
                write!(text, "{row}").expect("writing to a String");
            }
            tx.prepare_cached("UPDATE collector SET listed = ?2 WHERE id = ?1")?
                .execute(params![cid, text])?;
        }
        for a in poll.outbox {
            tx.prepare_cached(
                "INSERT INTO alert (created, sink, kind, summary, payload) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![a.created, a.sink, a.kind, a.summary, a.payload])?;
        }
        tx.prepare_cached(
            "INSERT INTO poll (at, ok, failed, duration_ms) VALUES (?1, ?2, ?3, ?4)",
        )?
        .execute(params![
            poll.at,
            poll.ok as i64,
            poll.failed as i64,
            poll.duration_ms
        ])?;
        if let Some(cut) = poll.prune_before {
            // Each is a range of a time-ordered index: cheap when there is nothing to prune.
            for table in ["event", "poll", "collector_event"] {
                tx.prepare_cached(&format!("DELETE FROM {table} WHERE at < ?1"))?
                    .execute([cut])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// The outbox, oldest first.
    pub fn pending_alerts(&self) -> Result<Vec<PendingAlert>> {
        let mut stmt = self.conn.prepare(
            "SELECT id, created, sink, kind, summary, payload, attempts, last_try, last_error, retry_at \
             FROM alert ORDER BY id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(PendingAlert {
                id: r.get(0)?,
                created: r.get(1)?,
                sink: r.get(2)?,
                kind: r.get(3)?,
                summary: r.get(4)?,
                payload: r.get(5)?,
                attempts: r.get(6)?,
                last_try: r.get(7)?,
                last_error: r.get(8)?,
                retry_at: r.get(9)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Delivered (or dropped): out of the outbox, never sent again.
    pub fn alert_done(&self, id: i64) -> Result<()> {
        self.conn.execute("DELETE FROM alert WHERE id = ?1", [id])?;
        Ok(())
    }

    /// `retry_at`: not before then (a 429's Retry-After).
    pub fn alert_failed(&self, id: i64, at: i64, error: &str, retry_at: Option<i64>) -> Result<()> {
        self.conn.execute(
            "UPDATE alert SET attempts = attempts + 1, last_try = ?2, last_error = ?3, retry_at = ?4 \
             WHERE id = ?1",
            params![id, at, error, retry_at],
        )?;
        Ok(())
    }

    #[cfg(test)]
    pub fn connection(&self) -> &Connection {
        &self.conn
    }
}

/// A poll's collector health changes, and their events.
fn record_health(
    tx: &Transaction,
    collector_ids: &mut HashMap<String, i64>,
    poll: &PollRecord,
) -> Result<()> {
    for h in poll.health {
        let id = collector_id(tx, collector_ids, &h.collector)?;
        tx.prepare_cached(
            "UPDATE collector SET ok = ?2, since = ?3, last_ok = ?4, last_error = ?5 WHERE id = ?1",
        )?
        .execute(params![
            id,
            h.new.ok,
            h.new.since,
            h.new.last_ok,
            h.new.last_error
        ])?;
        if h.event {
            let error = if h.new.ok {
                None
            } else {
                h.new.last_error.as_deref()
            };
            tx.prepare_cached(
                "INSERT INTO collector_event (at, collector, ok, error) VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![poll.at, id, h.new.ok, error])?;
        }
    }
    Ok(())
}

/// One key's new snapshot row (inserted when new: its row id joins
/// `db_ids`), and its event.
fn record_key(
    tx: &Transaction,
    db_ids: &mut Vec<i64>,
    collector_ids: &mut HashMap<String, i64>,
    c: &KeyChange,
) -> Result<()> {
    let owner = match &c.new.owner {
        Some(o) => Some(collector_id(tx, collector_ids, o)?),
        None => None,
    };
    let (n, k) = (&c.new, &c.key);
    let slot = c.id as usize;
    let (state, bps) = (state_code(n.state), db_bps(n.bps));
    let pending = n
        .pending
        .map(|p| (state_code(p.state), p.since, i64::from(p.count)));
    let id = match db_id(db_ids, c.id) {
        Some(id) => {
            tx.prepare_cached(
                "UPDATE key SET state = ?2, since = ?3, unknown_since = ?4, owner = ?5, bps = ?6, \
                 pending_state = ?7, pending_since = ?8, pending_count = ?9 WHERE id = ?1",
            )?
            .execute(params![
                id,
                state,
                n.since,
                n.unknown_since,
                owner,
                bps,
                pending.map(|p| p.0),
                pending.map(|p| p.1),
                pending.map_or(0, |p| p.2)
            ])?;
            id
        }
        None => {
            tx.prepare_cached(
                "INSERT INTO key (exporter, interface, state, since, unknown_since, owner, bps, first_seen) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?
            .execute(params![k.exporter, k.interface, state, n.since, n.unknown_since, owner, bps, n.first_seen])?;
            let id = tx.last_insert_rowid();
            if slot >= db_ids.len() {
                db_ids.resize(slot + 1, 0);
            }
            db_ids[slot] = id;
            id
        }
    };
    let Some(ev) = &c.event else { return Ok(()) };
    let collector = match &ev.collector {
        Some(name) => Some(collector_id(tx, collector_ids, name)?),
        None => None,
    };
    tx.prepare_cached(
        "INSERT INTO event (at, key, kind, prev, collector, bps) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        ev.at,
        id,
        ev.kind.code(),
        ev.prev.code(),
        collector,
        db_bps(ev.bps)
    ])?;
    Ok(())
}

/// The columns `key_state` reads, in its order.
const KEY_STATE: &str =
    "state, since, unknown_since, bps, first_seen, pending_state, pending_since, pending_count";

/// A key's whole state from the `KEY_STATE` columns; the owner comes from its brief.
fn key_state(r: &rusqlite::Row, owner: Option<Arc<str>>) -> rusqlite::Result<KeyState> {
    Ok(KeyState {
        state: state_from_code(r.get(0)?),
        since: r.get(1)?,
        unknown_since: r.get(2)?,
        owner,
        bps: r.get::<_, i64>(3)? as u64,
        first_seen: r.get(4)?,
        pending: match (r.get::<_, Option<i64>>(5)?, r.get::<_, Option<i64>>(6)?) {
            (Some(p), Some(since)) => Some(Pending {
                state: state_from_code(p),
                since,
                count: r.get::<_, i64>(7)? as u32,
            }),
            _ => None,
        },
    })
}

/// The row id of a key of the last loaded snapshot, or recorded since
/// (`Store::db_ids`).
fn db_id(db_ids: &[i64], id: KeyId) -> Option<i64> {
    db_ids.get(id as usize).copied().filter(|&row| row != 0)
}

/// Makes the folder that will hold the database.
/// Creates a missing database file with mode 0600 whatever the umask: SQLite
/// gives its -wal and -shm files the database file's mode.
fn create_private(db: &Path) -> Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let created = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(db);
    match created {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e).with_context(|| format!("cannot create the database {}", db.display())),
    }
}

fn create_parent(db: &Path) -> Result<()> {
    if let Some(dir) = db.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the database folder {}", dir.display()))?;
    }
    Ok(())
}

/// The row id of a collector, inserting a row for a new one.
fn collector_id(tx: &Transaction, ids: &mut HashMap<String, i64>, name: &str) -> Result<i64> {
    if let Some(&id) = ids.get(name) {
        return Ok(id);
    }
    let existing: Option<i64> = tx
        .query_row("SELECT id FROM collector WHERE name = ?1", [name], |r| {
            r.get(0)
        })
        .optional()?;
    let id = match existing {
        Some(id) => id,
        None => {
            tx.execute(
                "INSERT INTO collector (name, ok, since) VALUES (?1, 1, 0)",
                [name],
            )?;
            tx.last_insert_rowid()
        }
    };
    ids.insert(name.to_owned(), id);
    Ok(id)
}

#[cfg(test)]
mod tests;
