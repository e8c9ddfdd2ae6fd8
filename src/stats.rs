//! Parser for `exporter_device_stats.txt` (SPEC §1): tab-separated, one header line,
//! columns found by header name. Streaming: lines are read one at a time from any
//! `BufRead`. A bad file is rejected whole: the caller gets either every row or an
//! error naming the line and the column.

use std::fmt;
use std::io::{self, BufRead};

use crate::model::{Extra, Has, KeyId, KeyTable, Pairs, Rows};

/// Header names of the columns that matter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Columns {
    pub exporter: String,
    pub interface: Option<String>,
    pub bps: String,
    /// `Last Active` (unix seconds, 0 = never sent; SPEC §9); `None`: not read.
    pub last_active: Option<String>,
    /// A file without the `last_active` column is bad (it was configured by
    /// name); otherwise such a file just has no last-active times.
    pub last_active_required: bool,
    /// `Interfaces` and `Current Input Rate fps`: read (and required) only
    /// for `signals:` (SPEC §9).
    pub interfaces: Option<String>,
    pub fps: Option<String>,
}

impl Default for Columns {
    fn default() -> Self {
        Columns {
            exporter: "Exporter Address".into(),
            interface: None,
            bps: "Current NetFlow bps".into(),
            last_active: Some("Last Active".into()),
            last_active_required: false,
            interfaces: None,
            fps: None,
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

/// A non-negative integer: digits only, without the generic parser when short.
fn parse_uint<T: TryFrom<u64> + std::str::FromStr>(s: &str) -> Option<T> {
    let b = s.as_bytes();
    if !b.is_empty() && b.len() < 19 && b.iter().all(u8::is_ascii_digit) {
        return T::try_from(b.iter().fold(0, |n, d| n * 10 + u64::from(d - b'0'))).ok();
    }
    s.parse().ok()
}

/// A count past 32 bits kept at `u32::MAX`.
fn saturate(n: u64) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// The largest bps kept: what the database's signed 64-bit integers hold.
pub const MAX_BPS: u64 = i64::MAX as u64;

/// Parses a bps field: a non-negative number. A decimal is rounded, but any
/// positive value, however small (0.4, 1e-400), is at least 1: it is up
/// (SPEC §2). Values past `MAX_BPS` are `MAX_BPS`.
fn parse_bps(s: &str) -> Option<u64> {
    let b = s.as_bytes();
    // The common case, digits only, without the generic parsers.
    if !b.is_empty() && b.len() < 19 && b.iter().all(u8::is_ascii_digit) {
        return Some(b.iter().fold(0, |n, d| n * 10 + u64::from(d - b'0')));
    }
    if let Ok(v) = s.parse::<u64>() {
        return Some(v.min(MAX_BPS));
    }
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && v >= 0.0 => {
            // 1e-400 parses as 0.0: a non-zero digit before the exponent says it is not.
            let mantissa = s.split(['e', 'E']).next().unwrap_or("");
            let positive = v > 0.0 || mantissa.bytes().any(|d| (b'1'..=b'9').contains(&d));
            Some(((v.round() as u64).min(MAX_BPS)).max(u64::from(positive)))
        }
        _ => None,
    }
}

/// A parsed file: every row's exporter, interface and bps in file order, the
/// texts in one arena. Rows of the same key are not summed yet: that happens
/// when they are interned (`intern`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Parsed {
    keys: Pairs,
    bps: Vec<u64>,
    /// Per row; empty when the file has none of its columns.
    extra: Vec<Extra>,
    has: Has,
}

impl Parsed {
    fn push(&mut self, exporter: &str, interface: &str, bps: u64, extra: Extra) {
        self.keys.push(exporter, interface);
        self.bps.push(bps);
        if self.has.last_active || self.has.signals {
            self.extra.push(extra);
        }
    }

    /// Rows in the file (a key listed twice counts twice).
    pub fn len(&self) -> usize {
        self.bps.len()
    }

    pub fn is_empty(&self) -> bool {
        self.bps.is_empty()
    }

    /// (exporter, interface, bps) per row, in file order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str, u64)> + '_ {
        self.keys
            .iter()
            .zip(&self.bps)
            .map(|((e, i), &bps)| (e, i, bps))
    }

