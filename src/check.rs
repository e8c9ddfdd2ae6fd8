//! SPEC §11 `fcstats check`, pure: monitoring-plugins ranges, and the
//! plugin's verdict and output from the counts of one database.

use anyhow::{bail, Result};

/// A monitoring-plugins threshold range, `[@][start:][end]`: alert when the
/// value is outside [start, end] (inside, with `@`). `~` is minus infinity;
/// an end left out is infinity; a start left out is 0.
#[derive(Clone, Debug, PartialEq)]
pub struct Range {
    pub text: String,
    start: f64,
    end: f64,
    inside: bool,
}

impl Range {
    pub fn parse(text: &str) -> Result<Range> {
        let t = text.trim();
        let usage = || {
            format!("`{text}` is not a range ([@][start:][end], e.g. 10, 10:, ~:10, 10:20, @10:20)")
        };
        let (inside, body) = match t.strip_prefix('@') {
            Some(b) => (true, b),
            None => (false, t),
        };
        let number = |s: &str| -> Result<f64> {
            match s.parse::<f64>() {
                Ok(v) if v.is_finite() => Ok(v),
                _ => bail!("{}", usage()),
            }
        };
        let (start, end) = match body.split_once(':') {
            None if body.is_empty() => bail!("{}", usage()),
            None => (0.0, number(body)?),
            Some((s, e)) => {
                let start = match s {
                    "~" => f64::NEG_INFINITY,
                    "" => 0.0,
                    s => number(s)?,
                };
                let end = if e.is_empty() {
                    f64::INFINITY
                } else {
                    number(e)?
                };
                (start, end)
            }
        };
        if start > end {
            bail!("{}: its start is above its end", usage());
        }
        Ok(Range {
            text: t.to_owned(),
            start,
            end,
            inside,
        })
    }

    /// Whether `v` raises the alert this range stands for.
    pub fn alerts(&self, v: f64) -> bool {
        let within = self.start <= v && v <= self.end;
        within == self.inside
    }
}

/// The plugin's states, with their exit codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    Ok = 0,
    Warning = 1,
    Critical = 2,
    Unknown = 3,
}

impl State {
    pub fn word(self) -> &'static str {
        match self {
            State::Ok => "OK",
            State::Warning => "WARNING",
            State::Critical => "CRITICAL",
            State::Unknown => "UNKNOWN",
        }
    }
}

/// What the database says now.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub down: usize,
    pub up: usize,
    pub unknown: usize,
    /// Down keys inside a maintenance window: said, never alerting.
    pub maintenance: usize,
    pub collectors_failed: usize,
    /// Seconds since the last poll (`None`: no poll yet).
    pub last_poll_age: Option<i64>,
    /// One line per down key.
    pub lines: Vec<String>,
}

/// The state and the output (first line, then one per down key).
pub fn verdict(
    c: &Counts,
    warning: &Range,
    critical: &Range,
    unknown_after: i64,
) -> (State, String) {
    let age = c.last_poll_age.unwrap_or(0);
    let perf = format!(
        "down={};{};{};0 up={};;;0 unknown={};;;0 collectors_failed={};;;0 last_poll_age={}s;;;0",
        c.down, warning.text, critical.text, c.up, c.unknown, c.collectors_failed, age
    );
    let (state, summary) = match c.last_poll_age {
        None => (State::Unknown, "no poll recorded yet: is `fcstats poll` running?".to_owned()),
        Some(a) if a > unknown_after => (
            State::Unknown,
            format!("the last poll is {a}s old (more than {unknown_after}s): is `fcstats poll` running?"),
        ),
        Some(_) => {
            let down = c.down as f64;
            let state = if critical.alerts(down) {
                State::Critical
            } else if warning.alerts(down) {
                State::Warning
            } else {
                State::Ok
            };
            let mut s = format!("{} down, {} up, {} unknown", c.down, c.up, c.unknown);
            if c.maintenance > 0 {
                s.push_str(&format!(", {} down in maintenance", c.maintenance));
            }
            if c.collectors_failed > 0 {
                s.push_str(&format!("; {} collectors failed", c.collectors_failed));
            }
            (state, s)
        }
    };
    let mut out = format!("FCSTATS {} - {summary} | {perf}\n", state.word());
    for l in &c.lines {
        out.push_str(l);
        out.push('\n');
    }
    (state, out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alerts(range: &str, v: f64) -> bool {
        Range::parse(range).unwrap().alerts(v)
    }

    #[test]
    fn ranges_follow_the_monitoring_plugins_guidelines() {
        // `10`: outside 0..10.
        assert!(!alerts("10", 0.0) && !alerts("10", 10.0));
        assert!(alerts("10", 11.0) && alerts("10", -1.0));
        // `10:`: below 10.
        assert!(alerts("10:", 9.0) && !alerts("10:", 10.0) && !alerts("10:", 1e9));
        // `~:10`: above 10.
        assert!(!alerts("~:10", -1e9) && !alerts("~:10", 10.0) && alerts("~:10", 11.0));
        // `10:20`: outside 10..20.
        assert!(alerts("10:20", 9.0) && !alerts("10:20", 15.0) && alerts("10:20", 21.0));
        // `@10:20`: inside 10..20.
        assert!(!alerts("@10:20", 9.0) && alerts("@10:20", 10.0) && alerts("@10:20", 20.0));
        assert!(!alerts("@10:20", 21.0));
        // `0`, the default: any down key.
        assert!(!alerts("0", 0.0) && alerts("0", 1.0));
        for bad in ["", "abc", "20:10", "1:x", "@"] {
            assert!(Range::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_first_line_has_the_state_summary_and_perfdata() {
        let (w, c) = (Range::parse("0").unwrap(), Range::parse("5").unwrap());
        let mut counts = Counts {
            down: 2,
            up: 10,
            unknown: 1,
            collectors_failed: 1,
            last_poll_age: Some(42),
            lines: vec!["10.0.0.1 down".into()],
            ..Counts::default()
        };
        // 2 down: inside 0..5 (not critical), outside 0..0 (warning).
        assert_eq!(
            verdict(&counts, &w, &c, 900),
            (
                State::Warning,
                "FCSTATS WARNING - 2 down, 10 up, 1 unknown; 1 collectors failed | down=2;0;5;0 \
                 up=10;;;0 unknown=1;;;0 collectors_failed=1;;;0 last_poll_age=42s;;;0\n10.0.0.1 down\n"
                    .into()
            )
        );
        counts.last_poll_age = Some(901);
        assert_eq!(verdict(&counts, &w, &c, 900).0, State::Unknown);
        counts.last_poll_age = None;
        assert_eq!(verdict(&counts, &w, &c, 900).0, State::Unknown);
    }
}
