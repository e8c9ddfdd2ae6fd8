//! `fcstats report ...`: one file per report over the shared window and output layers.

pub(crate) mod collectors;
mod down;
pub(crate) mod downtime;
pub(crate) mod history;
pub(crate) mod status;
mod transitions;
mod up;

use std::path::Path;

use anyhow::Result;

use crate::cli::{KeyArgs, OutputArgs, ReportCommand, WindowArgs};
use crate::config::{Config, Dur};
use crate::exit;
use crate::model::inventory::{Exporters, Inventory};
use crate::model::Key;
use crate::output::{self, Report, Value};
use crate::report::accounting::Gaps;
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

/// The keys a report covers, and their inventory names and sites.
pub struct Select<'a> {
    inventory: &'a Inventory,
    exporter: Option<Exporters>,
    /// `Some("")`: keys without an interface.
    interface: Option<String>,
    site: Option<String>,
    name: Option<wildmatch::WildMatch>,
}

impl<'a> Select<'a> {
    /// Every key.
    pub fn all(inventory: &'a Inventory) -> Select<'a> {
        Select {
            inventory,
            exporter: None,
            interface: None,
            site: None,
            name: None,
        }
    }

    pub fn new(inventory: &'a Inventory, args: &KeyArgs) -> Result<Select<'a>> {
        let exporter = match &args.exporter {
            Some(x) => Some(Exporters::parse(x).ok_or_else(|| {
                anyhow::anyhow!(
                    "--exporter: `{x}` is not an address, a CIDR (10.1.0.0/16) or an exporter"
                )
            })?),
            None => None,
        };
        Ok(Select {
            exporter,
            // `-` is how people see "no interface".
            interface: args.interface.as_ref().map(|i| {
                if i == "-" {
                    String::new()
                } else {
                    i.clone()
                }
            }),
            site: args.site.clone(),
            name: args.name.as_deref().map(wildmatch::WildMatch::new),
            ..Select::all(inventory)
        })
    }

    /// Ignored keys (`ignore:`) never are.
    pub fn accepts(&self, k: &Key) -> bool {
        let inv = self.inventory;
        if self
            .exporter
            .as_ref()
            .is_some_and(|x| x.covers(&k.exporter).is_none())
            || self.interface.as_ref().is_some_and(|i| *i != k.interface)
        {
            return false;
        }
        // The inventory's row, looked up once, and only when something asks.
        let needed = !inv.ignore.is_empty() || self.site.is_some() || self.name.is_some();
        let entry = if needed {
            inv.lookup(&k.exporter, &k.interface)
        } else {
            None
        };
        !inv.ignores(&k.exporter, &k.interface, entry)
            && self
                .site
                .as_ref()
                .is_none_or(|s| entry.and_then(|e| e.site.as_ref()) == Some(s))
            && self.name.as_ref().is_none_or(|n| {
                entry
                    .and_then(|e| e.name.as_deref())
                    .is_some_and(|name| n.matches(name))
            })
    }

    /// Whether a maintenance window covers `k` (`owner`: its collector).
    pub fn in_window(&self, w: &crate::maintenance::Window, k: &Key, owner: Option<&str>) -> bool {
        let entry = self.inventory.lookup(&k.exporter, &k.interface);
        w.scope.covers_key(&k.exporter, &k.interface, entry, owner)
    }

    /// `name` and `site` of `k` (empty where the inventory says nothing).
    pub fn labels(&self, k: &Key) -> [Value; 2] {
        let e = self.inventory.lookup(&k.exporter, &k.interface);
        let text = |v: Option<&String>| Value::text(v.cloned().unwrap_or_default());
        [
            text(e.and_then(|e| e.name.as_ref())),
            text(e.and_then(|e| e.site.as_ref())),
        ]
    }
}

/// The stretches of [from, to) without polls (longer than `max_gap`), less
/// those an import covers: what the accounting counts as unobserved.
pub fn gaps(store: &Store, cfg: &Config, from: i64, to: i64) -> Result<Gaps> {
    Ok(Gaps::new(
        &store.polls_around(from, to)?,
        from,
        to,
        cfg.max_gap.secs() as i64,
    )
    .covered(&store.imported_spans()?))
}

/// The maintenance windows (database and config) that overlap [from, to).
pub fn windows(
    store: &Store,
    cfg: &Config,
    from: i64,
    to: i64,
) -> Result<Vec<crate::maintenance::Window>> {
    let mut windows = store.windows(from, to)?;
    for r in &cfg.maintenance {
        windows.extend(r.occurrences(from, to));
    }
    Ok(windows)
}

fn print(report: &Report, out: &OutputArgs) -> Result<i32> {
    output::print(report, out.format, !out.no_header)?;
    Ok(exit::OK)
}

pub fn run(cfg: &Config, db: &Path, cmd: &ReportCommand) -> Result<i32> {
    let store = Store::open_existing(db)?;
    match cmd {
        ReportCommand::Status { state, keys, out } => {
            let sel = Select::new(&cfg.exporters, keys)?;
            print(&status::run(&store, cfg, *state, &sel)?, out)
        }
        ReportCommand::Collectors { out } => print(&collectors::run(&store, cfg)?, out),
        ReportCommand::Down { window, keys, out } => {
            let w = window.resolve(Spec::Since(Dur(600)))?;
            let sel = Select::new(&cfg.exporters, keys)?;
            print(&down::run(&store, w, &sel)?, out)
        }
        ReportCommand::Up { window, keys, out } => {
            let w = window.resolve(Spec::Since(Dur(600)))?;
            let sel = Select::new(&cfg.exporters, keys)?;
            print(&up::run(&store, w, &sel)?, out)
        }
        ReportCommand::History { window, keys, out } => {
            let w = window.resolve(Spec::Since(Dur(86_400)))?;
            let sel = Select::new(&cfg.exporters, keys)?;
            print(&history::run(&store, cfg, w, &sel)?, out)
        }
        ReportCommand::Downtime {
            window,
            keys,
            total,
            all,
            out,
        } => {
            let w = window.resolve(Spec::Month)?;
            let sel = Select::new(&cfg.exporters, keys)?;
            print(&downtime::run(&store, cfg, w, &sel, *total, *all)?, out)
        }
    }
}
