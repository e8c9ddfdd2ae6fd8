//! `--format html`: one self-contained page (SPEC §12): inline CSS, no
//! script, font, image or link to anything else, readable offline; the same
//! rows and cells as the table, every text HTML-escaped.

use super::table::{cell, footer, header, shown};
use super::{Format, Report};

pub struct Html;

/// Text for HTML: `&`, `<`, `>`, quotes escaped.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str =
    "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:1.5rem;color:#1b1f24}\
table{border-collapse:collapse;font-size:.9rem}\
th,td{padding:.3rem .7rem;border-bottom:1px solid #d8dee4;text-align:left;white-space:nowrap}\
th{background:#f3f5f7}\
td.down{color:#b42318;font-weight:600}td.up{color:#067647}td.unknown{color:#8a6d00}\
td.inactive,td.retired{color:#6b7280}\
p.note{color:#57606a;font-size:.85rem}";

/// A class for a state-like cell (`down (maintenance)` is `down`).
fn class(text: &str) -> &'static str {
    match text.split(' ').next().unwrap_or("") {
        "down" | "failed" => "down",
        "up" | "ok" => "up",
        "unknown" => "unknown",
        "inactive" => "inactive",
        "retired" => "retired",
        _ => "",
    }
}

/// A whole page around `body` (already HTML), with the shared style and any
/// `extra_style`.
pub fn page(title: &str, extra_style: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>{STYLE}{extra_style}</style>\n</head>\n<body>\n{body}</body>\n</html>\n",
        escape(title)
    )
}

/// The report as an HTML table (and its footer), without the page around it.
pub fn table(r: &Report) -> String {
    let shown = shown(r);
    let mut out = String::from("<table>\n<thead><tr>");
    for &i in &shown {
        out.push_str(&format!("<th>{}</th>", escape(header(r.columns[i]))));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for row in &r.rows {
        out.push_str("<tr>");
        for &i in &shown {
            let text = cell(&row[i]);
            let state = matches!(r.columns[i], "state" | "state_now");
            match (state, class(&text)) {
                (true, c) if !c.is_empty() => {
                    out.push_str(&format!("<td class=\"{c}\">{}</td>", escape(&text)))
                }
                _ => out.push_str(&format!("<td>{}</td>", escape(&text))),
            }
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table>\n");
    if r.rows.is_empty() {
        out.push_str("<p class=\"note\">(nothing to report)</p>\n");
    }
    if let Some(f) = footer(r) {
        out.push_str(&format!("<p class=\"note\">{}</p>\n", escape(&f)));
    }
    out
}

impl Format for Html {
    fn render(&self, r: &Report, _header: bool) -> Vec<u8> {
        page("fcstats", "", &table(r)).into_bytes()
    }
}
