//! `fcstats page` (SPEC §12): the status pages of the demo's morning — every
//! key with its strip, whose segments are the accounting's seconds; a key's
//! page lists exactly `report history`'s events; hostile key names stay in
//! `keys/`.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use common::*;

const END: &str = "2026-11-02T12:00:00Z";

fn between<'a>(text: &'a str, open: &str, close: &str) -> &'a str {
    let a = text.find(open).map_or(0, |i| i + open.len());
    let b = text[a..].find(close).map_or(text.len(), |i| a + i);
    &text[a..b]
}

#[test]
fn the_demo_pages_show_every_key_its_strip_and_its_history() {
    let w = Workdir::new();
    w.command(&["demo", "--keep", "pg"]).output().unwrap();
    let dir = w.path("pg");
    let run = |args: &[&str]| Run::of(w.command(args).current_dir(&dir)).ok();
    run(&["page", "--out", "site", "--now", END]);
    let index = std::fs::read_to_string(dir.join("site/index.html")).unwrap();
    // The 7 keys not ignored (10.0.0.7 is), each with a link and a strip.
    for k in [
        "10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.5", "10.0.0.6", "10.0.0.8",
    ] {
        assert!(
            index.contains(&format!("<a href=\"keys/{k}.html\">{k}</a>")),
            "{k}"
        );
        assert!(dir.join(format!("site/keys/{k}.html")).exists(), "{k}");
    }
    assert!(!index.contains("10.0.0.7"));
    assert_eq!(index.matches("<svg class=\"strip\"").count(), 7);
    // The strip's cell sorts by the day's down seconds: 10.0.0.5 was down
    // 08:00-09:30, 5400 s.
    assert!(
        index.contains("10.0.0.5</a></td><td>-</td><td data-sort=\"5400\"><svg class=\"strip\"")
    );
    assert!(index.contains("<span class=\"key maintenance\"></span>maintenance"));
    let mode = std::fs::metadata(dir.join("site/index.html"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o644);

    // 10.0.0.4's month: its strip's down seconds are the month's downtime
    // (3 flaps of 300 s = 900), and the strip covers the month.
    let page = std::fs::read_to_string(dir.join("site/keys/10.0.0.4.html")).unwrap();
    let seconds = |part: &str| -> i64 {
        page.match_indices(&format!("<rect class=\"{part}\""))
            .map(|(i, _)| {
                between(&page[i..], "data-seconds=\"", "\"")
                    .parse::<i64>()
                    .unwrap()
            })
            .sum()
    };
    assert_eq!(seconds("down"), 900);
    let downtime = run(&[
        "report",
        "downtime",
        "--month",
        "--now",
        END,
        "--exporter",
        "10.0.0.4",
        "--format",
        "csv",
        "--no-header",
    ]);
    assert!(downtime.starts_with("10.0.0.4,,900,3,"), "{downtime}");
    let all: i64 = [
        "up",
        "down",
        "unknown",
        "maintenance",
        "unobserved",
        "inactive",
        "retired",
    ]
    .iter()
    .map(|p| seconds(p))
    .sum();
    // 2026-10-02T12:00Z to 2026-11-02T12:00Z: 31 days.
    assert_eq!(all, 31 * 86_400);
    // Its events are exactly `report history`'s.
    let history = run(&[
        "report",
        "history",
        "--exporter",
        "10.0.0.4",
        "--month",
        "--now",
        END,
        "--format",
        "html",
    ]);
    assert_eq!(
        between(&page, "<h2>Events</h2>", "</table>").trim(),
        between(&history, "<body>\n", "</table>").trim()
    );
    assert_eq!(
        between(&history, "<tbody>", "</tbody>")
            .matches("<tr>")
            .count(),
        9
    );
}

#[test]
fn a_hostile_key_name_cannot_leave_the_keys_folder() {
    let w = Workdir::new();
    w.write(
        "config.yaml",
        "database: state.db\nstale_after: 0\npage: {dir: site}\ncollectors:\n  - {name: fc, local: fc.txt}\n",
    );
    w.write("fc.txt", stats_file(&[("../../evil", 5), ("<b>x</b>", 0)]));
    // A poll writes the pages (page: dir:).
    w.run(&["poll", "--at", "2026-11-23T10:00:00Z"])
        .expect_code(0);
    let mut files: Vec<String> = std::fs::read_dir(w.path("site/keys"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    assert_eq!(files, ["%3Cb%3Ex%3C%2Fb%3E.html", "..%2F..%2Fevil.html"]);
    assert!(!w.path("evil.html").exists());
    let index = std::fs::read_to_string(w.path("site/index.html")).unwrap();
    assert!(index.contains("&lt;b&gt;x&lt;/b&gt;"));
    assert!(!index.contains("<b>x</b>"));
}

#[test]
fn over_2000_keys_the_index_lists_only_the_keys_not_up_with_counts() {
    let w = Workdir::new();
    w.write(
        "config.yaml",
        "database: state.db\nstale_after: 0\ncollectors:\n  - {name: fc, local: fc.txt}\n",
    );
    // 2,010 exporters, 2,005 of them down: more keys not up than the index lists.
    let names: Vec<String> = (0..2010)
        .map(|i| format!("10.1.{}.{}", i / 256, i % 256))
        .collect();
    let rows: Vec<(&str, u64)> = names
        .iter()
        .enumerate()
        .map(|(i, n)| (n.as_str(), if i < 2005 { 0 } else { 9 }))
        .collect();
    w.write("fc.txt", stats_file(&rows));
    w.run(&["poll", "--at", "2026-11-23T10:00:00Z"])
        .expect_code(0);
    w.run(&["page", "--out", "site", "--now", "2026-11-23T10:05:00Z"])
        .expect_code(0);
    let index = std::fs::read_to_string(w.path("site/index.html")).unwrap();
    let note = between(&index, "<h1>fcstats</h1>\n", "\n");
    assert_eq!(
        note,
        "<p class=\"note\">2010 keys: 2005 down, 5 up. Listed here: 2000 of the 2005 keys not \
         up, and the 2000 with the most downtime in the last month (of 2005 with any); every key \
         has its page in keys/.</p>"
    );
    // 2,000 down keys in the status table, the same in the strips, 2,000 in
    // the month's table (each down 300 s); no up key (the first up, i = 2005
    // = 7 * 256 + 213, is 10.1.7.213).
    let now = between(&index, "<h2>Exporters now</h2>", "</table>");
    assert_eq!(now.matches("<tr>").count(), 1 + 2000);
    assert_eq!(now.matches("<td class=\"down\">down</td>").count(), 2000);
    let strips = between(&index, "<h2>The last 24 hours</h2>", "</table>");
    assert_eq!(strips.matches("<svg class=\"strip\"").count(), 2000);
    for row in now.split("<tr>").skip(2) {
        let exporter = between(row, "<td>", "</td>");
        assert!(strips.contains(&format!(">{exporter}</a>")), "{exporter}");
    }
    let month = between(&index, "<h2>Downtime over the last month</h2>", "</table>");
    assert_eq!(month.matches("<tr>").count(), 1 + 2000);
    assert!(!index.contains("10.1.7.213"));
    assert_eq!(
        std::fs::read_dir(w.path("site/keys")).unwrap().count(),
        2010
    );
}

#[test]
fn the_folder_is_swapped_in_whole_and_a_key_gone_loses_its_page() {
    let w = Workdir::new();
    let config = "database: state.db\nstale_after: 0\ncollectors:\n  - {name: fc, local: fc.txt}\n";
    w.write("config.yaml", config);
    w.write("fc.txt", stats_file(&[("10.0.0.1", 5), ("10.0.0.2", 0)]));
    // `poll --page DIR`: the pages after the poll, without `page:` in the config.
    w.run(&["poll", "--at", "2026-11-23T10:00:00Z", "--page", "polled"])
        .expect_code(0);
    let polled = std::fs::read_to_string(w.path("polled/index.html")).unwrap();
    assert!(polled.contains("last poll 2026-11-23 10:00:00"), "{polled}");
    // A folder an older fcstats wrote in place: replaced by the symlink.
    std::fs::create_dir_all(w.path("site/keys")).unwrap();
    w.write("site/keys/old.html", "old");
    let page = |now: &str| {
        w.run(&["page", "--out", "site", "--now", now])
            .expect_code(0);
        std::fs::read_link(w.path("site")).unwrap()
    };
    assert_eq!(page("2026-11-23T10:01:00Z"), Path::new(".site.a"));
    assert!(!w.path("site/keys/old.html").exists());
    assert!(w.path("site/keys/10.0.0.2.html").exists());
    let first = std::fs::read_to_string(w.path("site/index.html")).unwrap();
    // The next pages go to the other folder; the ones served until now stay
    // whole for whoever is reading them.
    assert_eq!(page("2026-11-23T10:02:00Z"), Path::new(".site.b"));
    assert_eq!(
        std::fs::read_to_string(w.path(".site.a/index.html")).unwrap(),
        first
    );
    assert_ne!(
        std::fs::read_to_string(w.path("site/index.html")).unwrap(),
        first
    );
    // 10.0.0.2 ignored from now on: the folder written next has no page for it.
    w.write(
        "config.yaml",
        format!("{config}ignore: [{{exporter: 10.0.0.2}}]\n"),
    );
    assert_eq!(page("2026-11-23T10:03:00Z"), Path::new(".site.a"));
    let mut files: Vec<String> = std::fs::read_dir(w.path("site/keys"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    assert_eq!(files, ["10.0.0.1.html"]);
    // A parent that is no folder: said, naming it and what goes there.
    w.write("file", "");
    w.run(&["page", "--out", "file/site"])
        .expect_code(1)
        .expect_stderr(
            "file must be a folder this user can write: the pages go to .site.a beside file/site",
        );
    // Nothing else beside the folder: the symlink and its two folders.
    let mut beside: Vec<String> = std::fs::read_dir(w.path(""))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("site"))
        .collect();
    beside.sort();
    assert_eq!(beside, [".site.a", ".site.b", "site"]);
}
