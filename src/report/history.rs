//! What the window reports read: the snapshot's keys and the events from the
//! window's start on, grouped by key.

use std::collections::HashMap;

use anyhow::Result;

use super::accounting;
use crate::model::Status;
use crate::store::query::{EventRow, KeyRow};
use crate::store::Store;

#[derive(Debug)]
pub struct History {
    pub keys: HashMap<i64, KeyRow>,
    /// Ordered by key, then time.
    pub events: Vec<EventRow>,
    collectors: HashMap<i64, String>,
}

impl History {
    pub fn load(store: &Store, from: i64) -> Result<History> {
        let started = std::time::Instant::now();
        let keys = store.keys()?;
        log::trace!("keys read in {:.3}s", started.elapsed().as_secs_f64());
        let events = store.events_since(from)?;
        log::trace!("events read at {:.3}s", started.elapsed().as_secs_f64());
        Ok(History {
            keys,
            events,
            collectors: store.collector_names()?,
        })
    }

    /// A history from plain data (events in any order).
    #[cfg(test)]
    pub fn new(keys: HashMap<i64, KeyRow>, mut events: Vec<EventRow>) -> History {
        events.sort_unstable_by_key(|e| (e.key, e.at));
        History {
            keys,
            events,
            collectors: HashMap::new(),
        }
    }

    /// The name of the collector an event names, `""` for none.
    pub fn collector(&self, e: &EventRow) -> String {
        e.collector
            .and_then(|id| self.collectors.get(&id))
            .cloned()
            .unwrap_or_default()
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
