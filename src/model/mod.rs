//! Plain data shared by every stage: keys, states, the stored snapshot.

pub mod inventory;
mod keys;

use std::collections::HashMap;
use std::sync::Arc;

pub use keys::{KeyId, KeySet, KeyTable, Pairs};

/// One exporter, or one exporter interface when the file has an interface column.
/// `interface` is empty when no interface column is configured.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key {
    pub exporter: String,
    pub interface: String,
}

impl Key {
    pub fn new(exporter: impl Into<String>, interface: impl Into<String>) -> Key {
        Key {
            exporter: exporter.into(),
            interface: interface.into(),
        }
    }
}

impl Key {
    /// The interface as people read it: `-` when there is none.
    pub fn interface_shown(&self) -> &str {
        if self.interface.is_empty() {
            "-"
        } else {
            &self.interface
        }
    }
}

/// What a row says besides its rate (SPEC §9), each 0 when the file has no
/// such column: `Last Active` (unix seconds, 0 = never), `Interfaces` and
/// `Current Input Rate fps`. 32 bits each (times until 2106; larger values
/// are kept at `u32::MAX`): one per row, in every read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Extra {
    pub last_active: u32,
    pub interfaces: u32,
    pub fps: u32,
}

impl Extra {
    /// Two rows of one key: the latest time, the most interfaces, the sum of fps.
    fn merge(&mut self, o: Extra) {
        self.last_active = self.last_active.max(o.last_active);
        self.interfaces = self.interfaces.max(o.interfaces);
        self.fps = self.fps.saturating_add(o.fps);
    }
}

/// Which of `Extra`'s columns a file has.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Has {
    pub last_active: bool,
    /// `Interfaces` and `Current Input Rate fps` (read for `signals:`).
    pub signals: bool,
}

/// What one collector's file listed, by key id: one entry per key (rows of
/// the same key summed), and the same ids as a set.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Rows {
    pub bps: Vec<(KeyId, u64)>,
    /// Beside each entry of `bps` (rows of a repeated key merged); empty
    /// when the file has none of its columns.
    pub extra: Vec<Extra>,
    pub has: Has,
    pub listed: KeySet,
}

impl Rows {
    /// Rows from (key, bps) pairs, interning the keys; rows of the same key
    /// are summed.
    pub fn of(table: &mut KeyTable, rows: impl IntoIterator<Item = (Key, u64)>) -> Rows {
        Rows::from_ids(rows.into_iter().map(|(k, bps)| (table.intern_key(&k), bps)))
    }

    /// Rows from (id, bps) pairs in file order; rows of the same key are summed.
    pub fn from_ids(rows: impl IntoIterator<Item = (KeyId, u64)>) -> Rows {
        let rows = rows
            .into_iter()
            .map(|(id, bps)| (id, bps, Extra::default()));
        Rows::from_extra(rows, Has::default())
    }

    /// Rows from (id, bps, last active) in file order (tests).
    #[cfg(test)]
    pub fn from_active(rows: impl IntoIterator<Item = (KeyId, u64, u64)>) -> Rows {
        let rows = rows.into_iter().map(|(id, bps, last_active)| {
            let extra = Extra {
                last_active: u32::try_from(last_active).unwrap_or(u32::MAX),
                ..Extra::default()
            };
            (id, bps, extra)
        });
        let has = Has {
            last_active: true,
            signals: false,
        };
        Rows::from_extra(rows, has)
    }

    /// Rows from (id, bps, extra) in file order; rows of the same key are
    /// summed, their extras merged.
    pub fn from_extra(rows: impl IntoIterator<Item = (KeyId, u64, Extra)>, has: Has) -> Rows {
        let keep = has.last_active || has.signals;
        let mut out = Rows {
            has,
            ..Rows::default()
        };
        let mut repeated = false;
        for (id, bps, extra) in rows {
            repeated |= !out.listed.insert(id);
            out.bps.push((id, bps));
            if keep {
                out.extra.push(extra);
            }
        }
        if !repeated {
            return out;
        }
        let mut all: Vec<(KeyId, u64, Extra)> = out
            .bps
            .iter()
            .enumerate()
            .map(|(i, &(id, bps))| (id, bps, out.extra.get(i).copied().unwrap_or_default()))
            .collect();
        all.sort_by_key(|e| e.0);
        all.dedup_by(|later, kept| {
            let same = later.0 == kept.0;
            if same {
                kept.1 = kept.1.saturating_add(later.1);
                kept.2.merge(later.2);
            }
            same
        });
        out.bps = all.iter().map(|e| (e.0, e.1)).collect();
        if keep {
            out.extra = all.iter().map(|e| e.2).collect();
        }
        out
    }

