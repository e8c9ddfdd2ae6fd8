//! For people: comfy-table fitted to the terminal (or to `$COLUMNS`), local
//! time with the zone said once under the table, durations like `1h 20m`,
//! `-` for nothing, column names without the machine formats' unit suffixes.
//! No colour.

use chrono::{Local, Offset, TimeZone};
use comfy_table::{presets, ContentArrangement, Table as Grid, TableComponent};

use super::{human_duration, Format, Report, Value};

pub struct Table {
    /// Fit the table to this many columns; `None`: no limit.
    pub width: Option<u16>,
}

/// The width to fit tables to: `$COLUMNS` when set to a positive number, else
/// the terminal's, else none. A terminal that reports a width of 0 (a pty
/// nobody sized: `script`, `podman run -t` from a script, some `kubectl exec
/// -t`) means no limit, not one character per column.
pub fn terminal_width() -> Option<u16> {
    let from_env = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<u16>().ok());
    from_env.or_else(|| Grid::new().width()).filter(|w| *w > 0)
}

pub(crate) fn local_time(t: i64) -> String {
    Local
        .timestamp_opt(t, 0)
        .single()
        .map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
        .unwrap_or_else(|| t.to_string())
}

/// `UTC`, or `UTC+01:00`: the local zone's offset at `t`.
fn zone(t: i64) -> String {
    let secs = Local
        .timestamp_opt(t, 0)
        .single()
        .map_or(0, |t| t.offset().fix().local_minus_utc());
    if secs == 0 {
        return "UTC".into();
    }
    let sign = if secs < 0 { '-' } else { '+' };
    let m = secs.abs() / 60;
    format!("UTC{sign}{:02}:{:02}", m / 60, m % 60)
}

pub(super) fn cell(v: &Value) -> String {
    match v {
        Value::Text(s) if s.is_empty() => "-".into(),
        Value::Text(s) => super::escape_controls(s).into_owned(),
        Value::Int(n) => n.to_string(),
        Value::Time(Some(t)) => local_time(*t),
        Value::Secs(s) => human_duration(*s),
        Value::Pct(Some(p)) => format!("{p:.2}%"),
        Value::Time(None) | Value::Pct(None) | Value::Bool(false) => "-".into(),
        Value::Bool(true) => "yes".into(),
        Value::Noted(s, None) => cell(&Value::Text(s.clone())),
        Value::Noted(s, Some(note)) => format!("{} ({note})", cell(&Value::Text(s.clone()))),
    }
}

/// `downtime_s` → `downtime`, `availability_pct` → `availability`: the unit
/// shows in each cell (`1h 20m`, `99.50%`).
pub(super) fn header(column: &str) -> &str {
    column
        .strip_suffix("_s")
        .or_else(|| column.strip_suffix("_pct"))
        .unwrap_or(column)
}

/// The line under the table: the report's note, and the zone its times are
/// shown in (`None`: neither).
pub(super) fn footer(r: &Report) -> Option<String> {
    let note: String = r
        .note
        .iter()
        .map(|v| match v {
            Value::Text(s) => s.clone(),
            v => cell(v),
        })
        .collect();
    let zone = first_time(r).map(|t| format!("times in {}", zone(t)));
    let parts: Vec<String> = [Some(note).filter(|n| !n.is_empty()), zone]
        .into_iter()
        .flatten()
        .collect();
    (!parts.is_empty()).then(|| parts.join("; "))
}

/// The first time anywhere in the report, to name the zone times are shown in.
fn first_time(r: &Report) -> Option<i64> {
    r.rows
        .iter()
        .flatten()
        .chain(&r.note)
        .find_map(|v| match v {
            Value::Time(Some(t)) => Some(*t),
            _ => None,
        })
}

/// The inventory's columns and the signals' flags (SPEC §9), left out of a
/// table where no key has one, so that a setup without them reads as before.
const OPTIONAL: [&str; 5] = [
    "name",
    "site",
    "not_decoding",
    "maintenance",
    "maintenance_s",
];

/// The columns a table shows.
pub(super) fn shown(r: &Report) -> Vec<usize> {
    let empty = |i: usize| {
        r.rows.iter().all(|row| match &row[i] {
            Value::Text(s) => s.is_empty(),
            Value::Bool(b) => !b,
            Value::Secs(s) => *s == 0,
            _ => false,
        })
    };
    (0..r.columns.len())
        .filter(|&i| !(OPTIONAL.contains(&r.columns[i]) && empty(i)))
        .collect()
}

impl Format for Table {
    fn render(&self, r: &Report, _header: bool) -> Vec<u8> {
        let shown = shown(r);
        let mut grid = Grid::new();
        // No borders or row lines: one rule under the header.
        grid.load_preset(presets::NOTHING)
            .set_style(TableComponent::HeaderLines, '─')
            .set_style(TableComponent::MiddleHeaderIntersections, ' ')
            .force_no_tty()
            .set_header(shown.iter().map(|&i| header(r.columns[i])));
        match self.width {
            Some(w) => grid
                .set_width(w)
                .set_content_arrangement(ContentArrangement::Dynamic),
            None => grid.set_content_arrangement(ContentArrangement::Disabled),
        };
        for row in &r.rows {
            grid.add_row(shown.iter().map(|&i| cell(&row[i])));
        }
        let mut out = if r.rows.is_empty() {
            "(nothing to report)\n".to_string()
        } else {
            format!("{grid}\n")
        };
        if let Some(f) = footer(r) {
            out.push_str(&f);
            out.push('\n');
        }
        out.into_bytes()
    }
}
