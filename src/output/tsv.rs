//! Tab-separated: one line per row, no quoting (tabs and newlines in text
//! become spaces), so `cut -f1` works.

use super::{Format, Report};

pub struct Tsv;

fn clean(s: &str) -> String {
    s.replace(['\t', '\n', '\r'], " ")
}

impl Format for Tsv {
    fn render(&self, r: &Report, header: bool) -> Vec<u8> {
        let mut out = String::new();
        if header {
            out.push_str(&r.columns.join("\t"));
            out.push('\n');
        }
        for row in &r.rows {
            let cells: Vec<String> = row.iter().map(|v| clean(&v.machine())).collect();
            out.push_str(&cells.join("\t"));
            out.push('\n');
        }
        out.into_bytes()
    }
}
