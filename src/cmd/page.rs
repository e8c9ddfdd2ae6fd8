//! `fcstats page --out DIR` and `page: {dir:}` (SPEC §12): the status page —
//! `index.html` (every key's state and its last 24 hours as a strip, the
//! collectors, the month's downtime) and `keys/<key>.html` (a key's month as a
//! strip and its events) — written to a folder beside DIR and swapped in, so
//! a web server never serves half of it (`output::site`).

use std::collections::{BTreeMap, HashSet};
use std::fmt::Write as _;
use std::path::Path;

use anyhow::Result;

use super::report::{downtime, gaps, history, status, windows, Select};
use crate::config::Config;
use crate::output::html::{escape, page, table, SORT_SCRIPT};
use crate::output::site::Site;
use crate::output::table::local_time;
use crate::output::{Report, Value};
use crate::report::accounting::{status_at, Gaps};
use crate::report::history::History;
use crate::report::timeline::{segments, Part};
use crate::report::window::{self, Spec, Window};
use crate::store::query::KeyRow;
use crate::store::Store;
use crate::time::rfc3339;

/// The strips' colours, and their legend.
const STRIP_STYLE: &str = "th{cursor:pointer}svg.strip{display:block;width:32rem;height:.9rem}\
svg .up{fill:#2da44e}svg .down{fill:#cf222e}svg .unknown{fill:#d4a72c}\
svg .maintenance{fill:#8250df}svg .unobserved{fill:#d0d7de}svg .inactive{fill:#8c959f}svg .retired{fill:#57606a}\
span.key{display:inline-block;width:.8rem;height:.8rem;margin:0 .3rem 0 1rem;vertical-align:middle}\
span.up{background:#2da44e}span.down{background:#cf222e}span.unknown{background:#d4a72c}\
span.maintenance{background:#8250df}span.unobserved{background:#d0d7de}\
span.inactive{background:#8c959f}span.retired{background:#57606a}";

/// More keys than this: the index's strips are only the keys not up (every
/// key keeps its own page).
const INDEX_MAX: usize = 2000;

const PARTS: [Part; 7] = [
    Part::Up,
    Part::Down,
    Part::Unknown,
    Part::Maintenance,
    Part::Unobserved,
    Part::Inactive,
    Part::Retired,
];

