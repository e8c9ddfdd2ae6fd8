//! SPEC §10 maintenance windows, pure: what a window covers (its scope), the
//! occurrences of a recurring window in UTC (correct across daylight-saving
//! changes), and which windows cover a key when.

use anyhow::{bail, Context, Result};
use chrono::{Datelike, NaiveDate, NaiveDateTime, NaiveTime, Weekday};

use crate::model::inventory::{Entry, Exporters, Ignore, Inventory};
use crate::model::{Key, State};
use crate::notify::event::{Alert, AlertKind};
use crate::state::KeyChange;

/// What a window covers.
#[derive(Clone, Debug)]
pub enum Scope {
    /// Every key and collector.
    All,
    /// The keys an `ignore:`-style matcher selects (exporter or network,
    /// interface, site, name glob).
    Keys(Ignore),
    /// A collector (no `collector_failed` alert) and the keys it owns.
    Collector(String),
}

impl Scope {
    /// As `maintenance list` shows it and the database keeps it:
    /// `all`, `collector=fc-east`, `exporter=10.1.0.0/24 interface=3`, `site=lab`, `name=core-*`.
    pub fn text(&self) -> String {
        match self {
            Scope::All => "all".into(),
            Scope::Collector(c) => format!("collector={c}"),
            Scope::Keys(m) => {
                let mut parts = Vec::new();
                if let Some(x) = &m.exporter {
                    parts.push(format!(
                        "exporter={}",
                        match x {
                            Exporters::Net(n) if n.prefix_len() == n.max_prefix_len() =>
                                n.addr().to_string(),
                            Exporters::Net(n) => n.to_string(),
                            Exporters::Text(t) => t.clone(),
                        }
                    ));
                }
                if let Some(i) = &m.interface {
                    parts.push(format!("interface={i}"));
                }
                if let Some(s) = &m.site {
                    parts.push(format!("site={s}"));
                }
                if let Some(n) = &m.name {
                    parts.push(format!("name={n}"));
                }
                parts.join(" ")
            }
        }
    }

    /// The reverse of `text`.
    pub fn parse(text: &str) -> Result<Scope> {
        let text = text.trim();
        if text == "all" {
            return Ok(Scope::All);
        }
        if let Some(c) = text.strip_prefix("collector=") {
            return Ok(Scope::Collector(c.to_owned()));
        }
        let mut m = Ignore::default();
        for part in text.split(' ').filter(|p| !p.is_empty()) {
            let (k, v) = part
                .split_once('=')
                .with_context(|| format!("`{part}` is not KEY=VALUE"))?;
            match k {
                "exporter" => {
                    m.exporter = Some(Exporters::parse(v).with_context(|| {
                        format!(
                        "`{v}` is not an address, a network (10.1.0.0/24) or an exporter's name"
                    )
                    })?)
                }
                "interface" => m.interface = Some(v.to_owned()),
                "site" => m.site = Some(v.to_owned()),
                "name" => m.name = Some(wildmatch::WildMatch::new(v)),
                _ => bail!("`{k}` is not one of exporter, interface, site, name, collector"),
            }
        }
        if m.exporter.is_none() && m.interface.is_none() && m.site.is_none() && m.name.is_none() {
            bail!("an empty match: give --exporter, --site, --name, --collector or --all");
        }
        Ok(Scope::Keys(m))
    }

    /// Whether the window covers a key (`entry`: its inventory row, `owner`:
    /// the collector carrying it).
    pub fn covers_key(
        &self,
        exporter: &str,
        interface: &str,
        entry: Option<&Entry>,
        owner: Option<&str>,
    ) -> bool {
        match self {
            Scope::All => true,
            Scope::Keys(m) => m.matches(exporter, interface, entry),
            Scope::Collector(c) => owner == Some(c.as_str()),
        }
    }

    pub fn covers_collector(&self, collector: &str) -> bool {
        match self {
            Scope::All => true,
            Scope::Collector(c) => c == collector,
            Scope::Keys(_) => false,
        }
    }
}

