//! Parser for `exporter_device_stats.txt` (SPEC §1): tab-separated, one header line,
//! columns found by header name. Streaming: lines are read one at a time from any
//! `BufRead`. A bad file is rejected whole: the caller gets either every row or an
//! error naming the line and the column.

use std::fmt;
use std::io::{self, BufRead};

use crate::model::{Key, Rows};

/// Header names of the columns that matter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Columns {
    pub exporter: String,
    pub interface: Option<String>,
    pub bps: String,
}

impl Default for Columns {
    fn default() -> Self {
        Columns {
            exporter: "Exporter Address".into(),
            interface: None,
            bps: "Current NetFlow bps".into(),
        }
    }
}

#[derive(Debug)]
pub enum ParseError {
    /// Reading failed (the transport's error, not the file's content).
    Io(io::Error),
    /// The content is not a usable stats file.
    Bad {
        line: usize,
        column: Option<String>,
        reason: String,
    },
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParseError::Io(e) => write!(f, "read failed: {e}"),
            ParseError::Bad {
                line,
                column: Some(c),
                reason,
            } => write!(f, "bad file at line {line}, column `{c}`: {reason}"),
            ParseError::Bad {
                line,
                column: None,
                reason,
            } => write!(f, "bad file at line {line}: {reason}"),
        }
    }
}

impl std::error::Error for ParseError {}

impl From<io::Error> for ParseError {
    fn from(e: io::Error) -> Self {
        ParseError::Io(e)
    }
}

fn bad(line: usize, column: Option<&str>, reason: impl Into<String>) -> ParseError {
    ParseError::Bad {
        line,
        column: column.map(str::to_owned),
        reason: reason.into(),
    }
}

/// Reads one line into `buf` (cleared first). Returns `None` at end of input,
/// else whether the line ended with a newline. The newline and a CR before it
/// are removed.
fn next_line<R: BufRead>(r: &mut R, buf: &mut Vec<u8>) -> io::Result<Option<bool>> {
    buf.clear();
    if r.read_until(b'\n', buf)? == 0 {
        return Ok(None);
    }
    let newline = buf.last() == Some(&b'\n');
    if newline {
        buf.pop();
        if buf.last() == Some(&b'\r') {
            buf.pop();
        }
    }
    Ok(Some(newline))
}

fn text(bytes: &[u8], line: usize) -> Result<&str, ParseError> {
    std::str::from_utf8(bytes).map_err(|_| bad(line, None, "not text (binary or non-UTF-8 data)"))
}

/// Parses a bps field: a non-negative integer (a decimal is rounded).
fn parse_bps(s: &str) -> Option<u64> {
    if let Ok(v) = s.parse::<u64>() {
        return Some(v);
    }
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && v >= 0.0 => Some(v.round() as u64),
        _ => None,
    }
}

