//! The status pages in a real browser (SPEC §12): headless Chromium (Debian's
//! `chromium`) renders the demo's `index.html` and every key's page. The test
//! takes a screenshot, and reads the rendered DOM through a probe script added
//! to a copy of each page (the pages themselves have none): every key is
//! there with its state; every strip's segments are laid out side by side,
//! each as wide as its seconds' share of the strip, and those seconds are the
//! reports' downtime, maintenance and unobserved time; a key's page lists
//! exactly the events `report history --exporter X` prints.
//!
//! `FCSTATS_UPDATE_SCREENSHOT=1 cargo test --test browser` rewrites
//! `docs/page.png`, the screenshot the README shows.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use serde_json::Value;

const END: &str = "2026-11-02T12:00:00Z";
const SIZE: (u32, u32) = (1280, 1000);

/// Collects what the page shows, as Chromium laid it out, into
/// `<pre id="probe">` (JSON): the rows of the first and the last table as
/// their cells' text, each strip with its row's first two cells, its box,
/// and each segment's class, `data-seconds` and box; then the last table's
/// rows as clicks on its headers sort them.
const PROBE: &str = r#"<script>
const rows = t => t ? [...t.tBodies[0].rows].map(r => [...r.cells].map(c => c.textContent)) : [];
const tables = document.querySelectorAll("table");
const box = e => { const b = e.getBoundingClientRect(); return { left: b.left, width: b.width }; };
const strips = [...document.querySelectorAll("svg.strip")].map(svg => {
  const tr = svg.closest("tr");
  return {
    key: tr ? [tr.cells[0].textContent, tr.cells[1].textContent] : null,
    box: box(svg),
    rects: [...svg.querySelectorAll("rect")].map(r => ({
      part: r.getAttribute("class"), seconds: +r.getAttribute("data-seconds"), box: box(r) })),
  };
});
// The last table's rows after one click on each header, then a second
// click on the same header (the page's own sort script).
const last = tables[tables.length - 1];
const unsorted = rows(last);
const sorted = [...last.tHead.rows[0].cells].map(th => {
  th.click();
  const once = rows(last);
  th.click();
  return { column: th.textContent, once, twice: rows(last) };
});
const pre = document.createElement("pre");
pre.id = "probe";
pre.textContent = JSON.stringify({ first: rows(tables[0]), last: unsorted, strips, sorted });
document.body.appendChild(pre);
</script>"#;

/// Runs headless Chromium on a local file; its stdout. Fails after 120 s.
fn chromium(w: &Workdir, page: &Path, args: &[&str]) -> String {
    let mut child = w
        .command_of("chromium")
        .args([
            "--headless",
            "--no-sandbox", // as root (CI), and only local files are opened
            "--disable-gpu",
            "--hide-scrollbars",
            "--force-device-scale-factor=1",
            &format!("--window-size={},{}", SIZE.0, SIZE.1),
            &format!("--user-data-dir={}", w.path("chromium-profile").display()),
        ])
        .args(args)
        .arg(format!("file://{}", page.display()))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromium runs");
    let deadline = Instant::now() + Duration::from_secs(120);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            child.kill().ok();
            panic!("chromium did not finish {} in 120 s", page.display());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "chromium on {}", page.display());
    String::from_utf8(out.stdout).unwrap()
}

/// The page as Chromium rendered it, read by the probe.
fn probe(w: &Workdir, page: &Path) -> Value {
    let html = std::fs::read_to_string(page).unwrap();
    assert_eq!(
        html.matches("<script").count(),
        1,
        "{}: only the sort script",
        page.display()
    );
    let probed = page.with_extension("probe.html");
    std::fs::write(&probed, html.replace("</body>", &format!("{PROBE}</body>"))).unwrap();
    let dom = chromium(w, &probed, &["--dump-dom"]);
    std::fs::remove_file(&probed).unwrap();
    let start = dom.find("<pre id=\"probe\">").expect("the probe ran") + 16;
    let end = start + dom[start..].find("</pre>").unwrap();
    let text = dom[start..end]
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&");
    serde_json::from_str(&text).unwrap()
}

