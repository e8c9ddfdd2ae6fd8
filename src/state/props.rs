//! Property tests: random poll sequences over three collectors and a few
//! exporters, run through aggregate + step exactly as a poll does, with the
//! SPEC §2-3 invariants checked after every poll.

use std::collections::HashMap;

use proptest::prelude::*;

use super::*;
use crate::aggregate::aggregate;
use crate::model::{Snapshot, Status};

const COLLECTORS: [&str; 3] = ["a", "b", "c"];
const EXPORTERS: [&str; 4] = ["e1", "e2", "e3", "e4"];

/// One collector's poll: failed, or for each exporter not listed / bps.
fn collector_poll() -> impl Strategy<Value = Option<Vec<Option<u64>>>> {
    prop_oneof![
        1 => Just(None),
        5 => proptest::collection::vec(prop_oneof![1 => Just(None), 2 => Just(Some(0u64)), 2 => (1u64..1000).prop_map(Some)], EXPORTERS.len()).prop_map(Some),
    ]
}

fn polls() -> impl Strategy<Value = Vec<Vec<Option<Vec<Option<u64>>>>>> {
    proptest::collection::vec(
        proptest::collection::vec(collector_poll(), COLLECTORS.len()),
        1..25,
    )
}

/// The reads of one poll, their keys interned in the snapshot's table as a
/// poll does.
fn reads_of(snap: &mut Snapshot, poll: &[Option<Vec<Option<u64>>>]) -> Vec<CollectorRead> {
    COLLECTORS
        .iter()
        .zip(poll)
        .map(|(c, p)| CollectorRead {
            collector: c.to_string(),
            outcome: match p {
                None => Outcome::Failed("down".into()),
                Some(bps) => Outcome::Ok(Rows::of(
                    &mut snap.table,
                    EXPORTERS
                        .iter()
                        .zip(bps)
                        .filter_map(|(e, b)| b.map(|b| (Key::new(*e, ""), b))),
                )),
            },
        })
        .collect()
}

/// What the store does with a poll's result, in memory.
fn apply(snap: &mut Snapshot, reads: &[CollectorRead], changes: &[KeyChange], at: i64) {
    for c in changes {
        snap.set(c.id, c.new.clone());
    }
    for r in reads {
        if let Some(rows) = r.rows() {
            snap.listings.insert(r.collector.clone(), Listing::of(rows));
        }
    }
    snap.last_poll = Some(at);
}

