//! SPEC §4 downtime accounting, pure: a key's status over a window, replayed
//! from its events, split into downtime, up time and unobserved time, with
//! its outages.

use crate::model::{State, Status};

/// Time unobserved for every key: the gaps between consecutive polls more than
/// `max_gap` apart, and the tail from the last poll to the window's end when
/// that is more than `max_gap`. Clipped to the window.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Gaps {
    intervals: Vec<(i64, i64)>,
    /// `prefix[i]`: the total length of `intervals[..i]`.
    prefix: Vec<i64>,
}

impl Default for Gaps {
    /// No gaps.
    fn default() -> Gaps {
        Gaps {
            intervals: Vec::new(),
            prefix: vec![0],
        }
    }
}

impl Gaps {
    /// `polls` ascending: the last poll at or before `from` (if any), every
    /// poll in the window, and the first poll at or after `to` (if any).
    pub fn new(polls: &[i64], from: i64, to: i64, max_gap: i64) -> Gaps {
        let mut raw = Vec::new();
        for w in polls.windows(2) {
            if w[1] - w[0] > max_gap {
                raw.push((w[0], w[1]));
            }
        }
        match polls.last() {
            None => raw.push((from, to)),
            Some(&last) if last < to && to - last > max_gap => raw.push((last, to)),
            Some(_) => {}
        }
        let intervals: Vec<(i64, i64)> = raw
            .into_iter()
            .map(|(a, b)| (a.max(from), b.min(to)))
            .filter(|(a, b)| a < b)
            .collect();
        let mut prefix = vec![0];
        for (a, b) in &intervals {
            prefix.push(prefix.last().unwrap() + (b - a));
        }
        Gaps { intervals, prefix }
    }

    /// Without the parts of the gaps inside `spans` (time observed another
    /// way: an imported history). `spans` sorted by start.
    pub fn covered(self, spans: &[(i64, i64)]) -> Gaps {
        let mut intervals = Vec::new();
        for (mut a, b) in self.intervals {
            for &(s, e) in spans {
                if s >= b || e <= a {
                    continue;
                }
                if s > a {
                    intervals.push((a, s));
                }
                a = a.max(e);
            }
            if a < b {
                intervals.push((a, b));
            }
        }
        let mut prefix = vec![0];
        for (a, b) in &intervals {
            prefix.push(prefix.last().unwrap() + (b - a));
        }
        Gaps { intervals, prefix }
    }

    /// Spans already sorted and disjoint (a key's merged maintenance windows).
    pub fn from_spans(intervals: Vec<(i64, i64)>) -> Gaps {
        let mut prefix = vec![0];
        for (a, b) in &intervals {
            prefix.push(prefix.last().unwrap() + (b - a));
        }
        Gaps { intervals, prefix }
    }

    /// Spans in any order, overlapping or not: sorted and merged.
    pub fn merged(mut spans: Vec<(i64, i64)>) -> Gaps {
        spans.sort_unstable();
        let mut merged: Vec<(i64, i64)> = Vec::with_capacity(spans.len());
        for (a, b) in spans.into_iter().filter(|(a, b)| a < b) {
            match merged.last_mut() {
                Some(last) if a <= last.1 => last.1 = last.1.max(b),
                _ => merged.push((a, b)),
            }
        }
        Gaps::from_spans(merged)
    }

    /// The time in both.
    pub fn intersect(&self, other: &Gaps) -> Gaps {
        let (mut i, mut j, mut out) = (0, 0, Vec::new());
        while i < self.intervals.len() && j < other.intervals.len() {
            let (a, b) = self.intervals[i];
            let (c, d) = other.intervals[j];
            if a.max(c) < b.min(d) {
                out.push((a.max(c), b.min(d)));
            }
            if b < d {
                i += 1;
            } else {
                j += 1;
            }
        }
        Gaps::from_spans(out)
    }

    /// The spans, sorted and disjoint.
    pub fn intervals(&self) -> &[(i64, i64)] {
        &self.intervals
    }

    /// Gap time before `x`.
    fn upto(&self, x: i64) -> i64 {
        let j = self.intervals.partition_point(|&(_, end)| end <= x);
        let mut total = self.prefix[j];
        if let Some(&(start, _)) = self.intervals.get(j) {
            if start < x {
                total += x - start;
            }
        }
        total
    }

    /// Gap time inside [a, b).
    pub fn overlap(&self, a: i64, b: i64) -> i64 {
        if b <= a {
            0
        } else {
            self.upto(b) - self.upto(a)
        }
    }
}