    /// (id, bps, last active) per entry; last active is `None` when the
    /// file has no such column.
    pub fn entries(&self) -> impl Iterator<Item = (KeyId, u64, Option<u64>)> + '_ {
        let has = self.has.last_active;
        self.bps.iter().enumerate().map(move |(i, &(id, bps))| {
            (id, bps, has.then(|| u64::from(self.extra[i].last_active)))
        })
    }

    /// (id, interfaces, fps) per entry, when the file has those columns.
    pub fn signals(&self) -> impl Iterator<Item = (KeyId, u32, u64)> + '_ {
        let n = if self.has.signals { self.bps.len() } else { 0 };
        self.bps[..n]
            .iter()
            .zip(&self.extra)
            .map(|(&(id, _), e)| (id, e.interfaces, u64::from(e.fps)))
    }

    /// The key's bps, if listed (a scan).
    #[cfg(test)]
    pub fn get(&self, id: KeyId) -> Option<u64> {
        if !self.listed.contains(id) {
            return None;
        }
        self.bps.iter().find(|e| e.0 == id).map(|e| e.1)
    }

    /// The keys, in file order (in id order when the file repeats a key).
    pub fn ids(&self) -> impl Iterator<Item = KeyId> + '_ {
        self.bps.iter().map(|e| e.0)
    }

    pub fn len(&self) -> usize {
        self.bps.len()
    }

    pub fn is_empty(&self) -> bool {
        self.bps.is_empty()
    }
}

/// The keys a collector's last successful read listed: in file order (the
/// order the next read is expected to repeat), and as a set.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Listing {
    pub order: Vec<KeyId>,
    pub set: KeySet,
}

impl Listing {
    pub fn new(order: Vec<KeyId>) -> Listing {
        let set = order.iter().copied().collect();
        Listing { order, set }
    }

    /// What a read listed, in its order (what the store keeps after a poll).
    #[cfg(test)]
    pub fn of(rows: &Rows) -> Listing {
        Listing {
            order: rows.ids().collect(),
            set: rows.listed.clone(),
        }
    }
}

/// A known state. Unknown is a flag beside it, never a state of its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    Down,
    Up,
    /// Listed, but the exporter never sent anything (`Last Active` 0; SPEC
    /// §9): not down, never alerted, out of the accounting.
    Inactive,
    /// Down longer than `retire_after` (SPEC §9): out of later totals and
    /// alerts until it sends again.
    Retired,
}

/// Where a key stands at a moment: what reports need to rebuild its history.
/// Stored with every event as the status *before* it (`event.prev`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Status {
    /// Not yet seen.
    Unseen = 0,
    Down = 1,
    Up = 2,
    /// Unknown; the last known state was down.
    UnknownDown = 3,
    /// Unknown; the last known state was up.
    UnknownUp = 4,
    /// Never sent anything (unknown polls leave it as it is).
    Inactive = 5,
    /// Down for longer than `retire_after` (unknown polls leave it as it is).
    Retired = 6,
}

impl Status {
    pub fn code(self) -> i64 {
        self as i64
    }

    pub fn from_code(code: i64) -> Option<Status> {
        [
            Status::Unseen,
            Status::Down,
            Status::Up,
            Status::UnknownDown,
            Status::UnknownUp,
            Status::Inactive,
            Status::Retired,
        ]
        .get(usize::try_from(code).ok()?)
        .copied()
    }

    /// A key's current status from its snapshot row (`None`: never seen).
    pub fn of(k: Option<&KeyState>) -> Status {
        k.map_or(Status::Unseen, |k| {
            Status::known_as(k.state, k.unknown_since.is_some())
        })
    }

    /// The status of a seen key: its last known state, and whether it is
    /// unknown now.
    pub fn known_as(state: State, unknown: bool) -> Status {
        match (state, unknown) {
            (State::Down, false) => Status::Down,
            (State::Up, false) => Status::Up,
            (State::Down, true) => Status::UnknownDown,
            (State::Up, true) => Status::UnknownUp,
            (State::Inactive, _) => Status::Inactive,
            (State::Retired, _) => Status::Retired,
        }
    }

    /// The last known state, if any (down while unknown still counts as down
    /// for outages: a transition is a change of *known* state).
    pub fn known(self) -> Option<State> {
        match self {
            Status::Unseen => None,
            Status::Down | Status::UnknownDown => Some(State::Down),
            Status::Up | Status::UnknownUp => Some(State::Up),
            Status::Inactive => Some(State::Inactive),
            Status::Retired => Some(State::Retired),
        }
    }

