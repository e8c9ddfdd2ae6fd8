//! `fcstats report ...`: one file per report over the shared window and output layers.

mod collectors;
mod down;
mod downtime;
mod status;
mod transitions;
mod up;

use std::path::Path;

use anyhow::Result;

use crate::cli::{OutputArgs, ReportCommand, WindowArgs};
use crate::config::{Config, Dur};
use crate::exit;
use crate::output::{self, Report};
use crate::report::window::{self, Spec, Window};
use crate::store::Store;
use crate::time;

impl WindowArgs {
    /// The window these flags name, `default` when none is given.
    pub fn resolve(&self, default: Spec) -> Result<Window> {
        let now = self.now.unwrap_or_else(time::now);
        let spec = if let Some(d) = self.since {
            Spec::Since(d)
        } else if self.month {
            Spec::Month
        } else if let Some(from) = self.from {
            Spec::Range { from, to: self.to }
        } else {
            default
        };
        window::resolve(spec, now)
    }
}

fn print(report: &Report, out: &OutputArgs) -> Result<i32> {
    output::print(report, out.format, !out.no_header)?;
    Ok(exit::OK)
}

pub fn run(cfg: &Config, db: &Path, cmd: &ReportCommand) -> Result<i32> {
    let store = Store::open_existing(db)?;
    match cmd {
        ReportCommand::Status { state, out } => print(&status::run(&store, cfg, *state)?, out),
        ReportCommand::Collectors { out } => print(&collectors::run(&store, cfg)?, out),
        ReportCommand::Down { window, out } => {
            let w = window.resolve(Spec::Since(Dur(600)))?;
            print(&down::run(&store, w)?, out)
        }
        ReportCommand::Up { window, out } => {
            let w = window.resolve(Spec::Since(Dur(600)))?;
            print(&up::run(&store, w)?, out)
        }
        ReportCommand::Downtime {
            window,
            exporter,
            interface,
            total,
            all,
            out,
        } => {
            let w = window.resolve(Spec::Month)?;
            let filter = downtime::Filter {
                exporter: exporter.clone(),
                // `-` is how people see "no interface".
                interface: interface
                    .as_ref()
                    .map(|i| if i == "-" { String::new() } else { i.clone() }),
            };
            print(&downtime::run(&store, cfg, w, &filter, *total, *all)?, out)
        }
    }
}