    /// The rows by key id, interning new keys into `table`; rows of the same
    /// key are summed. `last`: the ids this collector listed last time, in
    /// file order. Files list their keys in the same order from one poll to
    /// the next, so each row is first compared with the key that came next
    /// last time; only a row that differs is looked up by hash (and the walk
    /// goes on after that key's place last time). A file whose order changed
    /// altogether is looked up by hash alone once most of its rows missed.
    pub fn intern(&self, table: &mut KeyTable, last: &[KeyId]) -> Rows {
        let (mut next, mut hits, mut misses) = (0, 0usize, 0usize);
        // Where each key was in `last`, made at the first row that differs.
        let mut places: Option<Vec<u32>> = None;
        let rows = self.iter().enumerate().map(|(row, (e, i, bps))| {
            let extra = self.extra.get(row).copied().unwrap_or_default();
            let hinting = misses < 64 || misses <= hits;
            if hinting {
                if let Some(&id) = last.get(next).filter(|&&id| table.is(id, e, i)) {
                    next += 1;
                    hits += 1;
                    return (id, bps, extra);
                }
                misses += 1;
            }
            let id = table.intern(e, i);
            if hinting {
                let places = places.get_or_insert_with(|| {
                    let mut p = vec![u32::MAX; table.len()];
                    for (place, &id) in last.iter().enumerate() {
                        p[id as usize] = place as u32;
                    }
                    p
                });
                if let Some(&place) = places.get(id as usize).filter(|&&p| p != u32::MAX) {
                    next = place as usize + 1;
                }
            }
            (id, bps, extra)
        });
        Rows::from_extra(rows, self.has)
    }

    /// bps per key, rows of the same key summed.
    #[cfg(test)]
    pub fn sums(&self) -> std::collections::HashMap<crate::model::Key, u64> {
        let mut out = std::collections::HashMap::new();
        for (e, i, bps) in self.iter() {
            let slot: &mut u64 = out.entry(crate::model::Key::new(e, i)).or_default();
            *slot = slot.saturating_add(bps);
        }
        out
    }
}

/// Where the columns that matter are, and how wide a row must be.
struct Layout<'a> {
    cols: &'a Columns,
    width: usize,
    exporter: usize,
    interface: Option<usize>,
    bps: usize,
    last_active: Option<usize>,
    interfaces: Option<usize>,
    fps: Option<usize>,
    /// By field: which of `row`'s spans it fills (`NONE`: none), so that a
    /// field costs one lookup.
    slots: Vec<u8>,
}

/// `Layout::slots` of a field that matters for nothing.
const NONE: u8 = u8::MAX;

impl Layout<'_> {
    /// The slots: exporter 0, interface 1, bps 2, last active 3, interfaces 4, fps 5.
    fn with_slots(mut self) -> Self {
        self.slots = vec![NONE; self.width];
        let fields = [
            Some(self.exporter),
            self.interface,
            Some(self.bps),
            self.last_active,
            self.interfaces,
            self.fps,
        ];
        for (slot, field) in fields.into_iter().enumerate() {
            if let Some(f) = field {
                self.slots[f] = slot as u8;
            }
        }
        self
    }

    /// One data line (without its newline) into `out`. `newline`: whether the
    /// line ended with one (a short last line without it was cut).
    fn row(
        &self,
        bytes: &[u8],
        line: usize,
        newline: bool,
        out: &mut Parsed,
    ) -> Result<(), ParseError> {
        let bytes = bytes.strip_suffix(b"\r").unwrap_or(bytes);
        if bytes.is_empty() {
            return Ok(());
        }
        let s = text(bytes, line)?;
        let mut spans = [(0, 0); 6];
        let mut extra_nonempty = false;
        let mut field = 0;
        let mut start = 0;
        let mut end_field = |field: usize, start: usize, end: usize| match self.slots.get(field) {
            Some(&NONE) => {}
            Some(&slot) => spans[slot as usize] = (start, end),
            None => extra_nonempty |= end > start,
        };
        // Byte by byte: fields are short (most are `0`), too short for memchr.
        for (pos, &b) in bytes.iter().enumerate() {
            if b == b'\t' {
                end_field(field, start, pos);
                field += 1;
                start = pos + 1;
            }
        }
        end_field(field, start, bytes.len());
        field += 1;
        let (width, count) = (self.width, field);
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
        let [exporter, interface, bps, active, interfaces, fps] = spans.map(|(a, b)| &s[a..b]);
        let exporter = exporter.trim();
        if exporter.is_empty() {
            return Err(bad(
                line,
                Some(&self.cols.exporter),
                "empty exporter address",
            ));
        }
        let value = parse_bps(bps.trim()).ok_or_else(|| {
            bad(
                line,
                Some(&self.cols.bps),
                format!("`{bps}` is not a non-negative number"),
            )
        })?;
        let extra = self.extra(line, active, interfaces, fps)?;
        out.push(exporter, interface.trim(), value, extra);
        Ok(())
    }

    /// The row's `Extra` from its fields (those of columns the file lacks
    /// are empty and read as 0).
    fn extra(
        &self,
        line: usize,
        active: &str,
        interfaces: &str,
        fps: &str,
    ) -> Result<Extra, ParseError> {
        // A field of a column the file has, parsed, or 0.
        fn field<T: Default>(
            line: usize,
            at: Option<usize>,
            column: &Option<String>,
            text: &str,
            parse: impl FnOnce(&str) -> Option<T>,
            expected: &str,
        ) -> Result<T, ParseError> {
            if at.is_none() {
                return Ok(T::default());
            }
            parse(text.trim()).ok_or_else(|| {
                bad(
                    line,
                    column.as_deref(),
                    format!("`{text}` is not {expected}"),
                )
            })
        }
        let c = self.cols;
        let extra = Extra {
            last_active: field(
                line,
                self.last_active,
                &c.last_active,
                active,
                |t| parse_uint::<u64>(t).map(saturate),
                "a time in unix seconds (0 = never)",
            )?,
            interfaces: field(
                line,
                self.interfaces,
                &c.interfaces,
                interfaces,
                parse_uint,
                "a count",
            )?,
            fps: field(
                line,
                self.fps,
                &c.fps,
                fps,
                |t| parse_bps(t).map(saturate),
                "a non-negative number",
            )?,
        };
        Ok(extra)
    }
}