proptest! {
    #[test]
    fn poll_sequences_keep_the_spec_invariants(polls in polls(), down in 1u32..4, up in 1u32..4) {
        let confirm: Rules = Confirm { down, up }.into();
        let plain = confirm.confirm == Confirm::default();
        let mut snap = Snapshot::default();
        let mut seen_first: HashMap<Key, i64> = HashMap::new();
        // (key, time) of every event: the store's primary key.
        let mut recorded: std::collections::HashSet<(Key, i64)> = Default::default();
        for (i, poll) in polls.iter().enumerate() {
            let at = 1000 + 300 * i as i64;
            let reads = reads_of(&mut snap, poll);
            let verdicts = aggregate(&reads, &snap);
            // Reads added in any order (a poll adds them as they arrive) sum alike.
            let mut sums = crate::aggregate::Sums::default();
            for (i, r) in reads.iter().enumerate().rev() {
                if let Some(rows) = r.rows() {
                    sums.add(i, &r.collector, rows, &snap);
                }
            }
            prop_assert_eq!(&sums.verdicts(&reads, &snap), &verdicts);
            let changes = step(&snap, &verdicts, at, &confirm);
            // As a poll loads it: every key in brief, in full only the unsettled.
            let unsettled = unsettled(&snap, &verdicts, at, &confirm);
            let mut lean = snap.clone();
            lean.full.retain(|id, _| unsettled.contains(id));
            prop_assert_eq!(&step(&lean, &verdicts, at, &confirm), &changes);
            for c in &changes {
                prop_assert_eq!(snap.table.id(&c.key), Some(c.id));
                let prev = snap.state(c.id);
                let Some(e) = &c.event else {
                    // Only a run waiting for confirmation (or its end) changes silently.
                    prop_assert!(!plain);
                    prop_assert_eq!(Status::of(prev), Status::of(Some(&c.new)));
                    continue;
                };
                prop_assert!(recorded.insert((c.key.clone(), e.at)), "two events for {} at {}", c.key.exporter, e.at);
                prop_assert!(e.at <= at);
                // Every event carries the status before it, and its kind maps it
                // to the status after: the history can be replayed from events alone.
                prop_assert_eq!(e.prev, Status::of(prev));
                prop_assert_eq!(e.kind.after(e.prev), Status::of(Some(&c.new)));
                let verdict = verdicts[c.id as usize].expect("a verdict for every change");
                match e.kind {
                    // Baselines only on first sight, and only once.
                    EventKind::BaselineUp | EventKind::BaselineDown => {
                        prop_assert!(prev.is_none());
                        prop_assert!(seen_first.insert(c.key.clone(), at).is_none());
                    }
                    // A transition needs a verdict and a different known state.
                    EventKind::Up | EventKind::Down => {
                        let prev = prev.expect("transition of a known key");
                        let has_verdict = !matches!(verdict, Verdict::Unknown { .. });
                        prop_assert!(has_verdict);
                        prop_assert_ne!(prev.state, c.new.state);
                        // Dated at the first poll of the confirming run.
                        prop_assert_eq!(c.new.since, e.at);
                        let need = i64::from(if c.new.state == State::Down { down } else { up });
                        prop_assert_eq!(e.at, at - 300 * (need - 1));
                    }
                    _ => prop_assert!(prev.is_some()),
                }
                // Never down while a collector that matters for the key failed.
                if c.new.state == State::Down && c.new.unknown_since.is_none() {
                    let owner = prev.and_then(|p| p.owner.clone());
                    for r in &reads {
                        if r.rows().is_none() {
                            let listed = snap.listings.get(&r.collector).is_some_and(|l| l.set.contains(c.id));
                            prop_assert!(!listed && owner.as_deref() != Some(r.collector.as_str()),
                                "{} went down while {} (which matters) failed", c.key.exporter, r.collector);
                        }
                    }
                }
            }
            // Up exactly when some collector read reports it above 0, with the sum.
            for (id, v) in verdicts.iter().enumerate() {
                let Some(v) = v else { continue };
                let sum: u64 = reads.iter().filter_map(|r| r.rows()?.get(id as KeyId)).sum();
                match v {
                    Verdict::Up { bps, .. } => prop_assert_eq!(*bps, sum),
                    _ => prop_assert_eq!(sum, 0),
                }
            }
            // What each key's snapshot row must say after this poll: its
            // known state, or None for unknown.
            let expected: Vec<(KeyId, Option<State>)> = verdicts
                .iter()
                .enumerate()
                .filter_map(|(id, v)| {
                    let s = match v.as_ref()? {
                        Verdict::Up { .. } => Some(State::Up),
                        Verdict::Down { .. } => Some(State::Down),
                        Verdict::Inactive => Some(State::Inactive),
                        Verdict::Unknown { .. } => None,
                    };
                    Some((id as KeyId, s))
                })
                .collect();
            apply(&mut snap, &reads, &changes, at);
            for (id, want) in &expected {
                let Some(s) = snap.state(*id) else { continue };
                match want {
                    Some(state) if s.state == *state => prop_assert!(s.unknown_since.is_none() && s.pending.is_none()),
                    // A different verdict not confirmed yet is a pending run.
                    Some(state) => prop_assert!(!plain && s.pending.is_some_and(|p| p.state == *state)),
                    None => prop_assert!(s.unknown_since.is_some() && s.pending.is_none()),
                }
            }
            // The same poll again changes nothing (without flap control),
            // but for keys a good read missed once: the repeat is the second
            // good read without them, which decides them (SPEC §2).
            if plain {
                let missed: Vec<KeyId> = verdicts
                    .iter()
                    .enumerate()
                    .filter_map(|(id, v)| match v.as_ref()? {
                        Verdict::Unknown { blame } => reads
                            .iter()
                            .any(|r| r.collector == *blame && r.rows().is_some())
                            .then_some(id as KeyId),
                        _ => None,
                    })
                    .collect();
                let again = step(&snap, &aggregate(&reads, &snap), at + 1, &confirm);
                prop_assert!(again.iter().all(|c| missed.contains(&c.id)
                    || c.event.as_ref().is_some_and(|e| e.kind == EventKind::Moved)),
                    "{:?}", again);
            }
        }
    }

    #[test]
    fn a_settled_verdict_changes_nothing(
        state in prop_oneof![Just(State::Up), Just(State::Down), Just(State::Inactive), Just(State::Retired)],
        unknown in proptest::option::of(0i64..100),
        owner in proptest::option::of(0usize..3),
        pending in proptest::option::of((prop_oneof![Just(State::Up), Just(State::Down)], 1u32..3)),
        verdict in prop_oneof![
            (1u64..1000, 0usize..3).prop_map(|(bps, o)| (1, bps, o)),
            Just((0, 0, 0)),
            (0u64..400).prop_map(|t| (3, t, 0)),
            (0usize..3).prop_map(|o| (2, 0, o)),
        ],
        down in 1u32..4,
        up in 1u32..4,
        retire_after in proptest::option::of(1i64..600),
    ) {
        // Inactive and retired keys are never unknown nor waiting.
        let dormant = matches!(state, State::Inactive | State::Retired);
        let (unknown, pending) = if dormant { (None, None) } else { (unknown, pending) };
        let prev = KeyState {
            state,
            since: 10,
            unknown_since: unknown,
            owner: owner.map(|o| Arc::from(COLLECTORS[o])),
            bps: 5,
            first_seen: 1,
            pending: pending.map(|(state, count)| Pending { state, since: 20, count }),
        };
        let verdict = match verdict {
            (1, bps, o) => Verdict::Up { bps, owner: COLLECTORS[o] },
            (0, _, _) => Verdict::DOWN,
            (3, 0, _) => Verdict::Inactive,
            (3, t, _) => Verdict::Down { last_active: Some(t as i64) },
            (_, _, o) => Verdict::Unknown { blame: COLLECTORS[o] },
        };
        let rules = Rules {
            retire_after,
            outage_start: OutageStart::LastActive,
            confirm: Confirm { down, up },
        };
        let t = PollTime { at: 300, prev: Some(0) };
        let step = step_key(Some(&prev), &verdict, t, &rules);
        if settled(&Brief::of(&prev), &verdict, 300, &rules) {
            prop_assert_eq!(step, None);
        }
    }

    #[test]
    fn moving_every_exporter_to_another_collector_is_never_an_outage(
        bps in proptest::collection::vec(1u64..1000, EXPORTERS.len()),
    ) {
        // Poll 1: all on a. Poll 2: a reports 0 for all, b carries them.
        let all = |v: Option<u64>| Some(vec![v; EXPORTERS.len()]);
        let on_a: Vec<Option<u64>> = bps.iter().map(|b| Some(*b)).collect();
        let mut snap = Snapshot::default();
        let p1 = reads_of(&mut snap, &[Some(on_a.clone()), all(None), all(None)]);
        let ch = step(&snap, &aggregate(&p1, &snap), 100, &Rules::default());
        apply(&mut snap, &p1, &ch, 100);
        let p2 = reads_of(&mut snap, &[all(Some(0)), Some(on_a), all(None)]);
        let ch = step(&snap, &aggregate(&p2, &snap), 400, &Rules::default());
        prop_assert_eq!(ch.len(), EXPORTERS.len());
        for c in &ch {
            prop_assert_eq!(c.event.as_ref().map(|e| e.kind), Some(EventKind::Moved));
            prop_assert_eq!(c.new.owner.as_deref(), Some("b"));
        }
    }
}

