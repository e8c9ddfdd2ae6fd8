//! The command line (SPEC §6). Scripts depend on these names: add, never rename.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::config::Dur;
use crate::output::FormatName;

/// A time flag (`--at`, `--from`, `--to`, `--now`), parsed by clap so that a
/// bad value is a usage error (exit 2) naming the flag.
fn time_arg(s: &str) -> Result<i64, String> {
    crate::time::parse(s).map_err(|e| e.to_string())
}

/// A duration flag (`--since`, `--every`): `10m`, `24h`, `7d`, `2w`, `1h30m`.
fn dur_arg(s: &str) -> Result<Dur, String> {
    Dur::parse(s)
}

/// A time zone flag (`--tz`): an IANA name such as `Europe/Berlin` or `UTC`.
pub fn tz_arg(s: &str) -> Result<chrono_tz::Tz, String> {
    s.parse::<chrono_tz::Tz>().map_err(|_| {
        format!("unknown time zone `{s}`: give an IANA name such as Europe/Berlin, America/New_York or UTC")
    })
}

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
    /// Config file [default: ./config.yaml, else /etc/fcstats/config.yaml, else /app/config.yaml]
    #[arg(
        short,
        long,
        global = true,
        value_name = "FILE",
        env = "FCSTATS_CONFIG"
    )]
    pub config: Option<PathBuf>,

    /// SQLite database [default: `database:` from the config]
    #[arg(long, global = true, value_name = "FILE", env = "FCSTATS_DB")]
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
        #[arg(long, value_name = "TIME", value_parser = time_arg)]
        at: Option<i64>,

        /// Keep running: poll now, then every DUR [default: the config's
        /// interval] on the interval's boundaries (no drift); SIGTERM or SIGINT
        /// stops it between polls. For `docker run` without cron
        #[arg(long, value_name = "DUR", num_args = 0..=1, conflicts_with = "at", value_parser = dur_arg)]
        every: Option<Option<Dur>>,

        /// Also write the status pages into DIR after every poll (as `fcstats
        /// page --out DIR`); overrides the config's `page: {dir:}`
        #[arg(long, value_name = "DIR")]
        page: Option<PathBuf>,
    },
    /// A Nagios/Icinga plugin: OK, WARNING, CRITICAL or UNKNOWN from the
    /// database (it never polls); exit 0, 1, 2 or 3
    Check {
        /// Warning when the number of down keys is outside RANGE
        /// (monitoring-plugins syntax: 10, 10:, ~:10, 10:20, @10:20) [default: 0]
        #[arg(long, value_name = "RANGE", allow_hyphen_values = true)]
        warning: Option<String>,
        /// Critical when the number of down keys is outside RANGE [default: 0:
        /// any down key]
        #[arg(long, value_name = "RANGE", allow_hyphen_values = true)]
        critical: Option<String>,
        /// UNKNOWN when the last poll is older than DUR [default: max_gap]
        #[arg(long, value_name = "DUR")]
        unknown_after: Option<String>,
        #[command(flatten)]
        keys: KeyArgs,
    },
    /// Write the status pages: DIR/index.html (every key's state and last 24
    /// hours, the collectors, the month's downtime) and DIR/keys/*.html
    Page {
        /// The folder: a symlink to .DIR.a or .DIR.b beside it, the one written
        /// last (the other is written, then the symlink swapped)
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// As of TIME instead of now (RFC 3339, YYYY-MM-DD [HH:MM[:SS]], @UNIX)
        #[arg(long, value_name = "TIME", value_parser = time_arg)]
        now: Option<i64>,
    },
    /// Print the state of every key and collector in the Prometheus text
    /// format (what `metrics: {textfile:}` writes after every poll)
    Metrics,
    /// Answer a question from the recorded history
    Report {
        #[command(subcommand)]
        command: ReportCommand,
    },
    /// List the alerts waiting in the outbox (pending or failed)
    Alerts {
        /// Send a test event through every configured sink instead, and say how each went
        #[arg(long)]
        test: bool,
        #[command(flatten)]
        out: OutputArgs,
    },
    /// Run the whole pipeline on bundled data in a temp dir and print every report
    Demo {
        /// Keep the playground in DIR (a new or empty folder): its config.yaml,
        /// the two collectors' files and the database, for trying the other
        /// commands (`cd DIR && fcstats report status`)
        #[arg(long, value_name = "DIR")]
        keep: Option<PathBuf>,
        #[command(flatten)]
        out: OutputArgs,
    },
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell)
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff), or write one page per command into a folder
    Man {
        /// Write fcstats.1 and a page for every subcommand (fcstats-poll.1,
        /// fcstats-report-down.1, ...) into DIR instead, e.g.
        /// /usr/local/share/man/man1
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
    /// Declare planned work: no alerts, and down time reported as maintenance
    Maintenance {
        #[command(subcommand)]
        command: MaintenanceCommand,
    },
    /// Bring history from elsewhere into the database
    Import {
        #[command(subcommand)]
        command: ImportCommand,
    },
    /// Repair the database
    Db {
        #[command(subcommand)]
        command: DbCommand,
    },
    /// Work with the config file
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum MaintenanceCommand {
    /// Add a window: what it covers, when, and why
    Add {
        #[command(flatten)]
        scope: ScopeArgs,
        /// From now for DUR (e.g. 2h, 30m)
        #[arg(long = "for", value_name = "DUR", value_parser = dur_arg, conflicts_with_all = ["from", "to"])]
        duration: Option<Dur>,
        /// Start (RFC 3339, YYYY-MM-DD [HH:MM[:SS]] local, or @UNIXSECONDS)
        #[arg(long, value_name = "T", value_parser = time_arg, requires = "to")]
        from: Option<i64>,
        /// End (same forms as --from)
        #[arg(long, value_name = "T", value_parser = time_arg, requires = "from")]
        to: Option<i64>,
        /// Why (shown by `maintenance list`)
        #[arg(long, value_name = "TEXT")]
        reason: String,
    },
    /// The windows not yet ended (id, match, from, to, reason, who)
    List {
        /// Ended windows too
        #[arg(long)]
        all: bool,
        #[command(flatten)]
        out: OutputArgs,
    },
    /// End a window now
    End {
        /// The window's id (from `maintenance list`)
        id: i64,
    },
    /// Delete a window, as if it had never been
    Remove {
        /// The window's id (from `maintenance list`)
        id: i64,
    },
}

/// What a maintenance window covers: exactly one of these.
#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub struct ScopeArgs {
    /// An exporter, or the exporters in a network (CIDR)
    #[arg(long, value_name = "X")]
    pub exporter: Option<String>,
    /// The exporters the inventory puts at this site
    #[arg(long, value_name = "S")]
    pub site: Option<String>,
    /// The exporters whose inventory name matches (`*` and `?` allowed)
    #[arg(long, value_name = "GLOB")]
    pub name: Option<String>,
    /// A collector (no collector_failed alert) and the exporters it carries
    #[arg(long, value_name = "C")]
    pub collector: Option<String>,
    /// Everything
    #[arg(long)]
    pub all: bool,
}