impl<'a> Layout<'a> {
    /// Where the configured columns are in the header line `header`.
    fn of(header: &str, cols: &'a Columns) -> Result<Layout<'a>, ParseError> {
        let mut names: Vec<&str> = header.split('\t').collect();
        while names.len() > 1 && names.last() == Some(&"") {
            names.pop();
        }
        let find = |name: &str| {
            let mut at = names
                .iter()
                .enumerate()
                .filter(|(_, n)| n.trim() == name)
                .map(|(i, _)| i);
            match (at.next(), at.next()) {
                (Some(i), None) => Ok(i),
                (Some(i), Some(j)) => Err(bad(
                    1,
                    Some(name),
                    format!(
                        "the header has column `{name}` twice (fields {} and {}): which one is meant?",
                        i + 1,
                        j + 1
                    ),
                )),
                (None, _) => Err(bad(
                    1,
                    Some(name),
                    format!("the header has no column `{name}` (check `columns:` in the config)"),
                )),
            }
        };
        Ok(Layout {
            cols,
            width: names.len(),
            exporter: find(&cols.exporter)?,
            bps: find(&cols.bps)?,
            interface: match &cols.interface {
                Some(name) => Some(find(name)?),
                None => None,
            },
            last_active: match &cols.last_active {
                Some(name) if cols.last_active_required => Some(find(name)?),
                Some(name) => find(name).ok(),
                None => None,
            },
            interfaces: cols.interfaces.as_deref().map(find).transpose()?,
            fps: cols.fps.as_deref().map(find).transpose()?,
            slots: Vec::new(),
        }
        .with_slots())
    }
}

/// Parses a whole stats file, streaming: complete lines are parsed where they
/// lie in the reader's buffer; only a line split across two reads is copied.
pub fn parse<R: BufRead>(mut r: R, cols: &Columns) -> Result<Parsed, ParseError> {
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
    let layout = Layout::of(header, cols)?;
    let mut out = Parsed {
        has: Has {
            last_active: layout.last_active.is_some(),
            signals: layout.interfaces.is_some() && layout.fps.is_some(),
        },
        ..Parsed::default()
    };
    let mut line = 1;
    // The start of a line whose end is in the next read.
    let mut carry: Vec<u8> = Vec::new();
    loop {
        let chunk = match r.fill_buf() {
            Ok([]) => break,
            Ok(chunk) => chunk,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e.into()),
        };
        let mut rest = chunk;
        if !carry.is_empty() {
            let Some(end) = memchr::memchr(b'\n', rest) else {
                carry.extend_from_slice(rest);
                let n = chunk.len();
                r.consume(n);
                continue;
            };
            carry.extend_from_slice(&rest[..end]);
            line += 1;
            layout.row(&carry, line, true, &mut out)?;
            carry.clear();
            rest = &rest[end + 1..];
        }
        while let Some(end) = memchr::memchr(b'\n', rest) {
            line += 1;
            layout.row(&rest[..end], line, true, &mut out)?;
            rest = &rest[end + 1..];
        }
        carry.extend_from_slice(rest);
        let n = chunk.len();
        r.consume(n);
    }
    if !carry.is_empty() {
        layout.row(&carry, line + 1, false, &mut out)?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::model::Key;

    fn cols() -> Columns {
        Columns::default()
    }

    fn p(s: &str) -> Result<HashMap<Key, u64>, ParseError> {
        parse(s.as_bytes(), &cols()).map(|p| p.sums())
    }

    fn bad_at<T: std::fmt::Debug>(r: Result<T, ParseError>) -> (usize, Option<String>, String) {
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
    fn last_active_is_read_when_the_header_has_it_and_required_only_when_named() {
        let f = format!("{HDR}10.0.0.1\t1600\t500\t9\n10.0.0.2\t0\t0\t0\n");
        let mut table = crate::model::KeyTable::default();
        let rows = parse(f.as_bytes(), &cols())
            .unwrap()
            .intern(&mut table, &[]);
        let active: Vec<Option<u64>> = rows.entries().map(|e| e.2).collect();
        assert_eq!(active, [Some(1600), Some(0)]);
        // Without the column: no times, and the file is good.
        let plain = "Exporter Address\tCurrent NetFlow bps\n10.0.0.1\t5\n";
        let rows = parse(plain.as_bytes(), &cols())
            .unwrap()
            .intern(&mut table, &[]);
        assert!(rows.entries().all(|e| e.2.is_none()));
        let named = Columns {
            last_active_required: true,
            ..cols()
        };
        assert_eq!(
            bad_at(parse(plain.as_bytes(), &named)),
            (
                1,
                Some("Last Active".into()),
                "the header has no column `Last Active` (check `columns:` in the config)".into()
            )
        );
        let odd = format!("{HDR}10.0.0.1\tyesterday\t500\t9\n");
        assert_eq!(
            bad_at(parse(odd.as_bytes(), &cols())),
            (
                2,
                Some("Last Active".into()),
                "`yesterday` is not a time in unix seconds (0 = never)".into()
            )
        );
    }

    #[test]
    fn interface_column_makes_the_key() {
        let c = Columns {
            interface: Some("If".into()),
            ..Columns::default()
        };
        let f =
            "Exporter Address\tIf\tCurrent NetFlow bps\n10.0.0.1\tGi0/1\t5\n10.0.0.1\tGi0/2\t0\n";
        let rows = parse(f.as_bytes(), &c).unwrap().sums();
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
    fn any_positive_bps_is_at_least_1_and_huge_ones_are_capped() {
        for (text, want) in [
            ("0.4", 1),
            ("1e-400", 1),
            ("0.0000001", 1),
            ("0", 0),
            ("0.0", 0),
            ("0e5", 0),
            ("9223372036854775807", MAX_BPS),
            ("9223372036854775808", MAX_BPS),
            ("18446744073709551616", MAX_BPS),
            ("1e300", MAX_BPS),
        ] {
            assert_eq!(parse_bps(text), Some(want), "{text}");
        }
        assert_eq!(parse_bps("-0.4"), None);
    }

    #[test]
    fn a_header_naming_a_configured_column_twice_is_a_bad_file() {
        let f = "Exporter Address\tCurrent NetFlow bps\tCurrent NetFlow bps\n10.0.0.1\t0\t5\n";
        let e = p(f).unwrap_err().to_string();
        assert!(
            e.contains("the header has column `Current NetFlow bps` twice (fields 2 and 3)"),
            "{e}"
        );
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

    /// The outcome as comparable text: the rows in order, or the error.
    fn outcome(r: Result<Parsed, ParseError>) -> String {
        match r {
            Ok(p) => format!("{:?}", p.iter().collect::<Vec<_>>()),
            Err(e) => e.to_string(),
        }
    }

    proptest::proptest! {
        /// Lines split across the reader's buffer parse exactly as lines that
        /// are not: the same rows, the same error at the same line.
        #[test]
        fn any_read_size_gives_the_same_result(
            lines in proptest::collection::vec(proptest::sample::select(vec![
                "10.0.0.1\t1\t25\t9", "10.0.0.2\t1\t0\t9\r", "", "10.0.0.3\t1\t7", "x\t1\t2.5\t3\t",
                "10.0.0.1\t1\tabc\t9", "\t1\t2\t3", " 10.0.0.4 \t1\t 12 \t9",
            ]), 0..12),
            newline_at_end in proptest::bool::ANY,
            capacity in 1usize..40,
        ) {
            let mut f = HDR.to_owned() + &lines.join("\n");
            if newline_at_end {
                f.push('\n');
            }
            let whole = outcome(parse(f.as_bytes(), &cols()));
            let pieces = outcome(parse(io::BufReader::with_capacity(capacity, f.as_bytes()), &cols()));
            proptest::prop_assert_eq!(whole, pieces);
        }
    }

    #[test]
    fn rows_keep_file_order_and_intern_with_sums() {
        let f = format!("{HDR}b\t1\t5\t9\na\t1\t0\t9\nb\t1\t2\t9\n");
        let parsed = parse(f.as_bytes(), &cols()).unwrap();
        assert_eq!(
            parsed.iter().collect::<Vec<_>>(),
            [("b", "", 5), ("a", "", 0), ("b", "", 2)]
        );
        let mut table = KeyTable::default();
        table.intern("a", "");
        let rows = parsed.intern(&mut table, &[]);
        assert_eq!(rows.bps, [(0, 0), (1, 7)]);
        assert_eq!(rows.listed.iter().collect::<Vec<_>>(), [0, 1]);
    }

    /// `Parsed::intern` with a hint gives what it gives without one, and adds
    /// the same keys; `last` is the ids a previous read listed, in its order.
    fn same_with_and_without_hint(keys: &[&str], stored: &[&str], last: &[usize]) {
        let body: String = keys
            .iter()
            .map(|k| format!("{k}\t1\t{}\t9\n", k.len()))
            .collect();
        let parsed = parse(format!("{HDR}{body}").as_bytes(), &cols()).unwrap();
        let mut hinted = KeyTable::default();
        let mut plain = KeyTable::default();
        for k in stored {
            hinted.push_new(k, "");
            plain.intern(k, "");
        }
        let last: Vec<KeyId> = last.iter().map(|&i| i as KeyId).collect();
        let a = parsed.intern(&mut hinted, &last);
        let b = parsed.intern(&mut plain, &[]);
        assert_eq!(a, b, "{keys:?} after {last:?}");
        assert_eq!(format!("{hinted:?}"), format!("{plain:?}"));
    }

    #[test]
    fn interning_with_the_last_order_as_a_hint_gives_the_same_ids() {
        let stored = ["a", "b", "c", "d"];
        // The same order; one key new, one gone, two swapped, a repeat.
        same_with_and_without_hint(&["a", "b", "c", "d"], &stored, &[0, 1, 2, 3]);
        same_with_and_without_hint(&["a", "x", "b", "c", "d"], &stored, &[0, 1, 2, 3]);
        same_with_and_without_hint(&["a", "c", "d"], &stored, &[0, 1, 2, 3]);
        same_with_and_without_hint(&["b", "a", "d", "c"], &stored, &[0, 1, 2, 3]);
        same_with_and_without_hint(&["a", "b", "a", "c"], &stored, &[0, 1, 2]);
        // Another collector's keys; a hint that has nothing to do with the file.
        same_with_and_without_hint(&["d", "c"], &stored, &[0, 1]);
        same_with_and_without_hint(&["y", "z"], &stored, &[3, 2, 1, 0]);
        // A file in a new order altogether (the hint is given up on after
        // most rows missed), and one whose order changed half way.
        let names: Vec<String> = (0..500)
            .map(|i| format!("10.0.{}.{}", i / 256, i % 256))
            .collect();
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        let order: Vec<usize> = (0..500).collect();
        let shuffled: Vec<&str> = (0..500).map(|i| names[(i * 7919) % 500]).collect();
        same_with_and_without_hint(&shuffled, &names, &order);
        let half: Vec<&str> = names[..250]
            .iter()
            .chain(shuffled[..250].iter())
            .copied()
            .collect();
        same_with_and_without_hint(&half, &names, &order);
    }

    proptest::proptest! {
        #[test]
        fn any_hint_gives_the_ids_a_plain_look_up_gives(
            keys in proptest::collection::vec(0usize..8, 0..12),
            stored in 0usize..8,
            last in proptest::collection::vec(0usize..8, 0..8),
        ) {
            let names = ["a", "b", "c", "d", "e", "f", "g", "h"];
            let keys: Vec<&str> = keys.iter().map(|&k| names[k]).collect();
            // The hint names stored keys only, each once, as a listing does.
            let mut last: Vec<usize> = last.into_iter().filter(|&i| i < stored).collect();
            last.dedup();
            let mut seen = std::collections::HashSet::new();
            last.retain(|i| seen.insert(*i));
            same_with_and_without_hint(&keys, &names[..stored], &last);
        }
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
