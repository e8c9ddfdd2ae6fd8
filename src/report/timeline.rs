//! A key's timeline (SPEC §12), pure: its window cut into segments of one
//! kind each — up, down, unknown, maintenance, unobserved, inactive, retired —
//! by the same rules as the downtime accounting, so that a page's strip shows
//! exactly the seconds the reports count.

use super::accounting::Gaps;
use crate::model::Status;

/// What a segment of a timeline is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    Up,
    Down,
    Unknown,
    /// Down inside a maintenance window.
    Maintenance,
    /// A gap between polls, or before the key was seen.
    Unobserved,
    Inactive,
    Retired,
}

impl Part {
    pub fn as_str(self) -> &'static str {
        match self {
            Part::Up => "up",
            Part::Down => "down",
            Part::Unknown => "unknown",
            Part::Maintenance => "maintenance",
            Part::Unobserved => "unobserved",
            Part::Inactive => "inactive",
            Part::Retired => "retired",
        }
    }
}

/// [from, to) for a key whose status at `from` is `start` and changes at each
/// `(at, status)` of `changes` (ascending), cut into segments, adjacent ones
/// of one part merged. Down time in `maint` is maintenance; time in `gaps` is
/// unobserved (except down time in maintenance), as `accounting::account_in`.
pub fn segments(
    start: Status,
    changes: &[(i64, Status)],
    (from, to): (i64, i64),
    gaps: &Gaps,
    maint: &Gaps,
) -> Vec<(i64, i64, Part)> {
    let mut cuts: Vec<i64> = vec![from, to];
    cuts.extend(changes.iter().map(|c| c.0).filter(|&t| t > from && t < to));
    for &(a, b) in gaps.intervals().iter().chain(maint.intervals()) {
        cuts.extend([a, b].into_iter().filter(|&t| t > from && t < to));
    }
    cuts.sort_unstable();
    cuts.dedup();
    let mut out: Vec<(i64, i64, Part)> = Vec::new();
    for w in cuts.windows(2) {
        let (a, b) = (w[0], w[1]);
        let status = changes
            .iter()
            .take_while(|c| c.0 <= a)
            .last()
            .filter(|c| c.0 > from)
            .map_or(start, |c| c.1);
        let in_gap = gaps.overlap(a, b) > 0;
        let in_maint = maint.overlap(a, b) > 0;
        let part = match status {
            Status::Down if in_maint => Part::Maintenance,
            Status::Inactive => Part::Inactive,
            Status::Retired => Part::Retired,
            _ if in_gap => Part::Unobserved,
            Status::Up => Part::Up,
            Status::Down => Part::Down,
            Status::UnknownDown | Status::UnknownUp => Part::Unknown,
            Status::Unseen => Part::Unobserved,
        };
        match out.last_mut() {
            Some(last) if last.2 == part && last.1 == a => last.1 = b,
            _ => out.push((a, b, part)),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::report::accounting::account_in;
    use Status::*;

    fn status() -> impl Strategy<Value = Status> {
        prop_oneof![
            Just(Unseen),
            Just(Down),
            Just(Up),
            Just(UnknownDown),
            Just(UnknownUp),
            Just(Inactive),
            Just(Retired)
        ]
    }

    fn spans(raw: Vec<(i64, i64)>) -> Gaps {
        Gaps::merged(raw.into_iter().map(|(a, l)| (a, a + l)).collect())
    }

    #[test]
    fn an_outage_in_a_window_and_a_gap() {
        // Up; down at 100 (maintenance 150..250); up at 300; a gap 400..500.
        let changes = [(100, Down), (300, Up)];
        let got = segments(
            Up,
            &changes,
            (0, 600),
            &spans(vec![(400, 100)]),
            &spans(vec![(150, 100)]),
        );
        assert_eq!(
            got,
            [
                (0, 100, Part::Up),
                (100, 150, Part::Down),
                (150, 250, Part::Maintenance),
                (250, 300, Part::Down),
                (300, 400, Part::Up),
                (400, 500, Part::Unobserved),
                (500, 600, Part::Up),
            ]
        );
    }

    proptest! {
        /// The strip's seconds are the accounting's: down = downtime, up = up,
        /// maintenance = maintenance, the rest = unobserved; and it covers the
        /// window without overlap.
        #[test]
        fn segments_add_up_to_the_accounting(
            start in status(),
            mut changes in proptest::collection::vec((1i64..10_000, status()), 0..15),
            gaps in proptest::collection::vec((0i64..10_000, 1i64..1500), 0..4),
            maint in proptest::collection::vec((0i64..10_000, 1i64..1500), 0..4),
            from in 0i64..3000,
            len in 1i64..8000,
        ) {
            changes.sort_by_key(|c| c.0);
            changes.dedup_by_key(|c| c.0);
            let (gaps, maint) = (spans(gaps), spans(maint));
            let to = from + len;
            let segs = segments(start, &changes, (from, to), &gaps, &maint);
            prop_assert_eq!(segs.first().map(|s| s.0), Some(from));
            prop_assert_eq!(segs.last().map(|s| s.1), Some(to));
            prop_assert!(segs.windows(2).all(|w| w[0].1 == w[1].0 && w[0].2 != w[1].2));
            let sum = |p: Part| segs.iter().filter(|s| s.2 == p).map(|s| s.1 - s.0).sum::<i64>();
            let a = account_in(start, &changes, (from, to), &gaps, &maint);
            prop_assert_eq!(sum(Part::Down), a.downtime);
            prop_assert_eq!(sum(Part::Up), a.up);
            prop_assert_eq!(sum(Part::Maintenance), a.maintenance);
            prop_assert_eq!(sum(Part::Unobserved) + sum(Part::Unknown) + sum(Part::Inactive) + sum(Part::Retired), a.unobserved);
        }
    }
}
