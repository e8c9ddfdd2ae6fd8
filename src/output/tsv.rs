//! Tab-separated: one line per row, no quoting (tabs and newlines in text
//! become spaces), so `cut -f1` works.

use super::{Format, Report, Value};

pub struct Tsv;

const SEPARATORS: [char; 3] = ['\t', '\n', '\r'];

impl Format for Tsv {
    fn render(&self, r: &Report, header: bool) -> Vec<u8> {
        // About 16 bytes a cell: one allocation for most reports.
        let mut out = String::with_capacity(r.rows.len() * r.columns.len() * 16);
        if header {
            out.push_str(&r.columns.join("\t"));
            out.push('\n');
        }
        for row in &r.rows {
            for (i, v) in row.iter().enumerate() {
                if i > 0 {
                    out.push('\t');
                }
                match v {
                    Value::Text(s) if s.contains(SEPARATORS) => {
                        out.push_str(&s.replace(SEPARATORS, " "))
                    }
                    _ => v.write_machine(&mut out),
                }
            }
            out.push('\n');
        }
        out.into_bytes()
    }
}
