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
    /// With their row ids, in row id order.
    pub keys: Vec<(i64, KeyRow)>,
    /// Ordered by key, then time.
    pub events: Vec<EventRow>,
    collectors: HashMap<i64, String>,
}

impl History {
    /// `collectors`: whether events need the collector they name.
    pub fn load(store: &Store, from: i64, collectors: bool) -> Result<History> {
        let started = std::time::Instant::now();
        // Two readers at once (WAL lets them): the events on a second
        // connection while this one reads the keys.
        let events_store = Store::open_existing(store.path())?;
        let (keys, events) = std::thread::scope(|s| {
            let events = s.spawn(move || {
                let events = events_store.events_since(from, collectors);
                log::trace!("events read at {:.3}s", started.elapsed().as_secs_f64());
                events
            });
            let keys = store.keys();
            log::trace!("keys read at {:.3}s", started.elapsed().as_secs_f64());
            let events = events
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            (keys, events)
        });
        let (keys, events) = (keys?, events?);
        Ok(History {
            keys,
            events,
            collectors: store.collector_names()?,
        })
    }

    /// A history from plain data (keys and events in any order).
    #[cfg(test)]
    pub fn new(mut keys: Vec<(i64, KeyRow)>, mut events: Vec<EventRow>) -> History {
        keys.sort_unstable_by_key(|k| k.0);
        events.sort_unstable_by_key(|e| (e.key, e.at));
        History {
            keys,
            events,
            collectors: HashMap::new(),
        }
    }

    /// A key by row id.
    pub fn key(&self, id: i64) -> Option<&KeyRow> {
        let i = self.keys.binary_search_by_key(&id, |k| k.0).ok()?;
        Some(&self.keys[i].1)
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
        let current = self.key(key).map_or(Status::Unseen, |k| k.status);
        accounting::status_at(
            self.events_of(key).iter().map(|e| (e.at, e.prev)),
            current,
            t,
        )
    }
}
