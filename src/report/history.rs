//! What the window reports read: the snapshot's keys and the events from the
//! window's start on, grouped by key.

use std::collections::HashMap;

use anyhow::Result;

use super::accounting;
use crate::model::Status;
use crate::store::query::{group_by_key, merge_by_key, EventRow, KeyRow};
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
        // Three readers at once (WAL lets them): the two halves of the
        // window's events, each on a connection of its own, while this one
        // reads the keys.
        let last = store.last_event()?.unwrap_or(from);
        let mid = from.saturating_add(last.saturating_sub(from) / 2 + 1);
        let path = store.path();
        let (keys, first, second) = std::thread::scope(|s| {
            let half = |a: i64, b: i64| {
                s.spawn(move || -> Result<Vec<EventRow>> {
                    let reader = Store::open_existing(path)?;
                    // In time order (the table's); grouped by key here, in parallel.
                    let events = group_by_key(reader.events_between(a, b, collectors)?);
                    log::trace!(
                        "events from {a} read at {:.3}s",
                        started.elapsed().as_secs_f64()
                    );
                    Ok(events)
                })
            };
            let (first, second) = (half(from, mid), half(mid, i64::MAX));
            let keys = store.keys();
            log::trace!("keys read at {:.3}s", started.elapsed().as_secs_f64());
            let join = |h: std::thread::ScopedJoinHandle<'_, _>| {
                h.join().unwrap_or_else(|p| std::panic::resume_unwind(p))
            };
            (keys, join(first), join(second))
        });
        Ok(History {
            keys: keys?,
            events: merge_by_key(first?, second?),
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
        self.keys_of(Some(id)).first().map(|(_, k)| k)
    }

    /// Every key, or only the key `id` (none if there is no such key).
    pub fn keys_of(&self, only: Option<i64>) -> &[(i64, KeyRow)] {
        match only {
            None => &self.keys,
            Some(id) => match self.keys.binary_search_by_key(&id, |k| k.0) {
                Ok(i) => &self.keys[i..=i],
                Err(_) => &[],
            },
        }
    }

    /// The name of the collector an event names, `""` for none.
    pub fn collector(&self, e: &EventRow) -> String {
        e.collector
            .and_then(|id| self.collectors.get(&id))
            .cloned()
            .unwrap_or_default()
    }

    /// The name of a key's owner collector.
    pub fn owner(&self, k: &KeyRow) -> Option<&str> {
        k.owner
            .and_then(|id| self.collectors.get(&id))
            .map(String::as_str)
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
