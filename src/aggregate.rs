//! SPEC §2: from this poll's collector reads and the previous snapshot, a verdict
//! per key: up, down or unknown. Pure.

use std::collections::{HashMap, HashSet};

use crate::model::{Key, Rows, Snapshot};

/// What one collector gave this poll.
#[derive(Clone, Debug)]
pub enum Outcome {
    Ok(Rows),
    /// Unreachable, stale or a bad file; the text says why.
    Failed(String),
}

#[derive(Clone, Debug)]
pub struct CollectorRead {
    pub collector: String,
    pub outcome: Outcome,
}

impl CollectorRead {
    pub fn rows(&self) -> Option<&Rows> {
        match &self.outcome {
            Outcome::Ok(rows) => Some(rows),
            Outcome::Failed(_) => None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict<'a> {
    /// At least one collector reports bps > 0; `bps` is the sum, `owner` the
    /// collector that now owns the key.
    Up { bps: u64, owner: &'a str },
    /// Every collector that lists the key reports 0 (or none lists it), and no
    /// collector that matters for it failed.
    Down,
    /// A collector that matters for the key (`blame`) failed this poll.
    Unknown { blame: &'a str },
}

/// A verdict per key, borrowing from the reads and the snapshot.
pub type Verdicts<'a> = HashMap<&'a Key, Verdict<'a>>;

/// A collector never drops every exporter at once: a file with no rows from
/// a collector whose last good read listed some is a bad read, not an outage.
pub fn distrust_empty(reads: &mut [CollectorRead], prior: &Snapshot) {
    for r in reads.iter_mut() {
        let empty = r.rows().is_some_and(|rows| rows.is_empty());
        let before = prior.listings.get(&r.collector).map_or(0, |l| l.len());
        if empty && before > 0 {
            r.outcome = Outcome::Failed(format!(
                "the file lists no exporters, but it listed {before} at the last good read: treated as a bad read"
            ));
        }
    }
}

/// Per key while summing: the total and the collector reporting the most.
#[derive(Default)]
struct Acc<'a> {
    sum: u64,
    best: Option<(&'a str, u64)>,
}

/// The verdict for every key that is in the snapshot or in any successful read.
pub fn aggregate<'a>(reads: &'a [CollectorRead], prior: &'a Snapshot) -> Verdicts<'a> {
    let mut seen: HashMap<&Key, Acc> = HashMap::with_capacity(prior.keys.len() + 64);
    let mut read_ok: HashMap<&str, &Rows> = HashMap::new();
    for read in reads {
        let Some(rows) = read.rows() else { continue };
        read_ok.insert(&read.collector, rows);
        for (key, &bps) in rows {
            let acc = seen.entry(key).or_default();
            if bps > 0 {
                acc.sum = acc.sum.saturating_add(bps);
                // Ties go to the collector first in config order.
                if acc.best.is_none_or(|(_, b)| bps > b) {
                    acc.best = Some((&read.collector, bps));
                }
            }
        }
    }
    for key in prior.keys.keys() {
        seen.entry(key).or_default();
    }
    let failed: HashSet<&str> = reads
        .iter()
        .filter(|r| r.rows().is_none())
        .map(|r| r.collector.as_str())
        .collect();

    seen.into_iter()
        .map(|(key, acc)| {
            let prev_owner = prior.keys.get(key).and_then(|p| p.owner.as_deref());
            let verdict = match acc.best {
                Some((best, _)) => {
                    // The owner stays while it still reports the key above 0.
                    let stays = prev_owner.filter(|o| {
                        read_ok
                            .get(o)
                            .and_then(|rows| rows.get(key))
                            .is_some_and(|&b| b > 0)
                    });
                    Verdict::Up {
                        bps: acc.sum,
                        owner: stays.unwrap_or(best),
                    }
                }
                None => match blame(key, prev_owner, prior, &failed) {
                    Some(c) => Verdict::Unknown { blame: c },
                    None => Verdict::Down,
                },
            };
            (key, verdict)
        })
        .collect()
}

/// A failed collector that matters for the key: its owner, or a collector
/// that listed it in its previous successful read. The owner is named first.
fn blame<'a>(
    key: &Key,
    owner: Option<&'a str>,
    prior: &'a Snapshot,
    failed: &HashSet<&str>,
) -> Option<&'a str> {
    if let Some(o) = owner.filter(|o| failed.contains(o)) {
        return Some(o);
    }
    let mut listers: Vec<&str> = prior
        .listings
        .iter()
        .filter(|(c, keys)| failed.contains(c.as_str()) && keys.contains(key))
        .map(|(c, _)| c.as_str())
        .collect();
    listers.sort_unstable();
    listers.first().copied()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{KeyState, State};

    fn k(e: &str) -> Key {
        Key::new(e, "")
    }

    fn ok(c: &str, rows: &[(&str, u64)]) -> CollectorRead {
        CollectorRead {
            collector: c.into(),
            outcome: Outcome::Ok(rows.iter().map(|(e, b)| (k(e), *b)).collect()),
        }
    }

    fn failed(c: &str) -> CollectorRead {
        CollectorRead {
            collector: c.into(),
            outcome: Outcome::Failed("connection refused".into()),
        }
    }

    fn known(state: State, owner: Option<&str>) -> KeyState {
        KeyState {
            state,
            since: 0,
            unknown_since: None,
            owner: owner.map(str::to_owned),
            bps: 0,
            first_seen: 0,
            pending: None,
        }
    }

    fn prior(keys: &[(&str, State, Option<&str>)], listings: &[(&str, &[&str])]) -> Snapshot {
        Snapshot {
            keys: keys.iter().map(|(e, s, o)| (k(e), known(*s, *o))).collect(),
            listings: listings
                .iter()
                .map(|(c, ks)| (c.to_string(), ks.iter().map(|e| k(e)).collect()))
                .collect(),
            ..Snapshot::default()
        }
    }

    /// Each exporter's verdict as text: `up BPS OWNER`, `down`, `unknown BLAME`.
    fn judge(reads: &[CollectorRead], prior: &Snapshot) -> HashMap<String, String> {
        aggregate(reads, prior)
            .into_iter()
            .map(|(k, v)| {
                let text = match v {
                    Verdict::Up { bps, owner } => format!("up {bps} {owner}"),
                    Verdict::Down => "down".to_owned(),
                    Verdict::Unknown { blame } => format!("unknown {blame}"),
                };
                (k.exporter.clone(), text)
            })
            .collect()
    }

    #[test]
    fn up_when_any_collector_reports_above_zero_and_bps_is_the_sum() {
        let v = judge(
            &[ok("a", &[("e1", 10)]), ok("b", &[("e1", 5)])],
            &Snapshot::default(),
        );
        assert_eq!(v["e1"], "up 15 a");
    }

    #[test]
    fn down_when_every_listing_collector_reports_zero() {
        let v = judge(
            &[ok("a", &[("e1", 0)]), ok("b", &[("e1", 0)])],
            &Snapshot::default(),
        );
        assert_eq!(v["e1"], "down");
    }

    #[test]
    fn migration_is_not_an_outage_and_the_owner_moves() {
        // e1 was owned by a; now a reports 0 and b reports 7.
        let p = prior(&[("e1", State::Up, Some("a"))], &[("a", &["e1"])]);
        let v = judge(&[ok("a", &[("e1", 0)]), ok("b", &[("e1", 7)])], &p);
        assert_eq!(v["e1"], "up 7 b");
    }

    #[test]
    fn the_owner_stays_while_it_still_reports_above_zero() {
        let p = prior(&[("e1", State::Up, Some("b"))], &[]);
        let v = judge(&[ok("a", &[("e1", 90)]), ok("b", &[("e1", 1)])], &p);
        assert_eq!(v["e1"], "up 91 b");
    }

    #[test]
    fn a_new_owner_is_the_collector_with_most_bps() {
        let v = judge(
            &[
                ok("a", &[("e1", 1)]),
                ok("b", &[("e1", 9)]),
                ok("c", &[("e1", 9)]),
            ],
            &Snapshot::default(),
        );
        assert_eq!(v["e1"], "up 19 b");
    }

    #[test]
    fn owner_failed_gives_unknown_not_down() {
        let p = prior(
            &[("e1", State::Up, Some("a"))],
            &[("a", &["e1"]), ("b", &["e1"])],
        );
        let v = judge(&[failed("a"), ok("b", &[("e1", 0)])], &p);
        assert_eq!(v["e1"], "unknown a");
    }

    #[test]
    fn a_collector_that_listed_the_key_failing_gives_unknown() {
        // Owner b is fine and reports 0, but a listed e1 last time and failed.
        let p = prior(
            &[("e1", State::Up, Some("b"))],
            &[("a", &["e1"]), ("b", &["e1"])],
        );
        let v = judge(&[failed("a"), ok("b", &[("e1", 0)])], &p);
        assert_eq!(v["e1"], "unknown a");
    }

    #[test]
    fn a_failed_collector_that_never_listed_the_key_does_not_matter() {
        let p = prior(
            &[("e1", State::Up, Some("b"))],
            &[("a", &["e2"]), ("b", &["e1"])],
        );
        let v = judge(&[failed("a"), ok("b", &[("e1", 0)])], &p);
        assert_eq!(v["e1"], "down");
    }

    #[test]
    fn up_wins_over_a_failed_owner() {
        let p = prior(&[("e1", State::Up, Some("a"))], &[("a", &["e1"])]);
        let v = judge(&[failed("a"), ok("b", &[("e1", 3)])], &p);
        assert_eq!(v["e1"], "up 3 b");
    }

    #[test]
    fn a_vanished_key_is_down_when_no_collector_that_matters_failed() {
        let p = prior(&[("e1", State::Up, Some("a"))], &[("a", &["e1"])]);
        let v = judge(&[ok("a", &[("e2", 4)])], &p);
        assert_eq!(v["e1"], "down");
        assert_eq!(v["e2"], "up 4 a");
    }

    #[test]
    fn a_vanished_key_is_unknown_when_its_owner_failed() {
        let p = prior(&[("e1", State::Up, Some("a"))], &[("a", &["e1"])]);
        let v = judge(&[failed("a"), ok("b", &[])], &p);
        assert_eq!(v["e1"], "unknown a");
    }

    #[test]
    fn a_new_key_seen_at_zero_is_down_even_when_another_collector_failed() {
        let v = judge(&[failed("a"), ok("b", &[("e9", 0)])], &Snapshot::default());
        assert_eq!(v["e9"], "down");
    }

    #[test]
    fn an_empty_file_from_a_collector_that_listed_exporters_is_a_bad_read() {
        let p = prior(&[("e1", State::Up, Some("a"))], &[("a", &["e1"])]);
        let mut reads = [ok("a", &[]), ok("b", &[])];
        distrust_empty(&mut reads, &p);
        match &reads[0].outcome {
            Outcome::Failed(e) => assert_eq!(
                e,
                "the file lists no exporters, but it listed 1 at the last good read: treated as a bad read"
            ),
            o => panic!("{o:?}"),
        }
        // b never listed anything: an empty file is just empty.
        assert!(reads[1].rows().is_some());
        let v = judge(&reads, &p);
        assert_eq!(v["e1"], "unknown a");
    }

    #[test]
    fn every_collector_failed_leaves_listed_keys_unknown() {
        let p = prior(
            &[("e1", State::Up, Some("a")), ("e2", State::Down, None)],
            &[("a", &["e1"]), ("b", &["e2"])],
        );
        let v = judge(&[failed("a"), failed("b")], &p);
        assert_eq!(v["e1"], "unknown a");
        assert_eq!(v["e2"], "unknown b");
    }
}