/// One window in UTC unix seconds, [from, to).
#[derive(Clone, Debug)]
pub struct Window {
    /// The database row (`maintenance add`); `None` for a recurring window's occurrence.
    pub id: Option<i64>,
    pub scope: Scope,
    pub from: i64,
    pub to: i64,
    pub reason: String,
    pub who: String,
}

impl Window {
    pub fn contains(&self, t: i64) -> bool {
        self.from <= t && t < self.to
    }
}

/// The days a recurring window is on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OnDays {
    Every,
    Weekdays(Vec<Weekday>),
    /// From one date to another, both included.
    Dates(NaiveDate, NaiveDate),
}

impl OnDays {
    fn has(&self, d: NaiveDate) -> bool {
        match self {
            OnDays::Every => true,
            OnDays::Weekdays(w) => w.contains(&d.weekday()),
            OnDays::Dates(a, b) => (*a..=*b).contains(&d),
        }
    }
}

/// A window from the config: `every: "sun 02:00-04:00"` in `tz`.
#[derive(Clone, Debug)]
pub struct Recurring {
    pub scope: Scope,
    pub days: OnDays,
    pub start: NaiveTime,
    /// Minutes from `start` to the end (a window past midnight ends the next day).
    pub minutes: i64,
    pub tz: chrono_tz::Tz,
    pub reason: String,
    /// As written (`config check` shows it).
    pub every: String,
}

fn weekday(s: &str) -> Option<Weekday> {
    Some(match s {
        "mon" => Weekday::Mon,
        "tue" => Weekday::Tue,
        "wed" => Weekday::Wed,
        "thu" => Weekday::Thu,
        "fri" => Weekday::Fri,
        "sat" => Weekday::Sat,
        "sun" => Weekday::Sun,
        _ => return None,
    })
}

/// `day`, `sun`, `mon,wed`, `mon-fri`, or `2026-12-24..2026-12-26`.
fn parse_days(s: &str) -> Option<OnDays> {
    if s == "day" {
        return Some(OnDays::Every);
    }
    if let Some((a, b)) = s.split_once("..") {
        let (a, b) = (a.parse().ok()?, b.parse().ok()?);
        return (a <= b).then_some(OnDays::Dates(a, b));
    }
    let mut out = Vec::new();
    for part in s.split(',') {
        match part.split_once('-') {
            Some((a, b)) => {
                let (mut d, b) = (weekday(a)?, weekday(b)?);
                out.push(d);
                while d != b {
                    d = d.succ();
                    out.push(d);
                }
            }
            None => out.push(weekday(part)?),
        }
    }
    Some(OnDays::Weekdays(out))
}

/// `HH:MM` (`24:00` is the end of the day), as minutes from midnight.
fn parse_minutes(s: &str) -> Option<i64> {
    let (h, m) = s.split_once(':')?;
    let (h, m): (i64, i64) = (h.parse().ok()?, m.parse().ok()?);
    let total = h * 60 + m;
    ((0..60).contains(&m) && (0..=24 * 60).contains(&total)).then_some(total)
}

impl Recurring {
    /// `every` is `DAYS HH:MM-HH:MM` (see `parse_days`); times local to `tz`.
    pub fn parse(
        scope: Scope,
        every: &str,
        tz: chrono_tz::Tz,
        reason: String,
    ) -> Result<Recurring> {
        let usage = || {
            format!(
                "every: `{every}` is not DAYS HH:MM-HH:MM, where DAYS is day, a weekday (mon..sun), \
                 a list (sat,sun), a range (mon-fri) or dates (2026-12-24..2026-12-26)"
            )
        };
        let (days, times) = every.trim().split_once(' ').with_context(usage)?;
        let days = parse_days(&days.to_ascii_lowercase()).with_context(usage)?;
        let (a, b) = times.trim().split_once('-').with_context(usage)?;
        let (a, b) = (
            parse_minutes(a).with_context(usage)?,
            parse_minutes(b).with_context(usage)?,
        );
        if a == b || a == 24 * 60 {
            bail!("{}: the window is empty", usage());
        }
        let minutes = if b > a { b - a } else { b + 24 * 60 - a };
        let start =
            NaiveTime::from_num_seconds_from_midnight_opt(a as u32 * 60, 0).with_context(usage)?;
        Ok(Recurring {
            scope,
            days,
            start,
            minutes,
            tz,
            reason,
            every: every.trim().to_owned(),
        })
    }

