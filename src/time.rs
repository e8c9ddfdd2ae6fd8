//! Times as the command line takes them and as output shows them.

use anyhow::{bail, Result};
use chrono::{DateTime, Local, NaiveDate, NaiveDateTime, TimeZone, Utc};

/// RFC 3339 UTC, whole seconds: `2026-11-23T19:05:00Z`.
pub fn rfc3339(unix: i64) -> String {
    DateTime::<Utc>::from_timestamp(unix, 0)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_else(|| unix.to_string())
}

pub fn now() -> i64 {
    Utc::now().timestamp()
}

/// A naive local time in `tz` as unix seconds, never refused: a time the
/// clock showed twice (it went back) is its first showing; a time it skipped
/// (it went forward) is read in the old offset, which is the moment after
/// the gap for the gap's start. `None` only past chrono's range.
pub fn local_unix<Tz: TimeZone>(tz: &Tz, naive: NaiveDateTime) -> Option<i64> {
    match tz.from_local_datetime(&naive) {
        chrono::LocalResult::Single(t) => Some(t.timestamp()),
        chrono::LocalResult::Ambiguous(a, b) => Some(a.timestamp().min(b.timestamp())),
        // An hour later in the new offset is this time in the old one.
        chrono::LocalResult::None => tz
            .from_local_datetime(&(naive + chrono::Duration::hours(1)))
            .earliest()
            .map(|t| t.timestamp()),
    }
}

/// Parses a point in time: RFC 3339 (`2026-11-23T19:05:00Z`, any offset),
/// `YYYY-MM-DD HH:MM[:SS]` or `YYYY-MM-DDTHH:MM[:SS]` in local time,
/// `YYYY-MM-DD` (local midnight), or `@UNIXSECONDS`.
pub fn parse(s: &str) -> Result<i64> {
    let t = parse_any(s)?;
    if !(0..=LATEST).contains(&t) {
        bail!(
            "`{}` is out of range: times are from 1970 to 9999",
            s.trim()
        );
    }
    Ok(t)
}

/// 9999-12-31T23:59:59Z: the last time RFC 3339 writes with four digits.
const LATEST: i64 = 253_402_300_799;

fn parse_any(s: &str) -> Result<i64> {
    let s = s.trim();
    if let Some(n) = s.strip_prefix('@') {
        if let Ok(v) = n.parse::<i64>() {
            return Ok(v);
        }
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.timestamp());
    }
    let local = |naive: NaiveDateTime| -> Result<i64> {
        match Local.from_local_datetime(&naive) {
            chrono::LocalResult::Single(t) => Ok(t.timestamp()),
            chrono::LocalResult::Ambiguous(a, b) => {
                let (a, b) = if a.timestamp() <= b.timestamp() {
                    (a, b)
                } else {
                    (b, a)
                };
                bail!(
                    "`{s}` happens twice in the local time zone (the clock goes back then): give \
                 the offset, {} or {}",
                    a.format("%Y-%m-%dT%H:%M:%S%:z"),
                    b.format("%Y-%m-%dT%H:%M:%S%:z")
                )
            }
            chrono::LocalResult::None => {
                bail!("`{s}` does not exist in the local time zone (a clock change skips it)")
            }
        }
    };
    for fmt in [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(naive) = NaiveDateTime::parse_from_str(s, fmt) {
            return local(naive);
        }
    }
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return local(d.and_hms_opt(0, 0, 0).expect("midnight exists"));
    }
    bail!("`{s}` is not a time: use RFC 3339 (2026-11-23T19:05:00Z), YYYY-MM-DD [HH:MM[:SS]] (local time) or @UNIXSECONDS")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_parses_utc() {
        assert_eq!(parse("@253402300799").unwrap(), LATEST);
        assert_eq!(rfc3339(LATEST), "9999-12-31T23:59:59Z");
        assert_eq!(rfc3339(1_600_201_199), "2020-09-15T20:19:59Z");
        assert_eq!(parse("2020-09-15T20:19:59Z").unwrap(), 1_600_201_199);
        assert_eq!(parse("2020-09-15T22:19:59+02:00").unwrap(), 1_600_201_199);
        assert_eq!(parse("@1600201199").unwrap(), 1_600_201_199);
    }

    #[test]
    fn local_forms_follow_the_local_zone() {
        let want = Local
            .with_ymd_and_hms(2026, 11, 23, 7, 30, 0)
            .unwrap()
            .timestamp();
        assert_eq!(parse("2026-11-23 07:30").unwrap(), want);
        assert_eq!(parse("2026-11-23T07:30:00").unwrap(), want);
        assert_eq!(parse("2026-11-23").unwrap(), want - 7 * 3600 - 1800);
    }

    #[test]
    fn rejects_junk() {
        for s in [
            "",
            "yesterday",
            "2026-13-01",
            "@x",
            "@9223372036854775807",
            "@-1",
            "@253402300800",
        ] {
            assert!(parse(s).is_err(), "{s}");
        }
    }
}
