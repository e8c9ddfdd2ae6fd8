//! SPEC §11 metrics, pure: the state of every key and collector in the
//! Prometheus text exposition format (what node_exporter's textfile
//! collector reads and `promtool check metrics` accepts).

use std::fmt::Write;

use crate::model::Status;

/// One key as the metrics show it.
pub struct KeyMetric<'a> {
    pub exporter: &'a str,
    pub interface: &'a str,
    pub name: &'a str,
    pub site: &'a str,
    pub status: Status,
    pub bps: u64,
}

/// Everything the metrics say.
pub struct Snapshot<'a> {
    pub keys: Vec<KeyMetric<'a>>,
    /// (collector, read at its last poll).
    pub collectors: Vec<(&'a str, bool)>,
    pub last_poll: Option<i64>,
    pub poll_duration: Option<f64>,
    pub alerts_pending: usize,
}

/// The states `fcstats_exporter_state` has a series for.
const STATES: [&str; 5] = ["up", "down", "unknown", "inactive", "retired"];

/// A label value, escaped as the format asks (`\`, `"`, newline).
fn label(out: &mut String, v: &str) {
    for c in v.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
}

fn header(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
}

/// `{exporter="…",interface="…",name="…",site="…"` (no closing brace).
fn key_labels(out: &mut String, k: &KeyMetric) {
    for (i, (n, v)) in [
        ("exporter", k.exporter),
        ("interface", k.interface),
        ("name", k.name),
        ("site", k.site),
    ]
    .into_iter()
    .enumerate()
    {
        out.push_str(if i == 0 { "{" } else { "," });
        out.push_str(n);
        out.push_str("=\"");
        label(out, v);
        out.push('"');
    }
}

pub fn render(s: &Snapshot) -> String {
    let mut out = String::with_capacity(256 + s.keys.len() * 600);
    header(&mut out, "fcstats_exporter_up", "gauge", "1 if NetFlow arrives from the exporter (bps > 0), 0 if not; absent while unknown, inactive or retired.");
    for k in &s.keys {
        let v = match k.status {
            Status::Up => 1,
            Status::Down => 0,
            _ => continue,
        };
        out.push_str("fcstats_exporter_up");
        key_labels(&mut out, k);
        let _ = writeln!(out, "}} {v}");
    }
    header(
        &mut out,
        "fcstats_exporter_state",
        "gauge",
        "1 for the key's current state (up, down, unknown, inactive, retired), 0 for the others.",
    );
    for k in &s.keys {
        let now = match k.status {
            Status::UnknownDown | Status::UnknownUp => "unknown",
            other => other.as_str(),
        };
        for state in STATES {
            out.push_str("fcstats_exporter_state");
            key_labels(&mut out, k);
            let _ = writeln!(out, ",state=\"{state}\"}} {}", u8::from(state == now));
        }
    }
    header(&mut out, "fcstats_exporter_netflow_bps", "gauge", "The key's NetFlow rate over the collectors at its last recorded change, in bits per second.");
    for k in &s.keys {
        out.push_str("fcstats_exporter_netflow_bps");
        key_labels(&mut out, k);
        let _ = writeln!(out, "}} {}", k.bps);
    }
    header(
        &mut out,
        "fcstats_collector_up",
        "gauge",
        "1 if the collector's file was read at the last poll, 0 if not.",
    );
    for (c, ok) in &s.collectors {
        out.push_str("fcstats_collector_up{collector=\"");
        label(&mut out, c);
        let _ = writeln!(out, "\"}} {}", u8::from(*ok));
    }
    if let Some(t) = s.last_poll {
        header(
            &mut out,
            "fcstats_last_poll_timestamp_seconds",
            "gauge",
            "When the last poll was taken (unix seconds).",
        );
        let _ = writeln!(out, "fcstats_last_poll_timestamp_seconds {t}");
    }
    if let Some(d) = s.poll_duration {
        header(
            &mut out,
            "fcstats_poll_duration_seconds",
            "gauge",
            "How long the last poll took.",
        );
        let _ = writeln!(out, "fcstats_poll_duration_seconds {d:.3}");
    }
    header(
        &mut out,
        "fcstats_alerts_pending",
        "gauge",
        "Alerts waiting in the outbox (not yet delivered).",
    );
    let _ = writeln!(out, "fcstats_alerts_pending {}", s.alerts_pending);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_collectors_and_the_poll_in_the_text_format_with_escaped_labels() {
        let s = Snapshot {
            keys: vec![
                KeyMetric {
                    exporter: "10.0.0.1",
                    interface: "",
                    name: "core \"1\"\\a",
                    site: "hq",
                    status: Status::Up,
                    bps: 500,
                },
                KeyMetric {
                    exporter: "10.0.0.2",
                    interface: "Gi0/1",
                    name: "",
                    site: "",
                    status: Status::UnknownDown,
                    bps: 0,
                },
            ],
            collectors: vec![("fc-east", true), ("fc-west", false)],
            last_poll: Some(1_795_428_000),
            poll_duration: Some(0.4321),
            alerts_pending: 2,
        };
        let text = render(&s);
        let k1 = r#"{exporter="10.0.0.1",interface="",name="core \"1\"\\a",site="hq""#;
        assert!(
            text.contains(&format!("fcstats_exporter_up{k1}}} 1\n")),
            "{text}"
        );
        // Unknown: no up series, its state series says unknown.
        assert!(
            !text.contains("fcstats_exporter_up{exporter=\"10.0.0.2\""),
            "{text}"
        );
        let k2 = r#"{exporter="10.0.0.2",interface="Gi0/1",name="",site="""#;
        assert!(text.contains(&format!(
            "fcstats_exporter_state{k2},state=\"unknown\"}} 1\n"
        )));
        assert!(text.contains(&format!("fcstats_exporter_state{k2},state=\"down\"}} 0\n")));
        assert!(text.contains(&format!("fcstats_exporter_netflow_bps{k1}}} 500\n")));
        assert!(text.contains("fcstats_collector_up{collector=\"fc-west\"} 0\n"));
        assert!(text.contains("fcstats_last_poll_timestamp_seconds 1795428000\n"));
        assert!(text.contains("fcstats_poll_duration_seconds 0.432\n"));
        assert!(text.ends_with("# TYPE fcstats_alerts_pending gauge\nfcstats_alerts_pending 2\n"));
        // 2 keys x 5 states.
        assert_eq!(text.matches("fcstats_exporter_state{").count(), 10);
    }
}
