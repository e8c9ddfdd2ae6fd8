//! Output formats. A report is columns and rows of typed values; each format is
//! one file behind `Format` and returns bytes. stdout carries nothing else.

mod csv;
pub(crate) mod html;
pub(crate) mod json;
pub(crate) mod site;
pub(crate) mod table;
mod tsv;

use std::io::{IsTerminal, Write};

use anyhow::Result;
use clap::ValueEnum;

use crate::time::rfc3339;

/// One cell.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Text(String),
    Int(i64),
    /// A point in time (unix seconds); `None` when there is none.
    Time(Option<i64>),
    /// A duration in whole seconds.
    Secs(i64),
    /// A percentage; `None` when undefined (nothing observed).
    Pct(Option<f64>),
    /// A flag: `true`/`false` in machine formats, `yes` or nothing in tables.
    Bool(bool),
    /// A text with a note that only tables show, in brackets after it
    /// (`down (maintenance)`); machine formats carry the note in a field of
    /// its own.
    Noted(String, Option<&'static str>),
}

impl Value {
    pub fn text(s: impl Into<String>) -> Value {
        Value::Text(s.into())
    }

    /// The form machine formats use: RFC 3339 UTC, whole seconds, `""` for none.
    pub fn machine(&self) -> String {
        let mut s = String::new();
        self.write_machine(&mut s);
        s
    }

    /// `machine`, appended to `out` (no allocation per cell).
    pub fn write_machine(&self, out: &mut String) {
        use std::fmt::Write;
        match self {
            Value::Text(s) | Value::Noted(s, _) => out.push_str(s),
            Value::Int(n) | Value::Secs(n) => write!(out, "{n}").expect("writing to a String"),
            Value::Time(t) => out.push_str(&t.map(rfc3339).unwrap_or_default()),
            Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Value::Pct(p) => {
                if let Some(p) = p {
                    write!(out, "{p:.3}").expect("writing to a String");
                }
            }
        }
    }
}

/// What a report command produces.
#[derive(Clone, Debug, PartialEq)]
pub struct Report {
    /// Field names (SPEC §6); stable for scripts.
    pub columns: Vec<&'static str>,
    pub rows: Vec<Vec<Value>>,
    /// A line under the table for people, in parts (times among them are
    /// shown like the table's); machine formats leave it out. Empty: none.
    pub note: Vec<Value>,
}

pub trait Format {
    /// The whole output; `header` false leaves out the header line (csv/tsv).
    fn render(&self, report: &Report, header: bool) -> Vec<u8>;
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FormatName {
    /// For people: aligned columns, local time, durations like 1h 20m
    Table,
    /// One array of objects
    Json,
    /// Comma-separated, quoted where needed
    Csv,
    /// Tab-separated
    Tsv,
    /// One self-contained HTML page (inline CSS, no scripts): the table's rows
    Html,
}

pub fn formatter(name: FormatName) -> Box<dyn Format> {
    match name {
        FormatName::Table => Box::new(table::Table {
            width: table::terminal_width(),
        }),
        FormatName::Json => Box::new(json::Json),
        FormatName::Csv => Box::new(csv::Csv),
        FormatName::Tsv => Box::new(tsv::Tsv),
        FormatName::Html => Box::new(html::Html),
    }
}

/// Table on a terminal, tsv when piped.
pub fn default_format() -> FormatName {
    if std::io::stdout().is_terminal() {
        FormatName::Table
    } else {
        FormatName::Tsv
    }
}

/// Writes the report to stdout. Without `--format`, a terminal gets a table
/// and a pipe gets tsv with no header line (as `gh` does), so that
/// `fcstats report down | cut -f1` is just exporters.
pub fn print(report: &Report, format: Option<FormatName>, header: bool) -> Result<()> {
    let (name, header) = match format {
        Some(f) => (f, header),
        None => match default_format() {
            FormatName::Table => (FormatName::Table, header),
            piped => (piped, false),
        },
    };
    let bytes = formatter(name).render(report, header);
    let mut out = std::io::stdout().lock();
    out.write_all(&bytes)?;
    out.flush()?;
    Ok(())
}

/// `s` with every control character (ESC, CR, LF, TAB, ...) written as an
/// escape (`\u{1b}`, `\r`), so that text from a collector file cannot move a
/// terminal's cursor or forge a log line (SPEC §8).
pub fn escape_controls(s: &str) -> std::borrow::Cow<'_, str> {
    escape_where(s, char::is_control)
}

/// `escape_controls` for log messages, which may span lines of their own
/// (a field of a collector file never holds a newline: lines split there).
pub fn escape_controls_but_newlines(s: &str) -> std::borrow::Cow<'_, str> {
    escape_where(s, |c| c.is_control() && c != '\n')
}

fn escape_where(s: &str, escape: impl Fn(char) -> bool) -> std::borrow::Cow<'_, str> {
    if !s.chars().any(&escape) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if escape(c) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// `""` for one, `"s"` otherwise: `1 transition`, `3 transitions`.
pub fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// `1h 20m`, `2d 3h`, `45s`: the two largest units.
pub fn human_duration(secs: i64) -> String {
    if secs <= 0 {
        return "0s".into();
    }
    let parts: Vec<String> = [("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1)]
        .iter()
        .scan(secs, |rest, &(unit, size)| {
            let n = *rest / size;
            *rest %= size;
            Some((n, unit))
        })
        .skip_while(|(n, _)| *n == 0)
        .take(2)
        .filter(|(n, _)| *n > 0)
        .map(|(n, unit)| format!("{n}{unit}"))
        .collect();
    parts.join(" ")
}

#[cfg(test)]
mod tests;