proptest! {
    /// SPEC §9: with `outage_start: last_active` an outage's downtime is at
    /// least the poll-dated one and at most one poll interval more.
    #[test]
    fn last_active_dating_adds_at_most_one_poll_interval_per_outage(
        polls in proptest::collection::vec((60i64..900, any::<bool>(), 0i64..2000), 2..40),
    ) {
        use crate::report::accounting::{account, Gaps};
        let run = |rules: &Rules| {
            let (mut key, mut prev_at, mut at) = (None::<KeyState>, None, 0i64);
            let mut changes = Vec::new();
            let mut down_intervals = Vec::new();
            for &(dt, is_up, back) in &polls {
                at += dt;
                // Last Active: somewhere up to 2000 s before this poll.
                let verdict = if is_up {
                    Verdict::Up { bps: 1, owner: "a" }
                } else {
                    Verdict::Down { last_active: Some(at - back) }
                };
                let t = PollTime { at, prev: prev_at };
                if let Some((new, event)) = step_key(key.as_ref(), &verdict, t, rules) {
                    if let Some(e) = event {
                        if e.kind == EventKind::Down {
                            down_intervals.push(dt);
                        }
                        changes.push((e.at, e.kind.after(e.prev)));
                    }
                    key = Some(new);
                }
                prev_at = Some(at);
            }
            let acc = account(Status::Unseen, &changes, 0, at + 1, &Gaps::default());
            (acc, down_intervals)
        };
        let (by_poll, intervals) = run(&Rules::default());
        let (by_active, _) = run(&Rules { outage_start: OutageStart::LastActive, ..Rules::default() });
        prop_assert_eq!(by_poll.outages, by_active.outages);
        prop_assert!(by_active.downtime >= by_poll.downtime);
        // Each outage starts at most one interval (less one second) earlier.
        let most: i64 = intervals.iter().map(|dt| dt - 1).sum();
        prop_assert!(by_active.downtime - by_poll.downtime <= most,
            "{} - {} > {most}", by_active.downtime, by_poll.downtime);
        prop_assert_eq!(by_active.downtime + by_active.up + by_active.unobserved, by_poll.downtime + by_poll.up + by_poll.unobserved);
    }
}
