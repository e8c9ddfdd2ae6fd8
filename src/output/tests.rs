use super::*;
use chrono::TimeZone;

fn sample() -> Report {
    Report {
        columns: vec![
            "exporter",
            "interface",
            "at",
            "outage_s",
            "availability_pct",
        ],
        rows: vec![
            vec![
                Value::text("10.0.0.1"),
                Value::text(""),
                Value::Time(Some(1_795_428_000)),
                Value::Secs(4_800),
                Value::Pct(Some(99.5)),
            ],
            vec![
                Value::text("say \"hi\",\tthere"),
                Value::text("Gi0/1"),
                Value::Time(None),
                Value::Secs(0),
                Value::Pct(None),
            ],
        ],
        note: vec![Value::text("a note for people")],
    }
}

fn render(f: FormatName, header: bool) -> String {
    String::from_utf8(formatter(f).render(&sample(), header)).unwrap()
}

#[test]
fn tsv_is_plain_and_cut_friendly() {
    assert_eq!(
        render(FormatName::Tsv, true),
        "exporter\tinterface\tat\toutage_s\tavailability_pct\n\
         10.0.0.1\t\t2026-11-23T10:00:00Z\t4800\t99.500\n\
         say \"hi\", there\tGi0/1\t\t0\t\n"
    );
    assert!(!render(FormatName::Tsv, false).contains("exporter\t"));
}

#[test]
fn csv_quotes_where_needed() {
    assert_eq!(
        render(FormatName::Csv, true),
        "exporter,interface,at,outage_s,availability_pct\n\
         10.0.0.1,,2026-11-23T10:00:00Z,4800,99.500\n\
         \"say \"\"hi\"\",\tthere\",Gi0/1,,0,\n"
    );
    assert_eq!(render(FormatName::Csv, false).lines().count(), 2);
}

#[test]
fn json_is_one_array_of_objects() {
    assert_eq!(
        render(FormatName::Json, true),
        "[\n  {\"exporter\": \"10.0.0.1\", \"interface\": \"\", \"at\": \"2026-11-23T10:00:00Z\", \"outage_s\": 4800, \"availability_pct\": 99.500},\n  \
         {\"exporter\": \"say \\\"hi\\\",\\tthere\", \"interface\": \"Gi0/1\", \"at\": null, \"outage_s\": 0, \"availability_pct\": null}\n]\n"
    );
    let empty = Report {
        rows: vec![],
        ..sample()
    };
    assert_eq!(formatter(FormatName::Json).render(&empty, true), b"[]\n");
}

fn table(width: Option<u16>) -> String {
    String::from_utf8(table::Table { width }.render(&sample(), true)).unwrap()
}

#[test]
fn table_is_for_people() {
    let t = table(None);
    assert!(t.contains("1h 20m"), "{t}");
    assert!(t.contains("99.50%"), "{t}");
    assert!(!t.contains("2026-11-23T10:00:00Z"), "{t}");
    // Column names without the machine formats' unit suffixes.
    let head = t.lines().next().unwrap();
    assert_eq!(
        head.split_whitespace().collect::<Vec<_>>(),
        ["exporter", "interface", "at", "outage", "availability"]
    );
    // The note, then the zone the times are in, once.
    let zone = chrono::Local
        .timestamp_opt(1_795_428_000, 0)
        .unwrap()
        .format("%:z")
        .to_string();
    let zone = if zone == "+00:00" {
        "UTC".to_string()
    } else {
        format!("UTC{zone}")
    };
    assert!(
        t.ends_with(&format!("a note for people; times in {zone}\n")),
        "{t}"
    );
}

#[test]
fn a_table_without_a_width_is_never_squeezed() {
    // 2 rows + header + rule + footer: every row on one line.
    let t = table(None);
    assert_eq!(t.lines().count(), 5, "{t}");
    // (The tab in a cell is escaped, like every control character.)
    assert!(t.contains("say \"hi\",\\tthere"), "{t}");
}

#[test]
fn a_table_with_a_width_is_fitted_to_it() {
    let t = table(Some(40));
    assert!(t.lines().count() > 5, "{t}");
    for line in t.lines().filter(|l| !l.starts_with("a note")) {
        assert!(line.chars().count() <= 40, "{line:?} in\n{t}");
    }
}

#[test]
fn human_durations_use_the_two_largest_units() {
    assert_eq!(human_duration(0), "0s");
    assert_eq!(human_duration(45), "45s");
    assert_eq!(human_duration(4_800), "1h 20m");
    assert_eq!(human_duration(3_600), "1h");
    assert_eq!(human_duration(183_900), "2d 3h");
    assert_eq!(human_duration(310), "5m 10s");
}
