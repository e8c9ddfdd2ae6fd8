//! Report windows: `--since DUR`, `--month`, `--from T [--to T]`, and `--now T`.

use anyhow::{bail, Result};
use chrono::{Local, Months, TimeZone};

use crate::config::Dur;
use crate::time::rfc3339;

/// [from, to), evaluated as of `now` (to <= now).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    pub from: i64,
    pub to: i64,
    pub now: i64,
}

/// How the command line named the window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Spec {
    Since(Dur),
    /// Now minus one calendar month (local time).
    Month,
    Range {
        from: i64,
        to: Option<i64>,
    },
}

/// The window for `spec` as of `now`. A `to` later than `now` is cut to `now`
/// (the future has no polls); an empty window is an error.
pub fn resolve(spec: Spec, now: i64) -> Result<Window> {
    let (from, to) = match spec {
        Spec::Since(d) => {
            if d.secs() == 0 {
                bail!("--since 0s is an empty window: give a duration like 10m, 1h, 7d");
            }
            // A window reaching before 1970 starts there (nothing is older).
            let secs = i64::try_from(d.secs()).unwrap_or(i64::MAX);
            (now.saturating_sub(secs).max(0), now)
        }
        Spec::Month => {
            let local = Local.timestamp_opt(now, 0).single();
            let from = local
                .and_then(|t| t.checked_sub_months(Months::new(1)))
                .map_or(now - 30 * 86_400, |t| t.timestamp());
            (from, now)
        }
        Spec::Range { from, to } => (from, to.unwrap_or(now).min(now)),
    };
    if from >= to {
        bail!(
            "the window from {} to {} is empty: --from must be before --to and before now ({})",
            rfc3339(from),
            rfc3339(to),
            rfc3339(now)
        );
    }
    Ok(Window { from, to, now })
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_795_428_000; // 2026-11-23T10:00:00Z

    #[test]
    fn a_huge_since_starts_in_1970_and_never_wraps() {
        for d in [u64::MAX, i64::MAX as u64, 1 << 62, NOW as u64 + 1] {
            assert_eq!(resolve(Spec::Since(Dur(d)), NOW).unwrap().from, 0, "{d}");
        }
    }

    #[test]
    fn since_ends_now() {
        assert_eq!(
            resolve(Spec::Since(Dur(600)), NOW).unwrap(),
            Window {
                from: NOW - 600,
                to: NOW,
                now: NOW
            }
        );
    }

    #[test]
    fn month_is_one_calendar_month_back_in_local_time() {
        let w = resolve(Spec::Month, NOW).unwrap();
        let want = Local
            .timestamp_opt(NOW, 0)
            .unwrap()
            .checked_sub_months(Months::new(1))
            .unwrap()
            .timestamp();
        assert_eq!((w.from, w.to), (want, NOW));
        // October has 31 days: 2026-10-23 to 2026-11-23 is 31 days (give or take a DST hour).
        assert!(
            (w.to - w.from - 31 * 86_400).abs() <= 3600,
            "{}",
            w.to - w.from
        );
    }

    #[test]
    fn a_range_is_cut_at_now_and_an_empty_one_is_refused() {
        let w = resolve(
            Spec::Range {
                from: NOW - 100,
                to: Some(NOW + 100),
            },
            NOW,
        )
        .unwrap();
        assert_eq!((w.from, w.to), (NOW - 100, NOW));
        let w = resolve(
            Spec::Range {
                from: NOW - 100,
                to: None,
            },
            NOW,
        )
        .unwrap();
        assert_eq!((w.from, w.to), (NOW - 100, NOW));
        let e = resolve(
            Spec::Range {
                from: NOW,
                to: Some(NOW - 5),
            },
            NOW,
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "the window from 2026-11-23T10:00:00Z to 2026-11-23T09:59:55Z is empty: --from must be before --to and before now (2026-11-23T10:00:00Z)"
        );
        assert!(resolve(Spec::Since(Dur(0)), NOW).is_err());
    }
}
