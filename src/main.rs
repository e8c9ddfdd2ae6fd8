//! fcstats: parse arguments, set up logging, dispatch, map errors to exit codes.

mod aggregate;
mod cli;
mod cmd;
mod config;
mod exit;
mod model;
mod output;
mod report;
mod source;
mod state;
mod stats;
mod store;
mod time;

use std::io::Write;

use clap::Parser;

use cli::{Cli, Command, ConfigCommand};

fn init_logging(cli: &Cli) {
    let level = match (cli.quiet, cli.verbose) {
        (true, _) => log::LevelFilter::Warn,
        (false, 0) => log::LevelFilter::Info,
        (false, 1) => log::LevelFilter::Debug,
        _ => log::LevelFilter::Trace,
    };
    // The logger passes everything; the level is log's max level, so that the
    // config's `log.level` can still change it.
    let mut b = env_logger::Builder::new();
    b.filter_level(log::LevelFilter::Trace)
        .format(|f, r| match r.level() {
            log::Level::Info => writeln!(f, "fcstats: {}", r.args()),
            log::Level::Warn => writeln!(f, "fcstats: warning: {}", r.args()),
            l => writeln!(
                f,
                "fcstats: {}: {}",
                l.as_str().to_ascii_lowercase(),
                r.args()
            ),
        });
    let rust_log = std::env::var("RUST_LOG").ok();
    if let Some(filters) = &rust_log {
        b.parse_filters(filters);
    }
    b.init();
    if rust_log.is_none() {
        log::set_max_level(level);
    }
}

/// The config's `log.level` applies unless -v, -q or RUST_LOG said otherwise.
fn apply_config_level(cli: &Cli, level: log::LevelFilter) {
    if !cli.quiet && cli.verbose == 0 && std::env::var_os("RUST_LOG").is_none() {
        log::set_max_level(level);
    }
}

fn run(cli: &Cli) -> anyhow::Result<i32> {
    if let Command::Demo { out } = &cli.command {
        return cmd::demo::run(out);
    }
    let cfg = cmd::load_config(cli.config.as_deref())?;
    apply_config_level(cli, cfg.log.level);
    match &cli.command {
        Command::Poll { at } => {
            let at = at.as_deref().map(time::parse).transpose()?;
            cmd::poll::run(&cfg, &cmd::database(cli.db.as_deref(), &cfg), at)
        }
        Command::Report { command } => {
            cmd::report::run(&cfg, &cmd::database(cli.db.as_deref(), &cfg), command)
        }
        Command::Demo { .. } => unreachable!("handled before the config is read"),
        Command::Config {
            command: ConfigCommand::Check,
        } => cmd::config_check::run(&cfg),
    }
}

fn main() {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() {
                exit::USAGE
            } else {
                exit::OK
            };
            e.print().ok();
            std::process::exit(code);
        }
    };
    init_logging(&cli);
    let code = match run(&cli) {
        Ok(code) => code,
        Err(e) if exit::is_broken_pipe(&e) => exit::OK,
        Err(e) => {
            let code = exit::for_error(&e);
            if code == exit::LOCKED {
                log::warn!("{e}");
            } else {
                log::error!("{e:#}");
            }
            code
        }
    };
    std::process::exit(code);
}