    /// A local time in UTC: a time the clock shows twice is its first
    /// showing; one it skips is the moment after the gap.
    fn utc(&self, local: NaiveDateTime) -> Option<i64> {
        crate::time::local_unix(&self.tz, local)
    }

    /// Its occurrences that overlap [from, to), ascending.
    pub fn occurrences(&self, from: i64, to: i64) -> Vec<Window> {
        let Some(first) = chrono::DateTime::from_timestamp(from, 0) else {
            return Vec::new();
        };
        // Start two local days early: an occurrence past midnight reaches in.
        let mut day = first.with_timezone(&self.tz).date_naive() - chrono::Days::new(2);
        let mut out = Vec::new();
        loop {
            let local = day.and_time(self.start);
            let Some(start) = self.utc(local) else { break };
            if start >= to {
                break;
            }
            if self.days.has(day) {
                let end_local = local + chrono::Duration::minutes(self.minutes);
                if let Some(end) = self.utc(end_local) {
                    if end > from && end > start {
                        out.push(Window {
                            id: None,
                            scope: self.scope.clone(),
                            from: start,
                            to: end,
                            reason: self.reason.clone(),
                            who: "config".into(),
                        });
                    }
                }
            }
            let Some(next) = day.checked_add_days(chrono::Days::new(1)) else {
                break;
            };
            day = next;
        }
        out
    }
}

/// The merged spans, within [from, to), of the windows that cover a key.
pub fn key_spans<'a>(
    windows: impl IntoIterator<Item = &'a Window>,
    covers: impl Fn(&Window) -> bool,
    from: i64,
    to: i64,
) -> Vec<(i64, i64)> {
    let spans: Vec<(i64, i64)> = windows
        .into_iter()
        .filter(|w| covers(w))
        .map(|w| (w.from.max(from), w.to.min(to)))
        .collect();
    crate::report::accounting::Gaps::merged(spans)
        .intervals()
        .to_vec()
}

/// What a poll needs of the windows: those around its interval, and the
/// keys down since a time inside a window that ended in it (from the
/// database, before this poll's changes).
#[derive(Debug, Default)]
pub struct PollWindows {
    pub windows: Vec<Window>,
    pub ended_down: Vec<(Key, i64, Option<String>)>,
}

impl PollWindows {
    /// Whether a window covers a key alert's key at `t`.
    pub fn covers_alert(&self, a: &Alert, inv: &Inventory, t: i64) -> bool {
        let Some(k) = &a.key else { return false };
        let entry = inv.lookup(&k.exporter, &k.interface);
        self.key_in(k, entry, a.collectors.first().map(String::as_str), t)
    }

    /// Whether a window covers the key at `t`.
    fn key_in(&self, k: &Key, entry: Option<&Entry>, owner: Option<&str>, t: i64) -> bool {
        self.windows
            .iter()
            .any(|w| w.contains(t) && w.scope.covers_key(&k.exporter, &k.interface, entry, owner))
    }
}

