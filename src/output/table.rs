//! For people: comfy-table fitted to the terminal, local time, durations
//! like `1h 20m`, `-` for nothing. No colour.

use chrono::{Local, TimeZone};
use comfy_table::{presets, ContentArrangement, Table as Grid, TableComponent};

use super::{human_duration, Format, Report, Value};

pub struct Table;

fn cell(v: &Value) -> String {
    match v {
        Value::Text(s) if s.is_empty() => "-".into(),
        Value::Text(s) => s.clone(),
        Value::Int(n) => n.to_string(),
        Value::Time(Some(t)) => Local
            .timestamp_opt(*t, 0)
            .single()
            .map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
            .unwrap_or_else(|| t.to_string()),
        Value::Secs(s) => human_duration(*s),
        Value::Pct(Some(p)) => format!("{p:.2}%"),
        Value::Time(None) | Value::Pct(None) => "-".into(),
    }
}

impl Format for Table {
    fn render(&self, r: &Report, _header: bool) -> Vec<u8> {
        let mut grid = Grid::new();
        // No borders or row lines: one rule under the header.
        grid.load_preset(presets::NOTHING)
            .set_style(TableComponent::HeaderLines, '─')
            .set_style(TableComponent::MiddleHeaderIntersections, ' ')
            .set_content_arrangement(ContentArrangement::Dynamic)
            .set_header(r.columns.iter().map(|c| c.to_string()));
        for row in &r.rows {
            grid.add_row(row.iter().map(cell));
        }
        let mut out = if r.rows.is_empty() {
            "(nothing to report)\n".to_string()
        } else {
            format!("{grid}\n")
        };
        if let Some(note) = &r.note {
            out.push_str(note);
            out.push('\n');
        }
        out.into_bytes()
    }
}
