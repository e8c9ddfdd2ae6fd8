//! `fcstats demo`: the whole pipeline with no setup. Two simulated collectors
//! write their files into a temp dir; real polls run over four scripted hours
//! (`poll --at`); then every report is printed.

use std::fmt::Write as _;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

use crate::cli::{KeyArgs, OutputArgs, ReportCommand, StateFilter, WindowArgs};
use crate::config;
use crate::exit;
use crate::time::rfc3339;

/// 2026-11-02T08:00:00Z: the scripted morning starts here.
const START: i64 = 1_793_606_400;
const STEP: i64 = 300;
const END: i64 = START + 4 * 3600;

/// One collector's file at poll time `at`: `None` for a file caught mid-rewrite.
fn rows(collector: &str, at: i64) -> Option<Vec<(&'static str, u64)>> {
    let m = (at - START) / 60; // minutes into the morning
    let mut out = Vec::new();
    if collector == "fc-east" {
        out.push(("10.0.0.1", 120_000));
        // Migrates to fc-west at 09:00: fc-east keeps listing it at 0.
        out.push(("10.0.0.2", if m < 60 { 80_000 } else { 0 }));
        // An outage from 08:30 to 09:15.
        out.push(("10.0.0.3", if (30..75).contains(&m) { 0 } else { 50_000 }));
        // First seen down; comes up at 09:30.
        out.push(("10.0.0.5", if m < 90 { 0 } else { 30_000 }));
        // A lab exporter, ignored (`ignore:`): down from 09:00, in no report.
        out.push(("10.0.0.7", if m < 60 { 10_000 } else { 0 }));
    } else {
        // fc-west's file is cut while it is rewritten from 10:40 to 10:50.
        if (160..170).contains(&m) {
            return None;
        }
        if m >= 60 {
            out.push(("10.0.0.2", 80_000));
        }
        // Flaps every poll from 10:00 to 10:30.
        let flapping = (120..150).contains(&m) && (m / 5) % 2 == 0;
        out.push(("10.0.0.4", if flapping { 0 } else { 64_000 }));
        // Vanishes from every file at 11:00: unknown for that poll (a file
        // cut on a line boundary looks the same), down from 11:05.
        if m < 180 {
            out.push(("10.0.0.6", 20_000));
        }
        // Configured on the collector but never sent anything (`Last
        // Active` 0, see `write_file`): inactive, not down.
        out.push((NEVER_ACTIVE, 0));
    }
    Some(out)
}

/// The exporter whose row says `Last Active` 0.
const NEVER_ACTIVE: &str = "10.0.0.8";

fn write_file(path: &Path, rows: Option<Vec<(&str, u64)>>) -> Result<()> {
    let mut text = format!("{}\n", crate::testdata::COLUMNS.join("\t"));
    match rows {
        Some(rows) => {
            for (exporter, bps) in rows {
                let zeros = "\t0".repeat(41);
                let active = if exporter == NEVER_ACTIVE { 0 } else { START };
                let _ = writeln!(
                    text,
                    "{exporter}\t{active}{zeros}\t{bps}\t{}\t{bps}",
                    bps * 2
                );
            }
        }
        None => text.push_str("10.0.0.2\t1793606400\t1\t4"),
    }
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))
}

fn window() -> WindowArgs {
    WindowArgs {
        since: None,
        month: false,
        from: Some(START),
        to: Some(END),
        now: Some(END),
    }
}

/// The folder the demo runs in: a temp dir removed afterwards, or `keep`.
enum Place {
    Temp(tempfile::TempDir),
    Kept(PathBuf),
}