#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Read the old Python tool's persistent_device_stats.csv (one row per
    /// change) into the history before fcstats's first poll, so that monthly
    /// reports cover the time before fcstats
    LegacyCsv {
        /// The old tool's file (header Exporter_Address,Current_NetFlow_bps,
        /// Status,Status_Change,Date_Changed)
        file: PathBuf,
        /// The time zone its naive times are in [default: this machine's]
        #[arg(long, value_name = "ZONE", value_parser = tz_arg)]
        tz: Option<chrono_tz::Tz>,
    },
}

#[derive(Debug, Subcommand)]
pub enum DbCommand {
    /// Remove every poll after TIME and what it recorded (events, collector
    /// health, alerts not yet sent), and put each key back as it was: the way
    /// back from polls recorded with a wrong (future) clock
    Undo {
        /// Keep polls up to and including TIME (RFC 3339, YYYY-MM-DD
        /// [HH:MM[:SS]] local, or @UNIXSECONDS)
        #[arg(long, value_name = "TIME", value_parser = time_arg)]
        after: i64,
    },
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Validate the config and print it resolved (defaults filled in, secrets masked)
    Check,
}

#[derive(Debug, Args)]
pub struct OutputArgs {
    /// Output format [default: table on a terminal, tsv without a header when piped]
    #[arg(long, value_enum)]
    pub format: Option<FormatName>,

