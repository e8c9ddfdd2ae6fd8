//! `--format html` (SPEC §12): one self-contained page per report — no
//! script, stylesheet, font or image from anywhere — with the table's rows,
//! every text escaped.

mod common;

use common::*;

#[test]
fn every_report_is_one_self_contained_page_with_hostile_names_escaped() {
    let w = Workdir::new();
    w.write(
        "config.yaml",
        "database: state.db\nstale_after: 0\ncollectors:\n  - {name: fc, local: fc.txt}\n",
    );
    let hostile = "<script>alert(1)</script>&\"x\"";
    w.write("fc.txt", stats_file(&[(hostile, 5), ("10.0.0.2", 7)]));
    w.run(&["poll", "--at", "2026-11-23T10:00:00Z"])
        .expect_code(0);
    w.write("fc.txt", stats_file(&[(hostile, 5), ("10.0.0.2", 0)]));
    w.run(&["poll", "--at", "2026-11-23T10:05:00Z"])
        .expect_code(0);
    let window = [
        "--from",
        "2026-11-23T10:00:00Z",
        "--to",
        "2026-11-23T10:10:00Z",
        "--now",
        "2026-11-23T10:10:00Z",
    ];
    let reports: Vec<Vec<&str>> = vec![
        vec!["report", "status"],
        vec!["report", "collectors"],
        [&["report", "down"][..], &window[..]].concat(),
        [&["report", "up"][..], &window[..]].concat(),
        [&["report", "downtime", "--all"][..], &window[..]].concat(),
        [&["report", "downtime", "--total"][..], &window[..]].concat(),
        [&["report", "history"][..], &window[..]].concat(),
    ];
    for args in reports {
        let mut args = args.clone();
        args.extend(["--format", "html"]);
        let run = w.run(&args);
        run.expect_code(0);
        let page = &run.stdout;
        assert!(
            page.starts_with("<!DOCTYPE html>\n<html lang=\"en\">"),
            "{args:?}: {page}"
        );
        assert!(page.ends_with("</body>\n</html>\n"), "{args:?}");
        for outside in ["<script", "src=", "href=", "@import", "url(", "<link"] {
            assert!(!page.contains(outside), "{args:?} has {outside}: {page}");
        }
    }
    let page = w.run(&["report", "status", "--format", "html"]).stdout;
    assert!(
        page.contains("<td>&lt;script&gt;alert(1)&lt;/script&gt;&amp;&quot;x&quot;</td>"),
        "{page}"
    );
    // The table's cells: the down key first, its state marked.
    assert!(
        page.contains("<tr><td>10.0.0.2</td><td>-</td><td class=\"down\">down</td>"),
        "{page}"
    );
}