/// A strip spanning `span` seconds: its segments side by side from its left
/// edge to its right, each `seconds / span` of its width (to 0.01 px); the
/// seconds of each part.
fn check_strip(strip: &Value, span: i64) -> std::collections::BTreeMap<String, i64> {
    let f = |v: &Value| v.as_f64().unwrap();
    let (left, width) = (f(&strip["box"]["left"]), f(&strip["box"]["width"]));
    // 32rem of 16 px (the style's width of a strip).
    assert_eq!(width, 512.0);
    let mut x = left;
    let mut parts = std::collections::BTreeMap::new();
    for r in strip["rects"].as_array().unwrap() {
        let secs = r["seconds"].as_i64().unwrap();
        let want = width * secs as f64 / span as f64;
        let got = f(&r["box"]["width"]);
        assert!((got - want).abs() < 0.01, "{r}: {got} px, not {want}");
        assert!((f(&r["box"]["left"]) - x).abs() < 0.01, "{r} starts at {x}");
        x += got;
        *parts
            .entry(r["part"].as_str().unwrap().to_owned())
            .or_insert(0) += secs;
    }
    assert!((x - (left + width)).abs() < 0.01, "the segments end at {x}");
    assert_eq!(parts.values().sum::<i64>(), span);
    parts
}

/// What fcstats prints as JSON, run in `dir` (asserting exit 0).
fn json(w: &Workdir, dir: &Path, args: &[&str]) -> Value {
    serde_json::from_str(&Run::of(w.command(args).current_dir(dir)).ok()).unwrap()
}

/// `report downtime`'s downtime, maintenance and unobserved seconds per
/// exporter, over a window.
fn downtime(w: &Workdir, dir: &Path, window: &[&str]) -> Vec<(String, [i64; 3])> {
    let mut args = vec![
        "report", "downtime", "--all", "--now", END, "--format", "json",
    ];
    args.extend(window);
    let rows = json(w, dir, &args);
    let n = |r: &Value, k: &str| r[k].as_i64().unwrap();
    rows.as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let secs = [
                n(r, "downtime_s"),
                n(r, "maintenance_s"),
                n(r, "unobserved_s"),
            ];
            (r["exporter"].as_str().unwrap().to_owned(), secs)
        })
        .collect()
}

/// A strip's part seconds as the report counts them: down, maintenance, and
/// unobserved (which holds unknown, inactive and retired time).
fn as_report(parts: &std::collections::BTreeMap<String, i64>) -> [i64; 3] {
    let p = |k: &str| parts.get(k).copied().unwrap_or(0);
    [
        p("down"),
        p("maintenance"),
        p("unobserved") + p("unknown") + p("inactive") + p("retired"),
    ]
}

fn png_size(png: &[u8]) -> (u32, u32) {
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    assert_eq!(&png[12..16], b"IHDR");
    let n = |i: usize| u32::from_be_bytes(png[i..i + 4].try_into().unwrap());
    (n(16), n(20))
}