/// Parses a whole stats file. Rows for the same key are summed.
pub fn parse<R: BufRead>(mut r: R, cols: &Columns) -> Result<Rows, ParseError> {
    let mut buf = Vec::with_capacity(1024);
    let header_newline = match next_line(&mut r, &mut buf)? {
        None => return Err(bad(1, None, "empty file (no header line)")),
        Some(nl) => nl,
    };
    let mut header: &[u8] = &buf;
    if header.starts_with(b"\xEF\xBB\xBF") {
        header = &header[3..];
    }
    let header = text(header, 1)?;
    if !header_newline {
        return Err(bad(
            1,
            None,
            "the header line is cut (no newline after it): the file was being rewritten",
        ));
    }
    let mut names: Vec<&str> = header.split('\t').collect();
    while names.len() > 1 && names.last() == Some(&"") {
        names.pop();
    }
    let width = names.len();
    let find = |name: &str| {
        names.iter().position(|n| n.trim() == name).ok_or_else(|| {
            bad(
                1,
                Some(name),
                format!("the header has no column `{name}` (check `columns:` in the config)"),
            )
        })
    };
    let exporter_at = find(&cols.exporter)?;
    let bps_at = find(&cols.bps)?;
    let interface_at = match &cols.interface {
        Some(name) => Some(find(name)?),
        None => None,
    };
    let mut rows = Rows::new();
    let mut line = 1;
    while let Some(newline) = next_line(&mut r, &mut buf)? {
        line += 1;
        if buf.is_empty() {
            continue;
        }
        let s = text(&buf, line)?;
        let (mut exporter, mut interface, mut bps) = ("", "", "");
        let mut count = 0;
        let mut extra_nonempty = false;
        for (i, field) in s.split('\t').enumerate() {
            count += 1;
            if i == exporter_at {
                exporter = field;
            } else if i == bps_at {
                bps = field;
            } else if Some(i) == interface_at {
                interface = field;
            } else if i >= width && !field.is_empty() {
                extra_nonempty = true;
            }
        }
        if count < width {
            let reason = if newline {
                format!("{count} fields where the header has {width}")
            } else {
                format!(
                    "the last line is cut ({count} of {width} fields, no final newline): the file was being rewritten"
                )
            };
            return Err(bad(line, None, reason));
        }
        if extra_nonempty {
            return Err(bad(
                line,
                None,
                format!("{count} fields where the header has {width}"),
            ));
        }
        let exporter = exporter.trim();
        if exporter.is_empty() {
            return Err(bad(line, Some(&cols.exporter), "empty exporter address"));
        }
        let value = parse_bps(bps.trim()).ok_or_else(|| {
            bad(
                line,
                Some(&cols.bps),
                format!("`{bps}` is not a non-negative number"),
            )
        })?;
        let key = Key::new(exporter, interface.trim());
        let slot = rows.entry(key).or_insert(0);
        *slot = slot.saturating_add(value);
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cols() -> Columns {
        Columns::default()
    }

    fn p(s: &str) -> Result<Rows, ParseError> {
        parse(s.as_bytes(), &cols())
    }

    fn bad_at(r: Result<Rows, ParseError>) -> (usize, Option<String>, String) {
        match r {
            Err(ParseError::Bad {
                line,
                column,
                reason,
            }) => (line, column, reason),
            other => panic!("expected a bad file, got {other:?}"),
        }
    }

    const HDR: &str = "Exporter Address\tLast Active\tCurrent NetFlow bps\tMaximum NetFlow bps\n";

    #[test]
    fn reads_columns_by_name_and_sums_duplicates() {
        let f = format!("{HDR}10.0.0.1\t1600\t500\t9\n10.0.0.2\t0\t0\t0\n10.0.0.1\t1600\t25\t9\n");
        let rows = p(&f).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[&Key::new("10.0.0.1", "")], 525);
        assert_eq!(rows[&Key::new("10.0.0.2", "")], 0);
    }

    #[test]
    fn column_order_and_extra_columns_do_not_matter() {
        let f = "X\tCurrent NetFlow bps\tExporter Address\tY\n1\t7\t10.0.0.9\t2\n";
        assert_eq!(p(f).unwrap()[&Key::new("10.0.0.9", "")], 7);
    }

    #[test]
    fn interface_column_makes_the_key() {
        let c = Columns {
            interface: Some("If".into()),
            ..Columns::default()
        };
        let f =
            "Exporter Address\tIf\tCurrent NetFlow bps\n10.0.0.1\tGi0/1\t5\n10.0.0.1\tGi0/2\t0\n";
        let rows = parse(f.as_bytes(), &c).unwrap();
        assert_eq!(rows[&Key::new("10.0.0.1", "Gi0/1")], 5);
        assert_eq!(rows[&Key::new("10.0.0.1", "Gi0/2")], 0);
    }

    #[test]
    fn crlf_bom_and_trailing_tabs_are_accepted() {
        let f =
            "\u{feff}Exporter Address\tCurrent NetFlow bps\t\r\n10.0.0.1\t3\t\r\n10.0.0.2\t4\r\n";
        let rows = p(f).unwrap();
        assert_eq!(rows[&Key::new("10.0.0.1", "")], 3);
        assert_eq!(rows[&Key::new("10.0.0.2", "")], 4);
    }

    #[test]
    fn a_complete_last_line_without_newline_is_accepted() {
        let f = "Exporter Address\tCurrent NetFlow bps\n10.0.0.1\t3";
        assert_eq!(p(f).unwrap()[&Key::new("10.0.0.1", "")], 3);
    }

    #[test]
    fn decimal_bps_is_rounded() {
        let f = "Exporter Address\tCurrent NetFlow bps\n10.0.0.1\t2.6\n";
        assert_eq!(p(f).unwrap()[&Key::new("10.0.0.1", "")], 3);
    }

    #[test]
    fn header_only_is_an_empty_file_of_rows() {
        assert!(p(HDR).unwrap().is_empty());
    }

    #[test]
    fn missing_column_names_line_1_and_the_column() {
        let f = "Exporter Address\tLast Active\n10.0.0.1\t5\n";
        let (line, col, reason) = bad_at(p(f));
        assert_eq!(line, 1);
        assert_eq!(col.as_deref(), Some("Current NetFlow bps"));
        assert!(reason.contains("has no column"), "{reason}");
    }

    #[test]
    fn cut_last_line_is_bad() {
        let f = format!("{HDR}10.0.0.1\t1\t2\t3\n10.0.0.2\t1");
        let (line, col, reason) = bad_at(p(&f));
        assert_eq!((line, col), (3, None));
        assert!(reason.contains("cut"), "{reason}");
    }

    #[test]
    fn short_and_long_rows_are_bad() {
        let f = format!("{HDR}10.0.0.1\t1\t2\n");
        assert_eq!(bad_at(p(&f)).0, 2);
        let f = format!("{HDR}10.0.0.1\t1\t2\t3\t4\n");
        assert_eq!(bad_at(p(&f)).2, "5 fields where the header has 4");
    }

    #[test]
    fn non_numeric_and_negative_bps_are_bad() {
        for v in ["abc", "-5", "", "NaN", "inf"] {
            let f = format!("{HDR}10.0.0.1\t1\t{v}\t3\n");
            let (line, col, _) = bad_at(p(&f));
            assert_eq!(
                (line, col.as_deref()),
                (2, Some("Current NetFlow bps")),
                "{v}"
            );
        }
    }

    #[test]
    fn empty_file_cut_header_and_binary_are_bad() {
        assert_eq!(bad_at(p("")).0, 1);
        assert_eq!(bad_at(p("Exporter Address\tCurrent")).0, 1);
        let mut f = HDR.as_bytes().to_vec();
        f.extend_from_slice(b"\xff\xfe\x00\x01\t1\t2\t3\n");
        assert_eq!(bad_at(parse(&f[..], &cols())).0, 2);
    }

    #[test]
    fn empty_exporter_is_bad() {
        let f = format!("{HDR}\t1\t2\t3\n");
        assert_eq!(bad_at(p(&f)).1.as_deref(), Some("Exporter Address"));
    }

    #[test]
    fn display_names_line_and_column() {
        let e = bad(
            7,
            Some("Current NetFlow bps"),
            "`x` is not a non-negative number",
        );
        assert_eq!(
            e.to_string(),
            "bad file at line 7, column `Current NetFlow bps`: `x` is not a non-negative number"
        );
    }
}
