//! JSON: one array of objects, one object per row, keys as the field names.

use super::{Format, Report, Value};
use crate::time::rfc3339;

pub struct Json;

pub(crate) fn string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

fn value(v: &Value, out: &mut String) {
    match v {
        Value::Text(s) | Value::Noted(s, _) => string(s, out),
        Value::Int(n) | Value::Secs(n) => out.push_str(&n.to_string()),
        Value::Time(Some(t)) => string(&rfc3339(*t), out),
        Value::Pct(Some(p)) => out.push_str(&format!("{p:.3}")),
        Value::Time(None) | Value::Pct(None) => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
    }
}

impl Format for Json {
    fn render(&self, r: &Report, _header: bool) -> Vec<u8> {
        let mut out = String::from("[");
        for (i, row) in r.rows.iter().enumerate() {
            out.push_str(if i == 0 { "\n  {" } else { ",\n  {" });
            for (j, (name, v)) in r.columns.iter().zip(row).enumerate() {
                if j > 0 {
                    out.push_str(", ");
                }
                string(name, &mut out);
                out.push_str(": ");
                value(v, &mut out);
            }
            out.push('}');
        }
        out.push_str(if r.rows.is_empty() { "]\n" } else { "\n]\n" });
        out.into_bytes()
    }
}
