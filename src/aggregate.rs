//! SPEC §2: from this poll's collector reads and the previous snapshot, a verdict
//! per key: up, down or unknown. Pure.

use crate::model::{KeyId, KeySet, Rows, Snapshot};

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
    /// collector that matters for it failed. `last_active`: the latest `Last
    /// Active` of the collectors that list it (`None`: none gives one).
    Down { last_active: Option<i64> },
    /// Every collector that lists the key reports 0 and `Last Active` 0: the
    /// exporter never sent anything (SPEC §9).
    Inactive,
    /// A collector that matters for the key (`blame`) failed this poll.
    Unknown { blame: &'a str },
}

impl Verdict<'_> {
    /// Down, with no `Last Active` time.
    pub const DOWN: Verdict<'static> = Verdict::Down { last_active: None };
}

/// A verdict per key id (`None` for an id neither stored nor read), borrowing
/// collector names from the reads.
pub type Verdicts<'a> = Vec<Option<Verdict<'a>>>;

/// A collector never drops every exporter at once: a file with no rows from
/// a collector whose last good read listed some is a bad read, not an outage.
pub fn distrust_empty(reads: &mut [CollectorRead], prior: &Snapshot) {
    for r in reads.iter_mut() {
        let empty = r.rows().is_some_and(|rows| rows.is_empty());
        let before = prior.listings.get(&r.collector).map_or(0, |l| l.set.len());
        if empty && before > 0 {
            r.outcome = Outcome::Failed(format!(
                "the file lists no exporters, but it listed {before} at the last good read: treated as a bad read"
            ));
        }
    }
}

/// Per key while summing: the total, the read reporting the most, the read
/// of the previous owner if it still reports the key above 0, and the latest
/// `Last Active` of the reads listing it (`NO_TIME`: a read without the
/// column lists it). Reads are counted from 1 (0: none).
#[derive(Clone, Copy, Default)]
struct Acc {
    sum: u64,
    best_bps: u64,
    last_active: u32,
    /// `signals:` only: the most interfaces, the fps summed.
    fps: u32,
    interfaces: u32,
    best: u32,
    owner_up: u32,
    listed: bool,
    signalled: bool,
}

/// `Acc::last_active` of a key listed by a read that has no `Last Active`.
const NO_TIME: u32 = u32::MAX;

/// The sums of the successful reads, added one read at a time in any order
/// (a poll adds each as it arrives); `verdicts` then judges every key.
#[derive(Default)]
pub struct Sums {
    acc: Vec<Acc>,
}

impl Sums {
    /// Adds the rows of the read that is `i`th in config order, from
    /// `collector`. Its keys must be interned in `prior.table`.
    pub fn add(&mut self, i: usize, collector: &str, rows: &Rows, prior: &Snapshot) {
        if self.acc.len() < prior.table.len() {
            self.acc.resize(prior.table.len(), Acc::default());
        }
        let nth = u32::try_from(i + 1).expect("fewer than 2^32 collectors");
        for (id, bps, active) in rows.entries() {
            let a = &mut self.acc[id as usize];
            a.listed = true;
            let active = active.map_or(NO_TIME, |t| u32::try_from(t).unwrap_or(NO_TIME));
            a.last_active = a.last_active.max(active);
            if bps > 0 {
                a.sum = a.sum.saturating_add(bps);
                // Ties go to the collector first in config order, whatever
                // the order the reads are added in.
                if a.best == 0 || bps > a.best_bps || (bps == a.best_bps && nth < a.best) {
                    (a.best, a.best_bps) = (nth, bps);
                }
                if a.owner_up == 0 && prior.owner(id) == Some(collector) {
                    a.owner_up = nth;
                }
            }
        }
        for (id, interfaces, fps) in rows.signals() {
            let a = &mut self.acc[id as usize];
            a.signalled = true;
            a.interfaces = a.interfaces.max(interfaces);
            a.fps = a.fps.saturating_add(u32::try_from(fps).unwrap_or(u32::MAX));
        }
    }

    /// What the reads with `signals:` columns gave per key id (`None`: no
    /// such read lists it).
    pub fn seen(&self) -> Vec<Option<crate::signals::Seen>> {
        self.acc
            .iter()
            .map(|a| {
                a.signalled.then_some(crate::signals::Seen {
                    interfaces: a.interfaces,
                    fps: u64::from(a.fps),
                })
            })
            .collect()
    }

