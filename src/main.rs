//! fcstats: parse arguments, set up logging, dispatch, map errors to exit codes.

use clap::parser::ValueSource;
use clap::{CommandFactory, FromArgMatches};

use fcstats::cli::{Cli, Command, ConfigCommand, DbCommand, ImportCommand};
use fcstats::{cmd, exit, logging};

/// Stderr's level from -v/-q; `None` when neither was given.
fn flag_level(cli: &Cli) -> Option<log::LevelFilter> {
    match (cli.quiet, cli.verbose) {
        (true, _) => Some(log::LevelFilter::Warn),
        (false, 0) => None,
        (false, 1) => Some(log::LevelFilter::Debug),
        _ => Some(log::LevelFilter::Trace),
    }
}

/// `db_source`: where `--db` came from (flag or `$FCSTATS_DB`), if given.
fn run(cli: &Cli, db_source: Option<ValueSource>) -> anyhow::Result<i32> {
    match &cli.command {
        Command::Demo { keep, out } => return cmd::demo::run(out, keep.as_deref()),
        Command::Completions { shell } => return cmd::docs::completions(*shell),
        Command::Man { dir } => return cmd::docs::man(dir.as_deref()),
        Command::Check {
            warning,
            critical,
            unknown_after,
            keys,
        } => {
            return cmd::check::run(&cmd::check::Args {
                config: cli.config.as_deref(),
                db: cli.db.as_deref(),
                warning: warning.as_deref(),
                critical: critical.as_deref(),
                unknown_after: unknown_after.as_deref(),
                keys,
            })
        }
        _ => {}
    }
    let mut cfg = cmd::load_config(cli.config.as_deref())?;
    if let Command::Poll {
        page: Some(dir), ..
    } = &cli.command
    {
        cfg.page.dir = Some(dir.clone());
    }
    // The config's level also rules stderr when no flag (or RUST_LOG) says otherwise.
    // The log file and syslog are for the commands that do the job (cron).
    let stderr = flag_level(cli).or(Some(cfg.log.level));
    let sinks = matches!(cli.command, Command::Poll { .. });
    logging::attach(&cfg.log, stderr, sinks)?;
    match &cli.command {
        Command::Poll { at, every, .. } => {
            let db = cmd::database(cli.db.as_deref(), &cfg);
            if let Some(every) = every {
                return cmd::schedule::run(&cfg, &db, every.unwrap_or(cfg.interval));
            }
            cmd::poll::run(&cfg, &db, *at)
        }
        Command::Report { command } => {
            cmd::report::run(&cfg, &cmd::database(cli.db.as_deref(), &cfg), command)
        }
        Command::Alerts { test, out } => {
            cmd::alerts::run(&cfg, &cmd::database(cli.db.as_deref(), &cfg), *test, out)
        }
        Command::Demo { .. }
        | Command::Completions { .. }
        | Command::Man { .. }
        | Command::Check { .. } => {
            unreachable!("handled before the config is read")
        }
        Command::Page { out, now } => {
            cmd::page::run(&cfg, &cmd::database(cli.db.as_deref(), &cfg), out, *now)
        }
        Command::Metrics => cmd::metrics::run(&cfg, &cmd::database(cli.db.as_deref(), &cfg)),
        Command::Maintenance { command } => {
            cmd::maintenance::run(&cfg, &cmd::database(cli.db.as_deref(), &cfg), command)
        }
        Command::Import {
            command: ImportCommand::LegacyCsv { file, tz },
        } => cmd::import::legacy_csv(&cfg, &cmd::database(cli.db.as_deref(), &cfg), file, *tz),
        Command::Db {
            command: DbCommand::Undo { after },
        } => cmd::db::undo(&cmd::database(cli.db.as_deref(), &cfg), *after),
        Command::Config {
            command: ConfigCommand::Check,
        } => {
            let db = cmd::database(cli.db.as_deref(), &cfg);
            let from = match db_source {
                Some(ValueSource::CommandLine) => "--db".to_string(),
                Some(ValueSource::EnvVariable) => "$FCSTATS_DB".to_string(),
                _ => format!("database: in {}", cfg.file.display()),
            };
            cmd::config_check::run(&cfg, &db, &from)
        }
    }
}

/// Whether the command line names `check` as its command (global options
/// and their values skipped).
fn is_check() -> bool {
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "-c" | "--config" | "--db" => {
                args.next();
            }
            a if a.starts_with('-') => {}
            a => return a == "check",
        }
    }
    false
}

fn main() {
    let parsed = Cli::command()
        .try_get_matches()
        .and_then(|m| Cli::from_arg_matches(&m).map(|cli| (cli, m.value_source("db"))));
    let (cli, db_source) = match parsed {
        Ok(parsed) => parsed,
        Err(e) if e.use_stderr() && is_check() => {
            // A plugin's bad arguments are UNKNOWN, said on stdout.
            let first = e.to_string();
            let first = first.lines().next().unwrap_or("bad arguments");
            println!("FCSTATS UNKNOWN - {}", first.trim_start_matches("error: "));
            std::process::exit(3);
        }
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
    let code = match run(&cli, db_source) {
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