/// A key's file name: every byte outside `[A-Za-z0-9.-]` percent-encoded, so
/// that no key can name a path outside `keys/`.
pub fn file_name(exporter: &str, interface: &str) -> String {
    let key = if interface.is_empty() {
        exporter.to_owned()
    } else {
        format!("{exporter}/{interface}")
    };
    let mut out = String::new();
    for b in key.bytes() {
        if b.is_ascii_alphanumeric() || b == b'-' || b == b'.' {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    format!("{out}.html")
}

/// One strip: an inline SVG, 1000 units wide for the window, a rect per segment.
fn strip(segs: &[(i64, i64, Part)], (from, to): (i64, i64)) -> String {
    let len = (to - from).max(1) as f64;
    let mut out = String::from(
        "<svg class=\"strip\" viewBox=\"0 0 1000 10\" preserveAspectRatio=\"none\" role=\"img\">",
    );
    for &(a, b, part) in segs {
        let x = (a - from) as f64 * 1000.0 / len;
        let w = (b - a) as f64 * 1000.0 / len;
        let _ = write!(
            out,
            "<rect class=\"{p}\" x=\"{x:.3}\" width=\"{w:.3}\" height=\"10\" data-seconds=\"{s}\">\
             <title>{p} {} to {}</title></rect>",
            rfc3339(a),
            rfc3339(b),
            p = part.as_str(),
            s = b - a
        );
    }
    out.push_str("</svg>");
    out
}

/// `2026-11-01 12:00:00 to 2026-11-02 12:00:00`: what a strip spans, in the
/// tables' time zone.
fn span_label((from, to): (i64, i64)) -> String {
    format!("{} to {}", local_time(from), local_time(to))
}

fn legend() -> String {
    let mut out = String::from("<p class=\"note\">");
    for p in PARTS {
        let _ = write!(out, "<span class=\"key {0}\"></span>{0}", p.as_str());
    }
    out.push_str("</p>\n");
    out
}

/// Everything the pages draw from, read once.
struct Data {
    h: History,
    month: Window,
    day: (i64, i64),
    gaps_month: Gaps,
    gaps_day: Gaps,
    windows: Vec<crate::maintenance::Window>,
}

fn data(cfg: &Config, store: &Store, now: i64) -> Result<Data> {
    let month = window::resolve(Spec::Month, now)?;
    let day = (now - 86_400, now);
    Ok(Data {
        h: History::load(store, month.from, true)?,
        gaps_month: gaps(store, cfg, month.from, now)?,
        gaps_day: gaps(store, cfg, day.0, day.1)?,
        windows: windows(store, cfg, month.from, now)?,
        month,
        day,
    })
}

/// A key's segments over `(from, to)`.
fn key_segments(
    d: &Data,
    sel: &Select,
    id: i64,
    (from, to): (i64, i64),
    gaps: &Gaps,
) -> Vec<(i64, i64, Part)> {
    let k = d.h.key(id).expect("a loaded key");
    let events = d.h.events_of(id);
    let start = status_at(events.iter().map(|e| (e.at, e.prev)), k.status, from);
    let changes: Vec<(i64, crate::model::Status)> = events
        .iter()
        .map(|e| (e.at, e.kind.after(e.prev)))
        .collect();
    let owner = d.h.owner(k);
    let spans =
        crate::maintenance::key_spans(&d.windows, |w| sel.in_window(w, &k.key, owner), from, to);
    segments(start, &changes, (from, to), gaps, &Gaps::from_spans(spans))
}

fn index(cfg: &Config, store: &Store, d: &Data, sel: &Select) -> Result<String> {
    let keys: Vec<&(i64, KeyRow)> =
        d.h.keys
            .iter()
            .filter(|(_, k)| sel.accepts(&k.key))
            .collect();
    let many = keys.len() > INDEX_MAX;
    let mut now = status::run(store, cfg, None, sel)?;
    // The month's downtime from the history already loaded.
    let accounts = downtime::accounts(&d.h, d.month, &d.gaps_month, sel, &d.windows);
    let mut month = downtime::per_key(&accounts, !many, sel);
    let mut body = String::from("<h1>fcstats</h1>\n");
    // Over INDEX_MAX keys: only those `thin` lists.
    let listed = many.then(|| {
        let (line, keys) = thin(&mut now, &mut month);
        body.push_str(&line);
        keys
    });
    body.push_str("<h2>Exporters now</h2>\n");
    body.push_str(&table(&now));
    let _ = write!(
        body,
        "<h2>The last 24 hours</h2>\n{}<table>\n<thead><tr><th>exporter</th><th>interface</th>\
         <th>{}</th></tr></thead>\n<tbody>\n",
        legend(),
        escape(&span_label(d.day))
    );
    let shown = |k: &KeyRow| {
        listed
            .as_ref()
            .is_none_or(|l| l.contains(&(k.key.exporter.clone(), k.key.interface.clone())))
    };
    for (id, k) in keys.into_iter().filter(|(_, k)| shown(k)) {
        body.push_str(&strip_row(d, sel, *id, k));
    }
    body.push_str("</tbody>\n</table>\n<h2>Collectors</h2>\n");
    body.push_str(&table(&super::report::collectors::run(store, cfg)?));
    body.push_str("<h2>Downtime over the last month</h2>\n");
    body.push_str(&table(&month));
    body.push_str(SORT_SCRIPT);
    Ok(page("fcstats", STRIP_STYLE, &body))
}

/// A key's row of the 24-hour strips; its strip's cell sorts by the day's
/// down seconds.
fn strip_row(d: &Data, sel: &Select, id: i64, k: &KeyRow) -> String {
    let segs = key_segments(d, sel, id, d.day, &d.gaps_day);
    let down: i64 = segs
        .iter()
        .filter(|s| s.2 == Part::Down)
        .map(|s| s.1 - s.0)
        .sum();
    format!(
        "<tr><td><a href=\"keys/{}\">{}</a></td><td>{}</td><td data-sort=\"{down}\">{}</td></tr>\n",
        escape(&file_name(&k.key.exporter, &k.key.interface)),
        escape(&k.key.exporter),
        escape(k.key.interface_shown()),
        strip(&segs, d.day)
    )
}

/// Over `INDEX_MAX` keys, the index lists only the keys not up (now and in
/// the strips; at most `INDEX_MAX`, the status table's first) and the
/// `INDEX_MAX` with the most downtime in the month. Returns the line that
/// counts every key by state and says so, and the keys listed.
fn thin(now: &mut Report, month: &mut Report) -> (String, HashSet<(String, String)>) {
    let col = |name: &str| {
        now.columns
            .iter()
            .position(|c| *c == name)
            .expect("a column of report status")
    };
    let (state, exporter, interface) = (col("state"), col("exporter"), col("interface"));
    let text = |v: &Value| match v {
        Value::Text(s) | Value::Noted(s, _) => s.clone(),
        _ => String::new(),
    };
    let word = |v: &Value| text(v).split(' ').next().unwrap_or("").to_owned();
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for row in &now.rows {
        *counts.entry(word(&row[state])).or_default() += 1;
    }
    let total = now.rows.len();
    now.rows.retain(|row| word(&row[state]) != "up");
    let not_up = now.rows.len();
    now.rows.truncate(INDEX_MAX);
    let listed = now
        .rows
        .iter()
        .map(|row| (text(&row[exporter]), text(&row[interface])))
        .collect();
    let with_downtime = month.rows.len();
    month.rows.truncate(INDEX_MAX);
    let counts: Vec<String> = counts.iter().map(|(s, n)| format!("{n} {s}")).collect();
    let line = format!(
        "<p class=\"note\">{total} keys: {}. Listed here: {} of the {not_up} keys not up, and \
         the {} with the most downtime in the last month (of {with_downtime} with any); every key \
         has its page in keys/.</p>\n",
        counts.join(", "),
        now.rows.len(),
        month.rows.len()
    );
    (line, listed)
}

fn key_page(d: &Data, sel: &Select, id: i64) -> String {
    let k = d.h.key(id).expect("a loaded key");
    let title = if k.key.interface.is_empty() {
        k.key.exporter.clone()
    } else {
        format!("{} {}", k.key.exporter, k.key.interface)
    };
    let segs = key_segments(d, sel, id, (d.month.from, d.month.to), &d.gaps_month);
    let events = history::build_for(&d.h, d.month, sel, &d.windows, Some(id));
    let body = format!(
        "<p><a href=\"../index.html\">fcstats</a></p>\n<h1>{}</h1>\n<h2>The last month</h2>\n{}\
         <p class=\"note\">{}</p>\n{}\n<h2>Events</h2>\n{}",
        escape(&title),
        legend(),
        escape(&span_label((d.month.from, d.month.to))),
        strip(&segs, (d.month.from, d.month.to)),
        table(&events)
    );
    page(&title, STRIP_STYLE, &(body + SORT_SCRIPT))
}

/// Writes the pages into `dir` (replaced whole, atomically: `output::site`).
pub fn write(cfg: &Config, store: &Store, dir: &Path, now: i64) -> Result<()> {
    let sel = Select::all(&cfg.exporters);
    let d = data(cfg, store, now)?;
    let site = Site::open(dir)?;
    site.folder(Path::new("keys"))?;
    site.put(Path::new("index.html"), &index(cfg, store, &d, &sel)?)?;
    let mut names = HashSet::new();
    for (id, k) in d.h.keys.iter().filter(|(_, k)| sel.accepts(&k.key)) {
        let name = file_name(&k.key.exporter, &k.key.interface);
        site.put(&Path::new("keys").join(&name), &key_page(&d, &sel, *id))?;
        names.insert(name);
    }
    site.keep_only(Path::new("keys"), &names)?;
    site.publish()
}

/// `fcstats page --out DIR`.
pub fn run(cfg: &Config, db: &Path, out: &Path, now: Option<i64>) -> Result<i32> {
    let store = Store::open_existing(db)?;
    write(cfg, &store, out, now.unwrap_or_else(crate::time::now))?;
    Ok(crate::exit::OK)
}