    /// The verdict for every key that is in the snapshot or in any added
    /// read; `reads` are all of this poll's, in config order.
    pub fn verdicts<'a>(mut self, reads: &'a [CollectorRead], prior: &Snapshot) -> Verdicts<'a> {
        self.acc.resize(prior.table.len(), Acc::default());
        let acc = self.acc;
        // Failed collectors by name, with what they listed at their last good read.
        let mut failed: Vec<(&str, Option<&KeySet>)> = reads
            .iter()
            .filter(|r| r.rows().is_none())
            .map(|r| {
                (
                    r.collector.as_str(),
                    prior.listings.get(&r.collector).map(|l| &l.set),
                )
            })
            .collect();
        failed.sort_unstable_by_key(|f| f.0);
        // Good reads, with what the same collector listed at its last good read.
        let good: Vec<(&str, &KeySet, &KeySet)> = reads
            .iter()
            .filter_map(|r| {
                let prev = &prior.listings.get(&r.collector)?.set;
                Some((r.collector.as_str(), &r.rows()?.listed, prev))
            })
            .collect();

        acc.iter()
            .enumerate()
            .map(|(i, a)| {
                let id = i as KeyId;
                if !a.listed && prior.brief(id).is_none() {
                    return None;
                }
                Some(if a.best > 0 {
                    // The owner stays while it still reports the key above 0.
                    let nth = if a.owner_up > 0 { a.owner_up } else { a.best };
                    Verdict::Up {
                        bps: a.sum,
                        owner: &reads[nth as usize - 1].collector,
                    }
                } else {
                    match blame(id, prior.owner(id), &failed).or_else(|| missed_once(id, &good)) {
                        Some(c) => Verdict::Unknown { blame: c },
                        None if a.listed && a.last_active == 0 => Verdict::Inactive,
                        None => Verdict::Down {
                            last_active: (a.listed && a.last_active != NO_TIME)
                                .then(|| i64::from(a.last_active)),
                        },
                    }
                })
            })
            .collect()
    }
}

/// The verdict for every key that is in the snapshot or in any successful
/// read, the reads summed in config order (what a poll does as they arrive).
/// The reads' keys must be interned in `prior.table`.
#[cfg(test)]
pub fn aggregate<'a>(reads: &'a [CollectorRead], prior: &Snapshot) -> Verdicts<'a> {
    let mut sums = Sums::default();
    for (i, read) in reads.iter().enumerate() {
        if let Some(rows) = read.rows() {
            sums.add(i, &read.collector, rows, prior);
        }
    }
    sums.verdicts(reads, prior)
}

/// A good read that no longer lists a key its collector listed last time: a
/// file caught mid-rewrite can end cleanly on a line boundary, so a key
/// missing from one read is unknown; down only after two good reads without
/// it (SPEC §2).
fn missed_once<'a>(id: KeyId, good: &[(&'a str, &KeySet, &KeySet)]) -> Option<&'a str> {
    good.iter()
        .find(|(_, now, prev)| prev.contains(id) && !now.contains(id))
        .map(|g| g.0)
}