#[test]
fn chromium_renders_every_key_its_state_strip_and_history() {
    if Command::new("chromium")
        .arg("--version")
        .output()
        .map_or(true, |o| !o.status.success())
    {
        skip("chromium: .ci/run installs Debian's chromium");
        return;
    }
    let w = Workdir::new();
    w.command(&["demo", "--keep", "pg"]).output().unwrap();
    let dir = w.path("pg");
    Run::of(
        w.command(&["page", "--out", "site", "--now", END])
            .current_dir(&dir),
    )
    .expect_code(0);
    let site = dir.join("site");

    // The screenshot: a PNG of the window's size.
    let shot = w.path("page.png");
    chromium(
        &w,
        &site.join("index.html"),
        &[&format!("--screenshot={}", shot.display())],
    );
    let png = std::fs::read(&shot).unwrap();
    assert_eq!(png_size(&png), SIZE);
    let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/page.png");
    if std::env::var_os("FCSTATS_UPDATE_SCREENSHOT").is_some() {
        std::fs::write(&docs, &png).unwrap();
    }
    assert_eq!(
        png_size(&std::fs::read(&docs).unwrap()),
        SIZE,
        "docs/page.png"
    );

    // Every key not ignored (10.0.0.7 is), with the state `report status` gives.
    let index = probe(&w, &site.join("index.html"));
    let status = json(&w, &dir, &["report", "status", "--format", "json"]);
    let want: Vec<(String, String)> = status
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["exporter"].as_str().unwrap().into(),
                r["state"].as_str().unwrap().into(),
            )
        })
        .collect();
    let shown: Vec<(String, String)> = index["first"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r[0].as_str().unwrap().into(), r[2].as_str().unwrap().into()))
        .collect();
    assert_eq!(shown, want);
    assert_eq!(want.len(), 7, "{want:?}");

    // The month's downtime, most first without a click (10.0.0.5 1h 30m,
    // 10.0.0.3 45m, 10.0.0.6 20m, 10.0.0.4 15m, then the 0 s ones by name);
    // a click on "downtime" sorts it by the seconds, least first, a second
    // click most first; a click on "exporter" by name, then the other way.
    let column = |rows: &Value, i: usize| -> Vec<String> {
        rows.as_array()
            .unwrap()
            .iter()
            .map(|r| r[i].as_str().unwrap().to_owned())
            .collect()
    };
    let most_first = ["10.0.0.5", "10.0.0.3", "10.0.0.6", "10.0.0.4"];
    assert_eq!(column(&index["last"], 0)[..4], most_first);
    let sorted = |name: &str| {
        index["sorted"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["column"] == name)
            .unwrap_or_else(|| panic!("no column {name}"))
            .clone()
    };
    let by_downtime = sorted("downtime");
    let once = column(&by_downtime["once"], 0);
    assert_eq!(
        once[once.len() - 4..],
        ["10.0.0.4", "10.0.0.6", "10.0.0.3", "10.0.0.5"]
    );
    assert_eq!(
        column(&by_downtime["twice"], 0)[..4],
        most_first,
        "{by_downtime}"
    );
    let by_name = sorted("exporter");
    let mut names = column(&index["last"], 0);
    names.sort();
    assert_eq!(column(&by_name["once"], 0), names);
    names.reverse();
    assert_eq!(column(&by_name["twice"], 0), names);

    // One 24-hour strip per key, whose seconds are the day's report.
    let day = downtime(&w, &dir, &["--since", "24h"]);
    let strips = index["strips"].as_array().unwrap();
    assert_eq!(strips.len(), 7);
    for (exporter, secs) in &day {
        let strip = strips
            .iter()
            .find(|s| s["key"][0] == exporter.as_str())
            .unwrap_or_else(|| panic!("no strip for {exporter}"));
        assert_eq!(as_report(&check_strip(strip, 86_400)), *secs, "{exporter}");
    }
    // 10.0.0.5 was first seen down at 08:00 and came up at 09:30: 90 min =
    // 5400 s of the day down.
    let five = strips.iter().find(|s| s["key"][0] == "10.0.0.5").unwrap();
    assert_eq!(check_strip(five, 86_400)["down"], 5_400);

    // Each key's page: its month strip is the month's report, and its events
    // are `report history`'s, row for row.
    let month = downtime(&w, &dir, &["--month"]);
    // 2026-10-02T12:00Z to 2026-11-02T12:00Z: 31 days.
    let span = 31 * 86_400;
    for (exporter, secs) in &month {
        let page = probe(&w, &site.join(format!("keys/{exporter}.html")));
        let strips = page["strips"].as_array().unwrap();
        assert_eq!(strips.len(), 1, "{exporter}");
        assert_eq!(
            as_report(&check_strip(&strips[0], span)),
            *secs,
            "{exporter}"
        );
        let history = json(
            &w,
            &dir,
            &[
                "report",
                "history",
                "--exporter",
                exporter,
                "--month",
                "--now",
                END,
                "--format",
                "json",
            ],
        );
        let want: Vec<[String; 3]> = history
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                let at = r["at"].as_str().unwrap();
                let at = at.trim_end_matches('Z').replace('T', " ");
                [
                    at,
                    r["event"].as_str().unwrap().into(),
                    r["collector"].as_str().unwrap_or("").into(),
                ]
            })
            .collect();
        let rows: Vec<[String; 3]> = page["last"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                let cell = |i: usize| r[i].as_str().unwrap().to_owned();
                let collector = if r[4] == "-" { String::new() } else { cell(4) };
                [cell(2), cell(3), collector]
            })
            .collect();
        assert_eq!(rows, want, "{exporter}");
        assert!(!want.is_empty(), "{exporter} has events");
    }
}