/// A poll's alerts under maintenance (SPEC §10): none for a key or
/// collector in a window at the alert's time; at a window's end, a `down`
/// (dated at its transition) for each key it covers that went down inside it
/// and is still down; `maintenance_start`/`maintenance_end` for each window
/// starting or ending in (prev, at].
pub fn settle_alerts(
    alerts: &mut Vec<Alert>,
    pw: &PollWindows,
    changes: &[KeyChange],
    inv: &Inventory,
    (prev, at): (Option<i64>, i64),
) {
    if pw.windows.is_empty() {
        return;
    }
    alerts.retain(|a| match (&a.key, &a.collector) {
        (Some(k), _) => {
            let entry = inv.lookup(&k.exporter, &k.interface);
            !pw.key_in(k, entry, a.collectors.first().map(String::as_str), a.at)
        }
        (None, Some(c)) => !pw
            .windows
            .iter()
            .any(|w| w.contains(at) && w.scope.covers_collector(c)),
        (None, None) => true,
    });
    let Some(prev) = prev else { return };
    alerts.extend(ended_down_alerts(pw, changes, inv, (prev, at)));
    for w in &pw.windows {
        for (kind, t) in [
            (AlertKind::MaintenanceStart, w.from),
            (AlertKind::MaintenanceEnd, w.to),
        ] {
            if prev < t && t <= at {
                alerts.push(Alert {
                    kind,
                    at: t,
                    maintenance: Some((w.scope.text(), w.reason.clone(), w.from, w.to)),
                    ..Alert::default()
                });
            }
        }
    }
}