/// A failed collector that matters for the key: its owner, or a collector
/// that listed it in its previous successful read (the first by name).
fn blame<'a>(
    id: KeyId,
    owner: Option<&str>,
    failed: &[(&'a str, Option<&KeySet>)],
) -> Option<&'a str> {
    if let Some(f) = failed.iter().find(|f| Some(f.0) == owner) {
        return Some(f.0);
    }
    failed
        .iter()
        .find(|(_, listed)| listed.is_some_and(|l| l.contains(id)))
        .map(|f| f.0)
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::model::{Key, KeyState, Listing, State};

    fn k(e: &str) -> Key {
        Key::new(e, "")
    }

    /// A read as the tests write it: keys by name, interned by `reads`.
    enum Read {
        Ok(&'static str, Vec<(&'static str, u64)>),
        Failed(&'static str),
    }

    fn ok(c: &'static str, rows: &[(&'static str, u64)]) -> Read {
        Read::Ok(c, rows.to_vec())
    }

    fn failed(c: &'static str) -> Read {
        Read::Failed(c)
    }

    fn reads(snap: &mut Snapshot, rs: &[Read]) -> Vec<CollectorRead> {
        rs.iter()
            .map(|r| match r {
                Read::Ok(c, rows) => CollectorRead {
                    collector: c.to_string(),
                    outcome: Outcome::Ok(Rows::of(
                        &mut snap.table,
                        rows.iter().map(|(e, b)| (k(e), *b)),
                    )),
                },
                Read::Failed(c) => CollectorRead {
                    collector: c.to_string(),
                    outcome: Outcome::Failed("connection refused".into()),
                },
            })
            .collect()
    }

    fn known(state: State, owner: Option<&str>) -> KeyState {
        KeyState {
            state,
            since: 0,
            unknown_since: None,
            owner: owner.map(Into::into),
            bps: 0,
            first_seen: 0,
            pending: None,
        }
    }

    fn prior(keys: &[(&str, State, Option<&str>)], listings: &[(&str, &[&str])]) -> Snapshot {
        let mut snap = Snapshot::default();
        for (e, s, o) in keys {
            let id = snap.table.intern_key(&k(e));
            snap.set(id, known(*s, *o));
        }
        for (c, ks) in listings {
            let order = ks.iter().map(|e| snap.table.intern_key(&k(e))).collect();
            snap.listings.insert(c.to_string(), Listing::new(order));
        }
        snap
    }

    /// Each exporter's verdict as text: `up BPS OWNER`, `down`, `unknown BLAME`.
    fn judge(rs: &[Read], prior: &Snapshot) -> HashMap<String, String> {
        let mut snap = prior.clone();
        let reads = reads(&mut snap, rs);
        verdicts(&reads, &snap)
    }

    fn verdicts(reads: &[CollectorRead], snap: &Snapshot) -> HashMap<String, String> {
        aggregate(reads, snap)
            .into_iter()
            .enumerate()
            .filter_map(|(id, v)| {
                let text = match v? {
                    Verdict::Up { bps, owner } => format!("up {bps} {owner}"),
                    Verdict::Down { .. } => "down".to_owned(),
                    Verdict::Inactive => "inactive".to_owned(),
                    Verdict::Unknown { blame } => format!("unknown {blame}"),
                };
                Some((snap.table.exporter(id as KeyId).to_owned(), text))
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
    fn a_key_missing_from_one_good_read_is_unknown_blaming_that_collector() {
        // a listed e1 last time and not now: a file cut on a line boundary.
        let p = prior(&[("e1", State::Up, Some("a"))], &[("a", &["e1"])]);
        let v = judge(&[ok("a", &[("e2", 4)])], &p);
        assert_eq!(v["e1"], "unknown a");
        assert_eq!(v["e2"], "up 4 a");
        // Even while another collector lists it at 0.
        let p = prior(
            &[("e1", State::Up, Some("a"))],
            &[("a", &["e1"]), ("b", &["e1"])],
        );
        let v = judge(&[ok("a", &[]), ok("b", &[("e1", 0)])], &p);
        assert_eq!(v["e1"], "unknown a");
    }

    #[test]
    fn a_vanished_key_is_down_after_two_good_reads_without_it() {
        // The second read without e1: a's last listing no longer has it.
        let p = prior(&[("e1", State::Up, Some("a"))], &[("a", &["e2"])]);
        let v = judge(&[ok("a", &[("e2", 4)])], &p);
        assert_eq!(v["e1"], "down");
        // Listed by nobody at all last time (b never had it) either.
        let p = prior(&[("e1", State::Up, Some("a"))], &[("b", &["e2"])]);
        let v = judge(&[ok("b", &[("e2", 4)])], &p);
        assert_eq!(v["e1"], "down");
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
        let mut p = prior(&[("e1", State::Up, Some("a"))], &[("a", &["e1"])]);
        let mut reads = reads(&mut p, &[ok("a", &[]), ok("b", &[])]);
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
        let v = verdicts(&reads, &p);
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

    #[test]
    fn last_active_zero_everywhere_is_inactive_and_a_down_carries_the_latest_last_active() {
        let mut snap = Snapshot::default();
        let ids: Vec<KeyId> = ["n", "z", "m", "x"]
            .iter()
            .map(|e| snap.table.intern_key(&k(e)))
            .collect();
        let (n, z, m, x) = (ids[0], ids[1], ids[2], ids[3]);
        // a: n never active, z down (last active 700), m never active here.
        let a = Rows::from_active([(n, 0, 0), (z, 0, 700), (m, 0, 0)]);
        // b: m active once (900) but 0 now, z listed twice: 650 and 720.
        let b = Rows::from_active([(m, 0, 900), (z, 0, 650), (z, 0, 720)]);
        // c: no Last Active column: x cannot be told inactive.
        let c = Rows::from_ids([(x, 0)]);
        let reads: Vec<CollectorRead> = [("a", a), ("b", b), ("c", c)]
            .into_iter()
            .map(|(name, rows)| CollectorRead {
                collector: name.into(),
                outcome: Outcome::Ok(rows),
            })
            .collect();
        let v = aggregate(&reads, &snap);
        assert_eq!(v[n as usize], Some(Verdict::Inactive));
        // max(700, 650, 720) = 720.
        assert_eq!(
            v[z as usize],
            Some(Verdict::Down {
                last_active: Some(720)
            })
        );
        assert_eq!(
            v[m as usize],
            Some(Verdict::Down {
                last_active: Some(900)
            })
        );
        assert_eq!(v[x as usize], Some(Verdict::DOWN));
        // Sending with Last Active 0 (a collector's odd row) is up all the same.
        let up = Rows::from_active([(n, 5, 0)]);
        let reads = vec![CollectorRead {
            collector: "a".into(),
            outcome: Outcome::Ok(up),
        }];
        assert_eq!(
            aggregate(&reads, &snap)[n as usize],
            Some(Verdict::Up { bps: 5, owner: "a" })
        );
    }
}
