//! The command line (SPEC §6). Scripts depend on these names: add, never rename.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "fcstats",
    version,
    about = "Watch Stealthwatch Flow Collectors for NetFlow exporters that stop sending",
    long_about = "Reads each Flow Collector's exporter_device_stats.txt over SSH, decides for every \
                  exporter whether NetFlow is arriving, keeps the state in SQLite, and records every \
                  transition. Run `fcstats poll` from cron every few minutes.",
    after_help = "Exit codes: 0 success, 1 error, 2 usage, 3 poll done but some collectors failed, \
                  75 another poll holds the lock."
)]
pub struct Cli {
    /// Config file [default: ./config.yaml, else /etc/fcstats/config.yaml]
    #[arg(
        short,
        long,
        global = true,
        value_name = "FILE",
        env = "FCSTATS_CONFIG"
    )]
    pub config: Option<PathBuf>,

    /// SQLite database [default: `database:` from the config]
    #[arg(long, global = true, value_name = "FILE")]
    pub db: Option<PathBuf>,

    /// More detail on stderr (-v debug, -vv trace); RUST_LOG overrides
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    /// Only warnings and errors on stderr
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Read every collector once, record what changed, exit (run it from cron)
    Poll {
        /// Record the poll as taken at TIME instead of now (backfilling archived
        /// files); must be later than the last poll. RFC 3339, `YYYY-MM-DD
        /// [HH:MM[:SS]]` (local time) or @UNIXSECONDS
        #[arg(long, value_name = "TIME")]
        at: Option<String>,
    },
    /// Work with the config file
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Validate the config and print it resolved (defaults filled in, secrets masked)
    Check,
}
