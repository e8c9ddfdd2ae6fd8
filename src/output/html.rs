//! `--format html`: one self-contained page (SPEC §12): inline CSS, no
//! script, font, image or link to anything else, readable offline; the same
//! rows and cells as the table, every text HTML-escaped.

use super::table::{cell, footer, header, shown};
use super::{Format, Report, Value};

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
p.note{color:#57606a;font-size:.85rem}\
th[data-order=up]::after{content:\" \\25B2\"}th[data-order=down]::after{content:\" \\25BC\"}";

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

/// The number a cell sorts by, for a page's sort script (`SORT_SCRIPT`): a
/// duration's seconds, a time's unix seconds, a count, a percentage; `""`
/// (first) for none; no number for text, which sorts by what it shows.
fn sort_value(v: &Value) -> Option<String> {
    match v {
        Value::Int(n) | Value::Secs(n) | Value::Time(Some(n)) => Some(n.to_string()),
        Value::Pct(Some(p)) => Some(format!("{p:.3}")),
        Value::Time(None) | Value::Pct(None) => Some(String::new()),
        _ => None,
    }
}

/// A small inline script for pages (not reports, which have none): a click
/// on a column's header sorts its table by that column, again the other way.
/// The tables come sorted; without JavaScript they stay as they came.
pub const SORT_SCRIPT: &str = "<script>\n\
document.querySelectorAll(\"th\").forEach(th => th.addEventListener(\"click\", () => {\n\
  const i = th.cellIndex, body = th.closest(\"table\").tBodies[0];\n\
  const up = th.dataset.order !== \"up\";\n\
  th.closest(\"tr\").querySelectorAll(\"th\").forEach(h => delete h.dataset.order);\n\
  th.dataset.order = up ? \"up\" : \"down\";\n\
  const key = r => { const c = r.cells[i], n = c.dataset.sort;\n\
    return n === undefined ? c.textContent : n === \"\" ? -Infinity : +n; };\n\
  const rows = [...body.rows].sort((a, b) => { const x = key(a), y = key(b);\n\
    const d = typeof x === \"number\" && typeof y === \"number\" ? x - y : String(x).localeCompare(String(y));\n\
    return up ? d : -d; });\n\
  body.append(...rows);\n\
}));\n\
</script>\n";

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
            let mut attrs = String::new();
            let c = class(&text);
            if matches!(r.columns[i], "state" | "state_now") && !c.is_empty() {
                attrs.push_str(&format!(" class=\"{c}\""));
            }
            if let Some(n) = sort_value(&row[i]) {
                attrs.push_str(&format!(" data-sort=\"{n}\""));
            }
            out.push_str(&format!("<td{attrs}>{}</td>", escape(&text)));
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
