//! What the window reports read: the snapshot's keys and the events from the
//! window's start on, grouped by key.

use std::collections::HashMap;

use anyhow::Result;

use super::accounting;
use crate::model::Status;
use crate::store::query::{EventRow, KeyRow};
use crate::store::Store;

pub struct History {
    pub keys: HashMap<i64, KeyRow>,
    /// Ordered by key, then time.
    pub events: Vec<EventRow>,
}

impl History {
    pub fn load(store: &Store, from: i64) -> Result<History> {
        Ok(History {
            keys: store.keys()?,
            events: store.events_since(from)?,
        })
    }

    /// One key's events, oldest first.
    pub fn events_of(&self, key: i64) -> &[EventRow] {
        let start = self.events.partition_point(|e| e.key < key);
        let end = self.events.partition_point(|e| e.key <= key);
        &self.events[start..end]
    }

    /// A key's status at `t` (at or after the loaded events' start).
    pub fn status_at(&self, key: i64, t: i64) -> Status {
        let current = self.keys.get(&key).map_or(Status::Unseen, |k| k.status);
        accounting::status_at(
            self.events_of(key).iter().map(|e| (e.at, e.prev)),
            current,
            t,
        )
    }
}
