//! fcstats: parse arguments, set up logging, dispatch, map errors to exit codes.

use clap::Parser;

use fcstats::cli::{Cli, Command, ConfigCommand};
use fcstats::{cmd, config, exit, logging, time};

/// Stderr's level from -v/-q; `None` when neither was given.
fn flag_level(cli: &Cli) -> Option<log::LevelFilter> {
    match (cli.quiet, cli.verbose) {
        (true, _) => Some(log::LevelFilter::Warn),
        (false, 0) => None,
        (false, 1) => Some(log::LevelFilter::Debug),
        _ => Some(log::LevelFilter::Trace),
    }
}

fn run(cli: &Cli) -> anyhow::Result<i32> {
    match &cli.command {
        Command::Demo { out } => return cmd::demo::run(out),
        Command::Completions { shell } => return cmd::docs::completions(*shell),
        Command::Man => return cmd::docs::man(),
        _ => {}
    }
    let cfg = cmd::load_config(cli.config.as_deref())?;
    // The config's level also rules stderr when no flag (or RUST_LOG) says otherwise.
    // The log file and syslog are for the commands that do the job (cron).
    let stderr = flag_level(cli).or(Some(cfg.log.level));
    let sinks = matches!(cli.command, Command::Poll { .. });
    logging::attach(&cfg.log, stderr, sinks)?;
    match &cli.command {
        Command::Poll { at, every } => {
            let db = cmd::database(cli.db.as_deref(), &cfg);
            if let Some(every) = every {
                let every = match every.as_str() {
                    "" => cfg.interval,
                    d => config::Dur::parse(d).map_err(anyhow::Error::msg)?,
                };
                return cmd::schedule::run(&cfg, &db, every);
            }
            let at = at.as_deref().map(time::parse).transpose()?;
            cmd::poll::run(&cfg, &db, at)
        }
        Command::Report { command } => {
            cmd::report::run(&cfg, &cmd::database(cli.db.as_deref(), &cfg), command)
        }
        Command::Alerts { test, out } => {
            cmd::alerts::run(&cfg, &cmd::database(cli.db.as_deref(), &cfg), *test, out)
        }
        Command::Demo { .. } | Command::Completions { .. } | Command::Man => {
            unreachable!("handled before the config is read")
        }
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
    logging::init(flag_level(&cli).unwrap_or(log::LevelFilter::Info));
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