impl Place {
    fn new(keep: Option<&Path>) -> Result<Place> {
        let Some(dir) = keep else {
            return Ok(Place::Temp(
                tempfile::Builder::new().prefix("fcstats-demo-").tempdir()?,
            ));
        };
        let empty = match std::fs::read_dir(dir) {
            Ok(mut entries) => entries.next().is_none(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => true,
            Err(e) => bail!("cannot use {} for the demo: {e}", dir.display()),
        };
        if !empty {
            bail!(
                "{} is not empty: give --keep a new folder (or remove that one) so that no file of yours is overwritten",
                dir.display()
            );
        }
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        Ok(Place::Kept(std::path::absolute(dir)?))
    }

    fn path(&self) -> &Path {
        match self {
            Place::Temp(t) => t.path(),
            Place::Kept(p) => p,
        }
    }
}

/// Writes the playground's config into `dir` and runs the scripted polls.
fn play(dir: &Path) -> Result<config::Config> {
    let cfg_path = dir.join("config.yaml");
    // Names and sites (SPEC §9): a network for the branch, one address more
    // specific than it; 10.0.0.5 and 10.0.0.6 are in no row.
    std::fs::write(
        dir.join("inventory.csv"),
        "exporter,name,site,owner\n10.0.0.0/30,branch router,branch,netops\n\
         10.0.0.1,core-1,hq,netops\n10.0.0.4,edge-4,hq,\n10.0.0.8,spare-8,hq,netops\n",
    )?;
    std::fs::write(
        &cfg_path,
        "interval: 5m\ndatabase: demo.db\nstale_after: 0\ninventory: inventory.csv\n\
         ignore:\n  - {exporter: 10.0.0.7}\nssh: {retries: 0}\ncollectors:\n  \
         - {name: fc-east, local: fc-east.txt}\n  - {name: fc-west, local: fc-west.txt}\n",
    )?;
    let cfg = config::load(&cfg_path)?;
    log::info!(
        "demo: two collectors in {}, polled every 5 minutes from {} to {} (no polls from 11:10 to 11:40)",
        dir.display(),
        rfc3339(START),
        rfc3339(END)
    );
    let mut at = START;
    while at <= END {
        let minute = (at - START) / 60;
        if !(190..220).contains(&minute) {
            for c in ["fc-east", "fc-west"] {
                write_file(&dir.join(format!("{c}.txt")), rows(c, at))?;
            }
            super::poll::run(&cfg, &cfg.database, Some(at))?;
        }
        at += STEP;
    }
    Ok(cfg)
}

/// Every report, each under a title naming its flags.
fn reports(out: &OutputArgs) -> [(&'static str, ReportCommand); 6] {
    let fmt = || OutputArgs {
        format: out.format,
        no_header: out.no_header,
    };
    let keys = || KeyArgs {
        exporter: None,
        interface: None,
        site: None,
        name: None,
    };
    let downtime = |total: bool| ReportCommand::Downtime {
        window: window(),
        keys: keys(),
        total,
        all: !total,
        out: fmt(),
    };
    [
        (
            "report status",
            ReportCommand::Status {
                state: None::<StateFilter>,
                keys: keys(),
                out: fmt(),
            },
        ),
        (
            "report collectors",
            ReportCommand::Collectors { out: fmt() },
        ),
        (
            "report down",
            ReportCommand::Down {
                window: window(),
                keys: keys(),
                out: fmt(),
            },
        ),
        (
            "report up",
            ReportCommand::Up {
                window: window(),
                keys: keys(),
                out: fmt(),
            },
        ),
        ("report downtime --all", downtime(false)),
        ("report downtime --total", downtime(true)),
    ]
}

pub fn run(out: &OutputArgs, keep: Option<&Path>) -> Result<i32> {
    let place = Place::new(keep)?;
    let cfg = play(place.path())?;
    let window_text = format!(
        "--from {} --to {} --now {}",
        rfc3339(START),
        rfc3339(END),
        rfc3339(END)
    );
    for (title, cmd) in reports(out) {
        let args = if title.contains("status") || title.contains("collectors") {
            ""
        } else {
            &window_text
        };
        {
            let mut stdout = std::io::stdout().lock();
            writeln!(
                stdout,
                "\n== fcstats {}",
                format!("{title} {args}").trim_end()
            )?;
            stdout.flush()?;
        }
        super::report::run(&cfg, &cfg.database, &cmd)?;
    }
    if let Place::Kept(dir) = &place {
        log::info!(
            "demo: the playground is kept in {}: `cd` there and try `fcstats report status`, \
             `fcstats report down --since 4h --now {}`, `fcstats poll`",
            dir.display(),
            rfc3339(END)
        );
    }
    Ok(exit::OK)
}