/// One key over one window. All in seconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Account {
    pub downtime: i64,
    pub up: i64,
    pub unobserved: i64,
    /// Outages that overlap the window (one open at its start counts).
    pub outages: u32,
    /// The largest observed downtime of one outage inside the window.
    pub longest: i64,
    /// Of `unobserved`: the time the key was inactive or retired (SPEC §9).
    pub dormant: i64,
    /// Down time inside maintenance windows (SPEC §10): neither downtime nor
    /// observed.
    pub maintenance: i64,
}

impl Account {
    pub fn observed(&self) -> i64 {
        self.downtime + self.up
    }

    /// Inactive or retired for all the window it was seen in: out of the
    /// reports and totals (SPEC §9).
    pub fn only_dormant(&self) -> bool {
        self.dormant > 0 && self.observed() == 0 && self.outages == 0
    }
}

/// 100 × (observed − downtime) / observed; `None` when nothing was observed.
pub fn availability(observed: i64, downtime: i64) -> Option<f64> {
    (observed > 0).then(|| 100.0 * (observed - downtime) as f64 / observed as f64)
}

fn in_outage(s: Status) -> bool {
    s.known() == Some(State::Down)
}

/// Accounts [from, to) for a key whose status at `from` is `start` and which
/// changes to `status` at each `(at, status)` of `changes` (ascending; those
/// outside (from, to) are ignored). An outage runs while the last known state
/// is down, across unknown polls; only its observed part is downtime.
pub fn account(
    start: Status,
    changes: &[(i64, Status)],
    from: i64,
    to: i64,
    gaps: &Gaps,
) -> Account {
    account_in(start, changes, (from, to), gaps, &Gaps::default())
}

/// `account`, with the key's maintenance windows (`maint`, SPEC §10): down
/// time inside them is `maintenance`, neither downtime nor observed (nor
/// unobserved, where a gap falls inside one); an outage wholly inside them
/// is not counted.
pub fn account_in(
    start: Status,
    changes: &[(i64, Status)],
    (from, to): (i64, i64),
    gaps: &Gaps,
    maint: &Gaps,
) -> Account {
    let both = gaps.intersect(maint);
    let mut acc = Account::default();
    // The outage in progress, once it overlaps the window: its observed
    // downtime, and its time in maintenance.
    let mut outage: Option<(i64, i64)> = None;
    let mut status = start;
    let mut t = from;
    let inside = changes
        .iter()
        .filter(|(at, _)| *at > from && *at < to)
        .copied();
    // The window's end closes the last segment; the status after it is never used.
    for (at, next) in inside.chain(std::iter::once((to, Status::Unseen))) {
        let len = at - t;
        if len > 0 {
            let gap = gaps.overlap(t, at);
            let (mut down, mut in_maint) = (0, 0);
            match status {
                Status::Unseen | Status::UnknownDown | Status::UnknownUp => acc.unobserved += len,
                Status::Inactive | Status::Retired => {
                    acc.unobserved += len;
                    acc.dormant += len;
                }
                Status::Down => {
                    in_maint = maint.overlap(t, at);
                    let gap = gap - both.overlap(t, at);
                    down = len - in_maint - gap;
                    acc.downtime += down;
                    acc.maintenance += in_maint;
                    acc.unobserved += gap;
                }
                Status::Up => {
                    acc.up += len - gap;
                    acc.unobserved += gap;
                }
            }
            if in_outage(status) {
                let (d, m) = outage.unwrap_or((0, 0));
                outage = Some((d + down, m + in_maint));
            }
        }
        let ends = at == to || !in_outage(next);
        if in_outage(status) && ends {
            if let Some((d, m)) = outage.take() {
                // Wholly inside maintenance: planned, not an outage.
                if d > 0 || m == 0 {
                    acc.outages += 1;
                    acc.longest = acc.longest.max(d);
                }
            }
        }
        status = next;
        t = at;
    }
    acc
}