    /// Leave out the header line (csv, tsv)
    #[arg(long)]
    pub no_header: bool,
}

#[derive(Debug, Args)]
pub struct WindowArgs {
    /// The last DUR (s, m, h, d, w units), e.g. 10m, 24h, 7d
    #[arg(long, value_name = "DUR", conflicts_with_all = ["month", "from"], value_parser = dur_arg)]
    pub since: Option<Dur>,

    /// From now minus one calendar month
    #[arg(long, conflicts_with = "from")]
    pub month: bool,

    /// Window start: RFC 3339, or YYYY-MM-DD [HH:MM[:SS]] in local time
    #[arg(long, value_name = "T", value_parser = time_arg)]
    pub from: Option<i64>,

    /// Window end [default: now]; same forms as --from
    #[arg(long, value_name = "T", requires = "from", value_parser = time_arg)]
    pub to: Option<i64>,

    /// Evaluate as of T instead of now (same forms as --from)
    #[arg(long, value_name = "T", value_parser = time_arg)]
    pub now: Option<i64>,
}

/// Which keys a report covers (SPEC §9): by address or network, interface,
/// and the inventory's site and name.
#[derive(Debug, Args)]
pub struct KeyArgs {
    /// Only this exporter, or the exporters in this network (CIDR, e.g. 10.1.0.0/16)
    #[arg(long, value_name = "X")]
    pub exporter: Option<String>,
    /// Only this interface (`-` or "" for none)
    #[arg(long, value_name = "Y")]
    pub interface: Option<String>,
    /// Only exporters the inventory puts at this site
    #[arg(long, value_name = "S")]
    pub site: Option<String>,
    /// Only exporters whose inventory name matches (`*` and `?` allowed)
    #[arg(long, value_name = "N")]
    pub name: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum StateFilter {
    Up,
    Down,
    Unknown,
    /// Listed, never sent anything (`Last Active` 0)
    Inactive,
    /// Down longer than `retire_after`
    Retired,
}

#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// The current state of every key, and the last poll's collectors
    Status {
        /// Only keys in this state
        #[arg(long, value_enum)]
        state: Option<StateFilter>,
        #[command(flatten)]
        keys: KeyArgs,
        #[command(flatten)]
        out: OutputArgs,
    },
    /// The health of every configured collector
    Collectors {
        #[command(flatten)]
        out: OutputArgs,
    },
    /// Every up->down transition in the window, newest first [default window: --since 10m]
    Down {
        #[command(flatten)]
        window: WindowArgs,
        #[command(flatten)]
        keys: KeyArgs,
        #[command(flatten)]
        out: OutputArgs,
    },
    /// Every event of the matching keys in the window, oldest first: baseline,
    /// down, up, unknown, known, moved, inactive, retired, maintenance_start,
    /// maintenance_end [default window: --since 24h]
    History {
        #[command(flatten)]
        window: WindowArgs,
        #[command(flatten)]
        keys: KeyArgs,
        #[command(flatten)]
        out: OutputArgs,
    },
    /// Every down->up transition in the window, with the outage's length [default window: --since 10m]
    Up {
        #[command(flatten)]
        window: WindowArgs,
        #[command(flatten)]
        keys: KeyArgs,
        #[command(flatten)]
        out: OutputArgs,
    },
    /// Cumulative downtime per key, most first [default window: --month]
    Downtime {
        #[command(flatten)]
        window: WindowArgs,
        #[command(flatten)]
        keys: KeyArgs,
        /// One summary row over all keys
        #[arg(long)]
        total: bool,
        /// Also list keys without downtime
        #[arg(long, conflicts_with = "total")]
        all: bool,
        #[command(flatten)]
        out: OutputArgs,
    },
}