/// The `down` alerts due at the end of windows that end in (prev, at]: keys
/// that went down inside one and are still down (and in no window now).
fn ended_down_alerts(
    pw: &PollWindows,
    changes: &[KeyChange],
    inv: &Inventory,
    (prev, at): (i64, i64),
) -> Vec<Alert> {
    let ended: Vec<&Window> = pw
        .windows
        .iter()
        .filter(|w| prev < w.to && w.to <= at)
        .collect();
    // Still down now: down before this poll and not changed, or gone down in it.
    let mut down: Vec<(Key, i64, Option<String>)> = pw
        .ended_down
        .iter()
        .filter(|(k, _, _)| !changes.iter().any(|c| &c.key == k))
        .cloned()
        .collect();
    for c in changes
        .iter()
        .filter(|c| c.new.state == State::Down && c.new.unknown_since.is_none())
    {
        down.push((
            c.key.clone(),
            c.new.since,
            c.new.owner.as_deref().map(str::to_owned),
        ));
    }
    down.sort_by(|a, b| a.0.cmp(&b.0));
    down.dedup_by(|a, b| a.0 == b.0);
    let mut out = Vec::new();
    for (k, since, owner) in down {
        let entry = inv.lookup(&k.exporter, &k.interface);
        let owner = owner.as_deref();
        let went_down_inside = ended.iter().any(|w| {
            w.contains(since) && w.scope.covers_key(&k.exporter, &k.interface, entry, owner)
        });
        if went_down_inside
            && !pw.key_in(&k, entry, owner, at)
            && !inv.ignores(&k.exporter, &k.interface, entry)
        {
            out.push(Alert {
                kind: AlertKind::Down,
                key: Some(k),
                at: since,
                bps: Some(0),
                collectors: owner.map(str::to_owned).into_iter().collect(),
                name: entry.and_then(|e| e.name.clone()),
                site: entry.and_then(|e| e.site.clone()),
                ..Alert::default()
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn berlin_sunday() -> Recurring {
        let tz = "Europe/Berlin".parse().unwrap();
        Recurring::parse(Scope::All, "sun 02:00-04:00", tz, "patching".into()).unwrap()
    }

    fn utc(s: &str) -> i64 {
        crate::time::parse(s).unwrap()
    }

    fn spans(r: &Recurring, from: &str, to: &str) -> Vec<(String, String)> {
        r.occurrences(utc(from), utc(to))
            .iter()
            .map(|w| (crate::time::rfc3339(w.from), crate::time::rfc3339(w.to)))
            .collect()
    }

    fn owned(want: &[(&str, &str)]) -> Vec<(String, String)> {
        want.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn a_sunday_window_in_berlin_covers_the_right_utc_hours_around_the_october_change() {
        // 2026-10-25: 03:00 CEST becomes 02:00 CET.
        let r = berlin_sunday();
        let got = spans(&r, "2026-10-17T00:00:00Z", "2026-11-02T00:00:00Z");
        let want = [
            // CEST (UTC+2): 02:00-04:00 local = 00:00-02:00Z.
            ("2026-10-18T00:00:00Z", "2026-10-18T02:00:00Z"),
            // The change: 02:00 is shown twice, first at 00:00Z (CEST);
            // 04:00 CET is 03:00Z: three hours.
            ("2026-10-25T00:00:00Z", "2026-10-25T03:00:00Z"),
            // CET (UTC+1): 01:00-03:00Z.
            ("2026-11-01T01:00:00Z", "2026-11-01T03:00:00Z"),
        ];
        assert_eq!(got, owned(&want));
    }

    #[test]
    fn a_sunday_window_in_berlin_covers_the_right_utc_hours_around_the_march_change() {
        // 2026-03-29: 02:00 CET becomes 03:00 CEST; 02:00 never happens.
        let r = berlin_sunday();
        let got = spans(&r, "2026-03-21T00:00:00Z", "2026-04-06T00:00:00Z");
        let want = [
            ("2026-03-22T01:00:00Z", "2026-03-22T03:00:00Z"),
            // From the moment after the gap (03:00 CEST = 01:00Z) to 04:00
            // CEST = 02:00Z: one hour.
            ("2026-03-29T01:00:00Z", "2026-03-29T02:00:00Z"),
            ("2026-04-05T00:00:00Z", "2026-04-05T02:00:00Z"),
        ];
        assert_eq!(got, owned(&want));
    }

    #[test]
    fn days_and_times_parse_and_past_midnight_ends_the_next_day() {
        let tz = chrono_tz::UTC;
        let r = Recurring::parse(Scope::All, "mon-wed 23:00-01:30", tz, String::new()).unwrap();
        assert_eq!(
            r.days,
            OnDays::Weekdays(vec![Weekday::Mon, Weekday::Tue, Weekday::Wed])
        );
        assert_eq!(r.minutes, 150);
        // 2026-11-30 is a Monday: the occurrence starting Sunday is not one.
        let got = spans(&r, "2026-11-29T00:00:00Z", "2026-12-01T00:00:00Z");
        assert_eq!(
            got,
            [(
                "2026-11-30T23:00:00Z".to_string(),
                "2026-12-01T01:30:00Z".to_string()
            )]
        );
        let r = Recurring::parse(
            Scope::All,
            "2026-12-24..2026-12-25 00:00-24:00",
            tz,
            String::new(),
        )
        .unwrap();
        let got = spans(&r, "2026-12-20T00:00:00Z", "2026-12-31T00:00:00Z");
        assert_eq!(got.len(), 2);
        assert_eq!(
            got[0],
            (
                "2026-12-24T00:00:00Z".to_string(),
                "2026-12-25T00:00:00Z".to_string()
            )
        );
        for bad in [
            "sun",
            "sunday 02:00-04:00",
            "sun 02:00-02:00",
            "sun 25:00-26:00",
            "sat,xyz 01:00-02:00",
        ] {
            assert!(
                Recurring::parse(Scope::All, bad, tz, String::new()).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn scopes_read_back_as_they_are_written() {
        for text in [
            "all",
            "collector=fc-east",
            "exporter=10.1.0.0/24",
            "exporter=10.0.0.1 interface=3",
            "site=lab",
            "name=core-*",
        ] {
            assert_eq!(Scope::parse(text).unwrap().text(), text);
        }
        assert!(Scope::parse("colour=red").is_err());
    }

    #[test]
    fn a_keys_spans_are_its_windows_merged_and_clipped() {
        let w = |scope: &str, from, to| Window {
            id: None,
            scope: Scope::parse(scope).unwrap(),
            from,
            to,
            reason: String::new(),
            who: String::new(),
        };
        let windows = [
            w("site=lab", 100, 300),
            w("all", 250, 400),
            w("collector=fc", 500, 600),
            w("all", 900, 2000),
        ];
        let covers = |w: &Window| w.scope.covers_key("10.0.0.1", "", None, Some("x"));
        assert_eq!(
            key_spans(&windows, covers, 0, 1000),
            [(250, 400), (900, 1000)]
        );
    }
}