    /// As reports show it: up, down, unknown (or unseen).
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Unseen => "unseen",
            Status::Down => "down",
            Status::Up => "up",
            Status::UnknownDown | Status::UnknownUp => "unknown",
            Status::Inactive => "inactive",
            Status::Retired => "retired",
        }
    }
}

/// What the snapshot holds for one key (SPEC §3).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyState {
    /// Last known state.
    pub state: State,
    /// Poll time at which `state` was entered (transition or baseline).
    pub since: i64,
    /// Poll time at which the key became unknown; `None` while it has a verdict.
    pub unknown_since: Option<i64>,
    /// The last collector that reported the key above 0 bps (shared: every
    /// key a collector owns points at one copy of its name).
    pub owner: Option<Arc<str>>,
    /// Aggregate bps at the last recorded change of this key.
    pub bps: u64,
    pub first_seen: i64,
    /// A run of polls whose verdict differs from `state`, not yet confirmed
    /// (`confirm:`); `None` when there is none.
    pub pending: Option<Pending>,
}

/// Polls in a row that said `state`, the first at `since`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pending {
    pub state: State,
    pub since: i64,
    pub count: u32,
}

/// Health of one collector as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CollectorHealth {
    pub ok: bool,
    /// Poll time at which `ok` took its current value.
    pub since: i64,
    /// While failed: the last poll at which it was read; `None` if never.
    pub last_ok: Option<i64>,
    pub last_error: Option<String>,
}

/// A stored key in brief: enough to tell whether a verdict changes anything
/// (`state::settled`), and who owns it. The poll loads every key in brief and
/// only the keys a verdict may change in full (`Store::complete`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Brief {
    pub state: State,
    /// When `state` was entered (what `retire_after` is measured from).
    pub since: i64,
    /// When it was first seen (with `since`: a key down since then was
    /// never alerted).
    pub first_seen: i64,
    /// `unknown_since` is set.
    pub unknown: bool,
    /// `pending` is set.
    pub pending: bool,
    pub owner: Option<Arc<str>>,
    /// What the signals keep (`signals:`).
    pub marks: crate::signals::Marks,
}

impl Brief {
    pub fn of(k: &KeyState) -> Brief {
        Brief {
            state: k.state,
            since: k.since,
            first_seen: k.first_seen,
            unknown: k.unknown_since.is_some(),
            pending: k.pending.is_some(),
            owner: k.owner.clone(),
            marks: Default::default(),
        }
    }
}

/// Everything the previous polls left behind that the next poll needs.
/// Keys are interned in `table`; the poll interns the keys its reads list
/// into the same table, so a new key has an id but no state.
#[derive(Clone, Debug, Default)]
pub struct Snapshot {
    pub table: KeyTable,
    /// By key id: every stored key in brief; `None` for a key not stored yet.
    pub briefs: Vec<Option<Brief>>,
    /// The whole stored state of the keys loaded in full: every key whose
    /// verdict is not settled, before `state::step` runs.
    pub full: HashMap<KeyId, KeyState>,
    /// Per collector: the keys its last successful read listed.
    pub listings: HashMap<String, Listing>,
    pub collectors: HashMap<String, CollectorHealth>,
    pub last_poll: Option<i64>,
}

impl Snapshot {
    /// A stored key in brief, by id (`None`: not stored).
    pub fn brief(&self, id: KeyId) -> Option<&Brief> {
        self.briefs.get(id as usize).and_then(Option::as_ref)
    }

    /// The whole stored state of a key, if it was loaded in full.
    pub fn state(&self, id: KeyId) -> Option<&KeyState> {
        self.full.get(&id)
    }

    /// The collector that owns a stored key.
    pub fn owner(&self, id: KeyId) -> Option<&str> {
        self.brief(id).and_then(|b| b.owner.as_deref())
    }

    /// The stored state of a key.
    #[cfg(test)]
    pub fn get(&self, key: &Key) -> Option<&KeyState> {
        self.state(self.table.id(key)?)
    }

    /// Stores a key's state, in brief and in full (what the store does after
    /// a poll, in memory).
    pub fn set(&mut self, id: KeyId, state: KeyState) {
        let i = id as usize;
        if i >= self.briefs.len() {
            self.briefs.resize(i + 1, None);
        }
        self.briefs[i] = Some(Brief::of(&state));
        self.full.insert(id, state);
    }
}