/// The status at `t` of a key whose status now is `current`, from its events
/// `(at, prev)` ascending: the status before the first event after `t`.
pub fn status_at(
    events: impl IntoIterator<Item = (i64, Status)>,
    current: Status,
    t: i64,
) -> Status {
    events
        .into_iter()
        .find(|(at, _)| *at > t)
        .map_or(current, |(_, prev)| prev)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use Status::*;

    fn no_gaps() -> Gaps {
        Gaps::default()
    }

    fn acc(downtime: i64, up: i64, unobserved: i64, outages: u32, longest: i64) -> Account {
        Account {
            downtime,
            up,
            unobserved,
            outages,
            longest,
            dormant: 0,
            maintenance: 0,
        }
    }

    #[test]
    fn imported_spans_cover_gaps() {
        // No polls: the whole window [0, 1000) is a gap; imports cover
        // [100, 300) and [250, 400): left are [0, 100) and [400, 1000).
        let g = Gaps::new(&[], 0, 1000, 900).covered(&[(100, 300), (250, 400)]);
        assert_eq!(g.intervals, vec![(0, 100), (400, 1000)]);
        assert_eq!(g.overlap(0, 1000), 700);
        assert_eq!(g.overlap(50, 450), 100);
    }

    #[test]
    fn gaps_longer_than_max_gap_and_a_long_tail_are_unobserved() {
        // Polls every 300 s with one 1200 s hole; max_gap 900; window [0, 3000).
        let polls = [0, 300, 600, 1800, 2100];
        let g = Gaps::new(&polls, 0, 3000, 900);
        // (600, 1800) is a gap; the tail 2100..3000 is exactly 900: not more than max_gap.
        assert_eq!(g.intervals, vec![(600, 1800)]);
        assert_eq!(g.overlap(0, 3000), 1200);
        assert_eq!(g.overlap(700, 800), 100);
        assert_eq!(g.overlap(1700, 1900), 100);
        let g = Gaps::new(&polls, 0, 3001, 900);
        assert_eq!(g.intervals, vec![(600, 1800), (2100, 3001)]);
        // A gap straddling the window's start is clipped.
        let g = Gaps::new(&[0, 2000], 1000, 2500, 900);
        assert_eq!(g.intervals, vec![(1000, 2000)]);
        // A poll after the window closes the gap rule, not the tail rule.
        let g = Gaps::new(&[0, 100, 5000], 0, 1000, 900);
        assert_eq!(g.intervals, vec![(100, 1000)]);
        // No polls at all: everything unobserved.
        assert_eq!(Gaps::new(&[], 0, 10, 5).overlap(0, 10), 10);
    }

    #[test]
    fn a_key_up_all_window_has_no_downtime() {
        assert_eq!(account(Up, &[], 0, 1000, &no_gaps()), acc(0, 1000, 0, 0, 0));
    }

    #[test]
    fn an_outage_inside_the_window() {
        // up, down at 200, up at 500: 300 s down, one outage.
        let a = account(Up, &[(200, Down), (500, Up)], 0, 1000, &no_gaps());
        assert_eq!(a, acc(300, 700, 0, 1, 300));
    }

    #[test]
    fn an_outage_open_at_the_start_counts_and_one_open_at_the_end_runs_to_it() {
        let a = account(Down, &[(100, Up), (900, Down)], 0, 1000, &no_gaps());
        // 0..100 down (outage 1), 900..1000 down (outage 2, open)
        assert_eq!(a, acc(200, 800, 0, 2, 100));
    }

    #[test]
    fn unknown_time_is_unobserved_and_one_outage_spans_it() {
        // down at 100, unknown 300..600 (still down), up at 800.
        let a = account(
            Up,
            &[(100, Down), (300, UnknownDown), (600, Down), (800, Up)],
            0,
            1000,
            &no_gaps(),
        );
        // downtime (300-100) + (800-600) = 400; unobserved 300; up 100 + 200 = 300
        assert_eq!(a, acc(400, 300, 300, 1, 400));
    }

    #[test]
    fn before_first_seen_is_unobserved() {
        let a = account(Unseen, &[(400, Down)], 0, 1000, &no_gaps());
        assert_eq!(a, acc(600, 0, 400, 1, 600));
    }

    #[test]
    fn gaps_are_never_downtime() {
        let g = Gaps::new(&[0, 300, 1500, 1800], 0, 2000, 900);
        // gap (300, 1500); down from 0 to 1800
        let a = account(Down, &[(1800, Up)], 0, 2000, &g);
        // downtime 1800 - 1200 = 600, unobserved 1200, up 200
        assert_eq!(a, acc(600, 200, 1200, 1, 600));
    }

    #[test]
    fn changes_outside_the_window_are_ignored() {
        let a = account(
            Up,
            &[(-50, Down), (1000, Down), (2000, Up)],
            0,
            1000,
            &no_gaps(),
        );
        assert_eq!(a, acc(0, 1000, 0, 0, 0));
    }

    #[test]
    fn status_at_replays_events_backwards() {
        let evs = [(100, Unseen), (200, Up), (300, Down)];
        assert_eq!(status_at(evs, Up, 50), Unseen);
        assert_eq!(status_at(evs, Up, 100), Up);
        assert_eq!(status_at(evs, Up, 250), Down);
        assert_eq!(status_at(evs, Up, 300), Up);
    }

    #[test]
    fn availability_is_observed_up_share() {
        assert_eq!(availability(1000, 250), Some(75.0));
        assert_eq!(availability(0, 0), None);
    }

    fn status() -> impl Strategy<Value = Status> {
        prop_oneof![
            Just(Unseen),
            Just(Down),
            Just(Up),
            Just(UnknownDown),
            Just(UnknownUp)
        ]
    }

    fn history() -> impl Strategy<Value = (Status, Vec<(i64, Status)>, Vec<i64>)> {
        (
            status(),
            proptest::collection::vec((0i64..10_000, status()), 0..20),
            proptest::collection::vec(0i64..10_000, 0..30),
        )
            .prop_map(|(s, mut ch, mut polls)| {
                ch.sort_by_key(|c| c.0);
                ch.dedup_by_key(|c| c.0);
                polls.sort();
                polls.dedup();
                (s, ch, polls)
            })
    }

    proptest! {
        #[test]
        fn downtime_up_and_unobserved_make_the_window((start, changes, polls) in history(), from in 0i64..5000, len in 0i64..5000, max_gap in 1i64..2000) {
            let to = from + len;
            let g = Gaps::new(&polls, from, to, max_gap);
            let a = account(start, &changes, from, to, &g);
            prop_assert_eq!(a.downtime + a.up + a.unobserved, to - from);
            prop_assert!(a.downtime >= 0 && a.up >= 0 && a.unobserved >= 0 && a.longest >= 0);
            prop_assert!(a.longest <= a.downtime);
            prop_assert!(a.unobserved >= g.overlap(from, to));
            if a.outages == 0 {
                prop_assert_eq!(a.downtime, 0);
            }
        }

        #[test]
        fn splitting_the_window_splits_the_times((start, changes, polls) in history(), from in 0i64..3000, l1 in 0i64..3000, l2 in 0i64..3000, max_gap in 1i64..2000) {
            let (mid, to) = (from + l1, from + l1 + l2);
            // The gaps of the whole window, seen through each half.
            let whole = Gaps::new(&polls, from, to, max_gap);
            let a = account(start, &changes, from, to, &whole);
            // Status at mid: replay forward.
            let at_mid = changes.iter().filter(|(at, _)| *at <= mid && *at > from).map(|c| c.1).next_back().unwrap_or(start);
            let first = account(start, &changes, from, mid, &whole);
            let second = account(at_mid, &changes, mid, to, &whole);
            prop_assert_eq!(a.downtime, first.downtime + second.downtime);
            prop_assert_eq!(a.up, first.up + second.up);
            prop_assert_eq!(a.unobserved, first.unobserved + second.unobserved);
        }

        /// SPEC §10: with maintenance windows, every second of the window is
        /// downtime, up, unobserved or maintenance; splitting adds up.
        #[test]
        fn maintenance_is_the_fourth_part_of_the_window_and_splits((start, changes, polls) in history(), windows in proptest::collection::vec((0i64..10_000, 1i64..2000), 0..5), from in 0i64..3000, l1 in 0i64..3000, l2 in 0i64..3000, max_gap in 1i64..2000) {
            let (mid, to) = (from + l1, from + l1 + l2);
            let maint = Gaps::merged(windows.iter().map(|&(a, l)| (a, a + l)).collect());
            let gaps = Gaps::new(&polls, from, to, max_gap);
            let a = account_in(start, &changes, (from, to), &gaps, &maint);
            prop_assert_eq!(a.downtime + a.up + a.unobserved + a.maintenance, to - from);
            prop_assert!(a.downtime >= 0 && a.maintenance >= 0 && a.unobserved >= 0);
            prop_assert!(a.maintenance <= maint.overlap(from, to));
            let at_mid = changes.iter().filter(|(at, _)| *at <= mid && *at > from).map(|c| c.1).next_back().unwrap_or(start);
            let first = account_in(start, &changes, (from, mid), &gaps, &maint);
            let second = account_in(at_mid, &changes, (mid, to), &gaps, &maint);
            prop_assert_eq!(a.downtime, first.downtime + second.downtime);
            prop_assert_eq!(a.maintenance, first.maintenance + second.maintenance);
            prop_assert_eq!(a.up, first.up + second.up);
            prop_assert_eq!(a.unobserved, first.unobserved + second.unobserved);
        }

        #[test]
        fn an_outage_wholly_inside_maintenance_is_not_one(down_at in 100i64..200, len in 1i64..100) {
            // Up, down at `down_at` for `len`, inside a window [50, 400).
            let changes = [(down_at, Down), (down_at + len, Up)];
            let maint = Gaps::from_spans(vec![(50, 400)]);
            let a = account_in(Up, &changes, (0, 1000), &Gaps::default(), &maint);
            prop_assert_eq!((a.downtime, a.maintenance, a.outages, a.up), (0, len, 0, 1000 - len));
            // Half out of the window: one outage, its length the part outside.
            let changes = [(350, Down), (350 + 50 + len, Up)];
            let a = account_in(Up, &changes, (0, 1000), &Gaps::default(), &maint);
            prop_assert_eq!((a.downtime, a.maintenance, a.outages, a.longest), (len, 50, 1, len));
        }
    }
}
