//! Configuration (SPEC §7): YAML read into raw structs that reject unknown keys,
//! then resolved into the plain `Config` the rest of the program uses.

pub mod alerts;
mod legacy;
mod logcfg;
pub mod ssh;
pub mod units;

use std::collections::HashSet;
use std::fmt;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};

use crate::stats::Columns;
pub use logcfg::{LogConfig, SyslogConfig, SyslogFormat, SyslogServer};
pub use ssh::{Algorithms, Hop, HostKeyCheck, OneOrMany, Transfer};
pub use units::{ByteSize, Dur};

/// Where the config is looked for when neither `--config` nor `$FCSTATS_CONFIG`
/// is given (`/app/config.yaml` is where the old tool's container users mount it).
pub const SEARCH_PATH: [&str; 3] = [
    "./config.yaml",
    "/etc/fcstats/config.yaml",
    "/app/config.yaml",
];

/// A password that never prints.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(pub String);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("********")
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Password {
    None,
    /// Name of an environment variable holding it.
    Env(String),
    /// A file holding it (first line).
    File(PathBuf),
    /// Written in a legacy config (`fc_password`).
    Inline(Secret),
}

impl Serialize for Password {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Password::None => s.serialize_none(),
            Password::Env(v) => s.collect_str(&format_args!("env {v}")),
            Password::File(p) => s.collect_str(&format_args!("file {}", p.display())),
            Password::Inline(_) => s.serialize_str("******** (inline, legacy fc_password)"),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SshTarget {
    pub host: String,
    pub port: u16,
    pub user: String,
    pub path: String,
    pub identity: Vec<PathBuf>,
    pub agent: bool,
    pub password: Password,
    /// For encrypted identity files.
    pub passphrase: Password,
    /// Read in order; `accept-new` writes to the first.
    pub known_hosts: Vec<PathBuf>,
    pub host_key_check: HostKeyCheck,
    pub connect_timeout: Dur,
    pub timeout: Dur,
    pub algorithms: Algorithms,
    /// Only the identity files, never the agent.
    pub identities_only: bool,
    /// Jump hosts, outermost first (ProxyJump).
    pub jump: Vec<Hop>,
    pub transfer: Transfer,
    pub compression: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    Ssh(Box<SshTarget>),
    Local(PathBuf),
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Collector {
    pub name: String,
    #[serde(flatten)]
    pub source: Source,
    pub retries: u32,
    pub retry_delay: Dur,
    pub max_bytes: ByteSize,
    /// The whole read, retries included, ends by then (SPEC §8).
    pub deadline: Dur,
}

#[derive(Clone, Debug, Serialize)]
pub struct Config {
    #[serde(skip)]
    pub file: PathBuf,
    pub interval: Dur,
    pub database: PathBuf,
    pub stale_after: Dur,
    pub max_gap: Dur,
    pub parallel: usize,
    #[serde(serialize_with = "ser_columns")]
    pub columns: Columns,
    pub collectors: Vec<Collector>,
    pub log: LogConfig,
    pub alerts: Vec<alerts::AlertSink>,
    /// Undelivered alerts older than this are dropped (and logged).
    pub alert_max_age: Dur,
    /// Alert delivery after a poll stops when this is spent (SPEC §8).
    pub alert_budget: Dur,
    /// History (events, polls) older than this is pruned by each poll; 0 keeps all.
    pub retention: Dur,
    /// `inventory:`, the CSV naming exporters (SPEC §9); read at load time.
    pub inventory: Option<PathBuf>,
    /// `ignore:`, as read (also in `exporters`).
    pub ignore: Vec<crate::model::inventory::Ignore>,
    /// The inventory's rows and the ignore matchers.
    #[serde(skip)]
    pub exporters: crate::model::inventory::Inventory,
    /// Polls in a row before a down (up) transition is recorded.
    #[serde(serialize_with = "ser_confirm")]
    pub confirm: crate::state::Confirm,
    /// Opt-in signals besides up and down (SPEC §9).
    pub signals: Vec<crate::signals::Signal>,
    /// The Prometheus textfile (SPEC §11).
    pub metrics: Metrics,
    /// A GET after every poll that read a collector (SPEC §11).
    pub heartbeat: Option<Heartbeat>,
    /// The status pages, written after every poll (SPEC §12).
    pub page: Page,
    /// Recurring maintenance windows (SPEC §10).
    #[serde(serialize_with = "ser_maintenance")]
    pub maintenance: Vec<crate::maintenance::Recurring>,
    /// What a down transition is dated at (SPEC §9).
    pub outage_start: crate::state::OutageStart,
    /// A key down longer than this is retired (SPEC §9); `None`: never.
    pub retire_after: Option<Dur>,
    /// Said once on stderr when the config is loaded (legacy format, inline passwords).
    #[serde(skip)]
    pub warnings: Vec<String>,
}

impl Config {
    /// The state machine's rules.
    pub fn rules(&self) -> crate::state::Rules {
        crate::state::Rules {
            confirm: self.confirm,
            outage_start: self.outage_start,
            retire_after: self.retire_after.map(|d| d.secs() as i64),
        }
    }
}

fn ser_maintenance<S: serde::Serializer>(
    m: &[crate::maintenance::Recurring],
    s: S,
) -> Result<S::Ok, S::Error> {
    #[derive(Serialize)]
    struct View {
        #[serde(rename = "match")]
        scope: String,
        every: String,
        tz: String,
        reason: String,
    }
    s.collect_seq(m.iter().map(|r| View {
        scope: r.scope.text(),
        every: r.every.clone(),
        tz: r.tz.name().to_owned(),
        reason: r.reason.clone(),
    }))
}

fn ser_confirm<S: serde::Serializer>(c: &crate::state::Confirm, s: S) -> Result<S::Ok, S::Error> {
    #[derive(Serialize)]
    struct View {
        down: u32,
        up: u32,
    }
    View {
        down: c.down,
        up: c.up,
    }
    .serialize(s)
}

fn ser_columns<S: serde::Serializer>(c: &Columns, s: S) -> Result<S::Ok, S::Error> {
    #[derive(Serialize)]
    struct View<'a> {
        exporter: &'a str,
        interface: Option<&'a str>,
        bps: &'a str,
        last_active: Option<&'a str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        interface_count: Option<&'a str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        fps: Option<&'a str>,
    }
    View {
        exporter: &c.exporter,
        interface: c.interface.as_deref(),
        bps: &c.bps,
        last_active: c.last_active.as_deref(),
        interface_count: c.interfaces.as_deref(),
        fps: c.fps.as_deref(),
    }
    .serialize(s)
}

/// Declares the `ssh:` keys once; each collector may override any of them.
macro_rules! ssh_options {
    ($($field:ident : $ty:ty),* $(,)?) => {
        /// The `ssh:` section: every key optional.
        #[derive(Clone, Debug, Default, Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct SshOptions {
            $(#[serde(default)] pub $field: Option<$ty>,)*
        }

        impl SshOptions {
            /// These values, each falling back to `base`'s.
            fn or(self, base: &SshOptions) -> SshOptions {
                SshOptions { $($field: self.$field.or_else(|| base.$field.clone()),)* }
            }
        }

        /// One `collectors:` entry.
        #[derive(Clone, Debug, Default, Deserialize)]
        #[serde(deny_unknown_fields)]
        struct RawCollector {
            name: String,
            #[serde(default)]
            host: Option<String>,
            #[serde(default)]
            local: Option<String>,
            $(#[serde(default)] $field: Option<$ty>,)*
        }

        impl RawCollector {
            fn ssh(&self) -> SshOptions {
                SshOptions { $($field: self.$field.clone(),)* }
            }

            /// The ssh keys this entry sets.
            fn ssh_keys_set(&self) -> Vec<&'static str> {
                let mut set = Vec::new();
                $(if self.$field.is_some() { set.push(stringify!($field)); })*
                set
            }
        }
    };
}

ssh_options! {
    user: String,
    port: u16,
    path: String,
    identity: Vec<String>,
    agent: bool,
    password_env: String,
    password_file: String,
    passphrase_env: String,
    passphrase_file: String,
    known_hosts: OneOrMany,
    host_key_check: HostKeyCheck,
    connect_timeout: Dur,
    timeout: Dur,
    retries: u32,
    retry_delay: Dur,
    max_bytes: ByteSize,
    deadline: Dur,
    algorithms: Algorithms,
    identities_only: bool,
    jump: OneOrMany,
    transfer: Transfer,
    compression: bool,
    ssh_config: String,
}

/// Keys of `ssh:` that also apply to `local:` collectors.
const LOCAL_KEYS: [&str; 4] = ["retries", "retry_delay", "max_bytes", "deadline"];

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawColumns {
    exporter: Option<String>,
    interface: Option<String>,
    bps: Option<String>,
    /// Absent: the default name, optional in the file; `null` or empty: not
    /// read; a name: required in the file.
    #[serde(default, deserialize_with = "explicit_null")]
    last_active: Option<Option<String>>,
    /// Read for `signals:` only.
    interface_count: Option<String>,
    fps: Option<String>,
}

/// Tells an explicit `null` (`Some(None)`) from an absent key (`None`).
fn explicit_null<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfirm {
    down: Option<u32>,
    up: Option<u32>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    interval: Option<Dur>,
    #[serde(default)]
    database: Option<String>,
    #[serde(default)]
    stale_after: Option<Dur>,
    #[serde(default)]
    max_gap: Option<Dur>,
    #[serde(default)]
    parallel: Option<usize>,
    #[serde(default)]
    columns: RawColumns,
    #[serde(default)]
    ssh: SshOptions,
    #[serde(default)]
    collectors: Vec<RawCollector>,
    #[serde(default)]
    log: logcfg::RawLog,
    #[serde(default)]
    alerts: Vec<serde_yaml::Value>,
    #[serde(default)]
    alert_max_age: Option<Dur>,
    #[serde(default)]
    alert_budget: Option<Dur>,
    #[serde(default)]
    confirm: RawConfirm,
    #[serde(default)]
    retention: Option<Dur>,
    #[serde(default)]
    signals: Vec<crate::signals::Signal>,
    #[serde(default)]
    metrics: RawMetrics,
    #[serde(default)]
    heartbeat: Option<RawHeartbeat>,
    #[serde(default)]
    page: RawPage,
    #[serde(default)]
    maintenance: Vec<RawMaintenance>,
    #[serde(default)]
    outage_start: Option<crate::state::OutageStart>,
    #[serde(default)]
    retire_after: Option<Dur>,
    #[serde(default)]
    inventory: Option<String>,
    #[serde(default)]
    ignore: Vec<RawIgnore>,
}

/// `metrics:` as written (SPEC §11).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMetrics {
    #[serde(default)]
    textfile: Option<String>,
}

/// `page:` as written (SPEC §12).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPage {
    #[serde(default)]
    dir: Option<String>,
}

/// `page:` resolved.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Page {
    /// The folder the pages are written into (swapped in whole).
    pub dir: Option<PathBuf>,
}

/// `heartbeat:` as written (SPEC §11).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHeartbeat {
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    url_env: Option<String>,
    #[serde(default)]
    timeout: Option<Dur>,
}

/// `heartbeat:` resolved: where the URL comes from (it may carry a token).
#[derive(Clone, Debug)]
pub struct Heartbeat {
    url: Password,
    pub timeout: Dur,
}

impl Heartbeat {
    /// The URL (from the config, or its environment variable).
    pub fn url(&self) -> Result<String> {
        match &self.url {
            Password::Inline(u) => Ok(u.0.clone()),
            Password::Env(v) => std::env::var(v)
                .map_err(|_| anyhow::anyhow!("heartbeat: url_env names ${v}, which is not set")),
            _ => bail!("heartbeat: no url"),
        }
    }
}

impl Serialize for Heartbeat {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct View {
            url: String,
            timeout: Dur,
        }
        let url = match &self.url {
            Password::Inline(u) => crate::secret::url_shown(&u.0),
            Password::Env(v) => format!("env {v}"),
            _ => String::new(),
        };
        View {
            url,
            timeout: self.timeout,
        }
        .serialize(s)
    }
}

fn resolve_heartbeat(raw: Option<RawHeartbeat>) -> Result<Option<Heartbeat>> {
    let Some(h) = raw else { return Ok(None) };
    let url = match (h.url, h.url_env) {
        (Some(_), Some(_)) => bail!("heartbeat: set only one of url and url_env"),
        (Some(u), None) => Password::Inline(Secret(u)),
        (None, Some(v)) => Password::Env(env_name("heartbeat.url_env", v)?),
        (None, None) => {
            bail!("heartbeat: give url (or url_env, the name of a variable holding it)")
        }
    };
    Ok(Some(Heartbeat {
        url,
        timeout: h.timeout.unwrap_or(Dur(10)),
    }))
}

/// `metrics:` resolved.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Metrics {
    /// Written atomically after every poll (for node_exporter's textfile collector).
    pub textfile: Option<PathBuf>,
}

/// A recurring maintenance window as written (SPEC §10).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMaintenance {
    #[serde(rename = "match")]
    scope: RawIgnore,
    every: String,
    #[serde(default)]
    tz: Option<String>,
    #[serde(default)]
    reason: Option<String>,
}

/// One `ignore:` matcher, or what a recurring maintenance window covers,
/// as written (`collector` and `all` for windows only).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIgnore {
    #[serde(default)]
    exporter: Option<String>,
    #[serde(default)]
    interface: Option<String>,
    #[serde(default)]
    site: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    collector: Option<String>,
    #[serde(default)]
    all: bool,
}

/// The built-in `ssh:` defaults (SPEC §7).
fn ssh_defaults() -> SshOptions {
    SshOptions {
        user: Some("root".into()),
        port: Some(22),
        path: Some("/lancope/var/sw/today/data/exporter_device_stats.txt".into()),
        identity: Some(vec!["~/.ssh/id_ed25519".into(), "~/.ssh/id_rsa".into()]),
        agent: Some(true),
        password_env: None,
        password_file: None,
        passphrase_env: None,
        passphrase_file: None,
        known_hosts: Some(OneOrMany::Many(vec![
            "~/.ssh/known_hosts".into(),
            "/etc/ssh/ssh_known_hosts".into(),
        ])),
        host_key_check: Some(HostKeyCheck::Strict),
        connect_timeout: Some(Dur(10)),
        timeout: Some(Dur(60)),
        retries: Some(2),
        retry_delay: Some(Dur(5)),
        max_bytes: Some(ByteSize(256 << 20)),
        deadline: Some(Dur(120)),
        algorithms: Some(Algorithms::default()),
        identities_only: Some(false),
        jump: None,
        transfer: Some(Transfer::Auto),
        compression: Some(false),
        ssh_config: None,
    }
}

pub const DEFAULT_DATABASE: &str = "/var/lib/fcstats/fcstats.db";

/// Which file to read: `--config`/`$FCSTATS_CONFIG` (already merged by clap), else
/// the search path.
pub fn locate(explicit: Option<&Path>) -> Result<PathBuf> {
    if let Some(p) = explicit {
        return Ok(p.to_path_buf());
    }
    SEARCH_PATH
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
        .with_context(|| {
            format!(
                "no config file: none given with --config or $FCSTATS_CONFIG, and none of {} exists \
                 (start from config.example.yaml)",
                SEARCH_PATH.join(", ")
            )
        })
}

/// The value of a `*_env` key: an environment variable's name. Anything else
/// is refused without being echoed: it is most likely the secret itself,
/// typed where its variable's name belongs (SPEC §8).
pub fn env_name(key: &str, value: String) -> Result<String> {
    let mut chars = value.chars();
    let valid = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !valid {
        bail!(
            "{key}: must name an environment variable (letters, digits and _, not starting with \
             a digit); the value given is not one, and is not shown here in case it is the \
             secret itself: put the secret in an environment variable and name that variable"
        );
    }
    Ok(value)
}

pub fn load(path: &Path) -> Result<Config> {
    // Absolute from here on: every path resolved against the config's folder
    // (database, local files, keys) is then absolute too, as `config check`
    // prints it and as errors name it.
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let path = absolute.as_path();
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read config file {}", path.display()))?;
    let mut cfg = parse(&text, path)?;
    if let Some(w) = readable_secrets(path, &cfg) {
        cfg.warnings.push(w);
    }
    Ok(cfg)
}

/// A warning when a file holding a password can be read by other users.
fn readable_secrets(path: &Path, cfg: &Config) -> Option<String> {
    use std::os::unix::fs::PermissionsExt;
    let open = |p: &Path| std::fs::metadata(p).is_ok_and(|m| m.permissions().mode() & 0o044 != 0);
    let mut files = Vec::new();
    for c in &cfg.collectors {
        if let Source::Ssh(t) = &c.source {
            for secret in [&t.password, &t.passphrase] {
                match secret {
                    Password::Inline(_) if open(path) => files.push(path.to_path_buf()),
                    Password::File(f) if open(f) && !files.contains(f) => files.push(f.clone()),
                    _ => {}
                }
            }
        }
    }
    files.sort();
    files.dedup();
    (!files.is_empty()).then(|| {
        let names: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
        format!(
            "{} hold(s) a password and can be read by other users; run `chmod 600` on it",
            names.join(", ")
        )
    })
}

/// Parses and resolves a config's text; `path` names it in errors and anchors
/// relative paths.
pub fn parse(text: &str, path: &Path) -> Result<Config> {
    let base = path.parent().unwrap_or(Path::new("."));
    if legacy::is_legacy(text) {
        let raw: legacy::LegacyConfig = from_yaml(text, path)?;
        return legacy::resolve(raw, path, base);
    }
    let raw: RawConfig = from_yaml(text, path)?;
    resolve(raw, path, base)
}

/// Deserializes with errors as `FILE:LINE:COLUMN: what`, plus the nearest valid
/// key for an unknown one.
fn from_yaml<T: serde::de::DeserializeOwned>(text: &str, path: &Path) -> Result<T> {
    serde_yaml::from_str(text).map_err(|e| {
        let mut msg = e.to_string();
        if let Some(cut) = msg.find(" at line ") {
            msg.truncate(cut);
        }
        if let Some(hint) = suggest_key(&msg) {
            msg.push_str(&format!("; did you mean `{hint}`?"));
        }
        let at = match e.location() {
            Some(l) => format!("{}:{}:{}", path.display(), l.line(), l.column()),
            None => path.display().to_string(),
        };
        anyhow::anyhow!("{at}: {msg}")
    })
}

/// From serde's "unknown field `x`, expected one of `a`, `b`": the nearest of a, b.
fn suggest_key(msg: &str) -> Option<String> {
    const MARK: &str = "unknown field `";
    let rest = &msg[msg.find(MARK)? + MARK.len()..];
    let (wrong, expected) = rest.split_once('`')?;
    expected
        .split('`')
        .skip(1)
        .step_by(2)
        .map(|cand| (edit_distance(wrong, cand), cand))
        .filter(|(d, cand)| *d <= cand.len().max(wrong.len()) / 2)
        .min()
        .map(|(_, c)| c.to_owned())
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

/// `~/x` → `$HOME/x`; a relative path is taken from the config file's folder.
pub fn resolve_path(base: &Path, s: &str) -> PathBuf {
    let p = match s.strip_prefix("~/") {
        Some(rest) => match std::env::var_os("HOME") {
            Some(home) => PathBuf::from(home).join(rest),
            None => PathBuf::from(s),
        },
        None => PathBuf::from(s),
    };
    match p.strip_prefix(".") {
        _ if p.is_absolute() || base.as_os_str().is_empty() => p,
        Ok(rest) if base == Path::new(".") => Path::new(".").join(rest),
        Ok(rest) => base.join(rest),
        Err(_) => base.join(p),
    }
}

/// The settings shared by every config format.
#[derive(Default)]
struct Common {
    interval: Option<Dur>,
    database: Option<String>,
    stale_after: Option<Dur>,
    max_gap: Option<Dur>,
    parallel: Option<usize>,
    columns: Columns,
    log: LogConfig,
    alerts: Vec<alerts::AlertSink>,
    alert_max_age: Option<Dur>,
    alert_budget: Option<Dur>,
    confirm: crate::state::Confirm,
    signals: Vec<crate::signals::Signal>,
    metrics: Metrics,
    heartbeat: Option<Heartbeat>,
    page: Page,
    maintenance: Vec<crate::maintenance::Recurring>,
    outage_start: crate::state::OutageStart,
    retire_after: Option<Dur>,
    retention: Option<Dur>,
    inventory: Option<String>,
    ignore: Vec<crate::model::inventory::Ignore>,
}

fn build(
    common: Common,
    collectors: Vec<Collector>,
    path: &Path,
    base: &Path,
    warnings: Vec<String>,
) -> Result<Config> {
    let file = path.display();
    let interval = common.interval.unwrap_or(Dur(300));
    if interval.secs() == 0 {
        bail!("{file}: interval: must be longer than 0s");
    }
    let parallel = common.parallel.unwrap_or(8);
    if parallel == 0 {
        bail!("{file}: parallel: must be at least 1");
    }
    if collectors.is_empty() {
        bail!("{file}: collectors: none configured; add at least one, like `- {{name: fc-east, host: 10.1.0.10}}`");
    }
    let mut names = HashSet::new();
    for c in &collectors {
        if !names.insert(c.name.as_str()) {
            bail!(
                "{file}: collectors: the name `{}` is used twice; names must be unique",
                c.name
            );
        }
    }
    let database = common.database.as_deref().unwrap_or(DEFAULT_DATABASE);
    let inventory = common.inventory.as_deref().map(|f| resolve_path(base, f));
    Ok(Config {
        file: path.to_path_buf(),
        interval,
        database: resolve_path(base, database),
        stale_after: common.stale_after.unwrap_or(Dur(900)),
        max_gap: common.max_gap.unwrap_or(Dur(interval.secs() * 3)),
        parallel,
        columns: common.columns,
        collectors,
        log: common.log,
        alerts: common.alerts,
        alert_max_age: common.alert_max_age.unwrap_or(Dur(86_400)),
        alert_budget: common.alert_budget.unwrap_or(Dur(60)),
        confirm: common.confirm,
        signals: common.signals,
        metrics: common.metrics,
        heartbeat: common.heartbeat,
        page: common.page,
        maintenance: common.maintenance,
        outage_start: common.outage_start,
        retire_after: common.retire_after.filter(|d| d.secs() > 0),
        retention: common.retention.unwrap_or(Dur(400 * 86_400)),
        exporters: crate::model::inventory::Inventory {
            ignore: common.ignore.clone(),
            ..match &inventory {
                Some(f) => read_inventory(f)?,
                None => Default::default(),
            }
        },
        ignore: common.ignore,
        inventory,
        warnings,
    })
}

fn resolve(raw: RawConfig, path: &Path, base: &Path) -> Result<Config> {
    let file = path.display();
    let defaults = Columns::default();
    let columns = Columns {
        exporter: raw.columns.exporter.unwrap_or(defaults.exporter),
        interface: raw.columns.interface.filter(|s| !s.is_empty()),
        bps: raw.columns.bps.unwrap_or(defaults.bps),
        last_active_required: matches!(&raw.columns.last_active, Some(Some(n)) if !n.is_empty()),
        last_active: match raw.columns.last_active {
            None => defaults.last_active,
            Some(n) => n.filter(|n| !n.is_empty()),
        },
        interfaces: (!raw.signals.is_empty()).then(|| {
            raw.columns
                .interface_count
                .unwrap_or_else(|| "Interfaces".into())
        }),
        fps: (!raw.signals.is_empty()).then(|| {
            raw.columns
                .fps
                .unwrap_or_else(|| "Current Input Rate fps".into())
        }),
    };
    let log = logcfg::resolve(raw.log, base).with_context(|| file.to_string())?;
    let ssh = raw.ssh.or(&ssh_defaults());
    let mut files = SshConfigs::new();
    let collectors = raw
        .collectors
        .iter()
        .enumerate()
        .map(|(i, c)| {
            resolve_collector(c, &ssh, base, &mut files)
                .with_context(|| format!("{file}: collectors[{i}] ({})", c.name))
        })
        .collect::<Result<Vec<_>>>()?;
    let common = Common {
        interval: raw.interval,
        database: raw.database,
        stale_after: raw.stale_after,
        max_gap: raw.max_gap,
        parallel: raw.parallel,
        columns,
        log,
        alerts: alerts::resolve(raw.alerts).with_context(|| file.to_string())?,
        alert_max_age: raw.alert_max_age,
        alert_budget: raw.alert_budget,
        retention: raw.retention,
        signals: raw.signals.clone(),
        metrics: Metrics {
            textfile: raw
                .metrics
                .textfile
                .as_deref()
                .map(|f| resolve_path(base, f)),
        },
        heartbeat: resolve_heartbeat(raw.heartbeat).with_context(|| file.to_string())?,
        page: Page {
            dir: raw.page.dir.as_deref().map(|d| resolve_path(base, d)),
        },
        maintenance: resolve_maintenance(raw.maintenance, raw.inventory.is_some())
            .with_context(|| file.to_string())?,
        outage_start: raw.outage_start.unwrap_or_default(),
        retire_after: raw.retire_after,
        ignore: resolve_ignore(raw.ignore, raw.inventory.is_some())
            .with_context(|| file.to_string())?,
        inventory: raw.inventory,
        confirm: crate::state::Confirm {
            down: raw.confirm.down.unwrap_or(1),
            up: raw.confirm.up.unwrap_or(1),
        },
    };
    if common.confirm.down == 0 || common.confirm.up == 0 {
        bail!("{file}: confirm: down and up are numbers of polls, at least 1 (1 records every change at once)");
    }
    build(common, collectors, path, base, Vec::new())
}

/// Where a secret comes from: `WHAT_env` or `WHAT_file`, at most one.
fn secret(what: &str, env: Option<String>, file: Option<String>, base: &Path) -> Result<Password> {
    Ok(match (env, file) {
        (Some(_), Some(_)) => bail!("set only one of {what}_env and {what}_file"),
        (Some(v), None) => Password::Env(env_name(&format!("{what}_env"), v)?),
        (None, Some(f)) => Password::File(resolve_path(base, &f)),
        (None, None) => Password::None,
    })
}

/// Missing key files are skipped (the defaults often are); one that exists
/// but cannot be read is a mistake worth stopping for.
fn check_identity(identity: &[PathBuf]) -> Result<()> {
    for key in identity.iter().filter(|k| k.exists()) {
        if let Err(e) = std::fs::File::open(key).and_then(|f| {
            if f.metadata()?.is_file() {
                Ok(())
            } else {
                Err(std::io::Error::other("not a file"))
            }
        }) {
            bail!(
                "identity: cannot read the key file {} ({e}); fix the path or its permissions",
                key.display()
            );
        }
    }
    Ok(())
}

/// The `ssh_config:` files read so far, by path: each is read and parsed once.
type SshConfigs = std::collections::HashMap<PathBuf, ssh::SshConfigFile>;

fn resolve_collector(
    c: &RawCollector,
    ssh: &SshOptions,
    base: &Path,
    files: &mut SshConfigs,
) -> Result<Collector> {
    if c.name.trim().is_empty() {
        bail!("name: must not be empty");
    }
    // A collector that names its own password source replaces the section's.
    let mut section = ssh.clone();
    if c.password_env.is_some() || c.password_file.is_some() {
        section.password_env = None;
        section.password_file = None;
    }
    if c.passphrase_env.is_some() || c.passphrase_file.is_some() {
        section.passphrase_env = None;
        section.passphrase_file = None;
    }
    let (host, from_file) = match &c.host {
        Some(alias) => ssh_config_options(c, &section, alias, base, files)?,
        None => (None, SshOptions::default()),
    };
    let mut o = c.ssh().or(&from_file.or(&section));
    o.algorithms = Some(
        c.algorithms
            .clone()
            .unwrap_or_default()
            .or(&section.algorithms.clone().unwrap_or_default()),
    );
    let source = match (host.as_ref().or(c.host.as_ref()), &c.local) {
        (Some(_), Some(_)) => {
            bail!("set either `host` (read over SSH) or `local` (read a file here), not both")
        }
        (None, None) => bail!("set `host` (read over SSH) or `local` (a file on this machine)"),
        (None, Some(local)) => {
            if let Some(k) = c
                .ssh_keys_set()
                .into_iter()
                .find(|k| !LOCAL_KEYS.contains(k))
            {
                bail!(
                    "`{k}` applies to SSH collectors only; a `local` collector takes {}",
                    LOCAL_KEYS.join(", ")
                );
            }
            Source::Local(resolve_path(base, local))
        }
        (Some(host), None) => Source::Ssh(Box::new(resolve_ssh(host, o.clone(), base)?)),
    };
    Ok(Collector {
        name: c.name.clone(),
        source,
        retries: o.retries.expect("default"),
        retry_delay: o.retry_delay.expect("default"),
        max_bytes: o.max_bytes.expect("default"),
        deadline: o.deadline.expect("default"),
    })
}

/// What `ssh_config:` (the collector's, else the section's) says of the
/// collector's host: its HostName, and the keys it supplies. These come
/// between the collector's own keys and the `ssh:` section's.
fn ssh_config_options(
    c: &RawCollector,
    section: &SshOptions,
    alias: &str,
    base: &Path,
    files: &mut SshConfigs,
) -> Result<(Option<String>, SshOptions)> {
    let Some(file) = c.ssh_config.as_ref().or(section.ssh_config.as_ref()) else {
        return Ok((None, SshOptions::default()));
    };
    let file = resolve_path(base, file);
    if !files.contains_key(&file) {
        let text = std::fs::read_to_string(&file).with_context(|| {
            format!(
                "ssh_config: cannot read {} (set ssh_config to an OpenSSH client config, or remove it)",
                file.display()
            )
        })?;
        let parsed = ssh::SshConfigFile::parse(&text, &file)?;
        files.insert(file.clone(), parsed);
    }
    let f = files[&file].query(alias);
    Ok((
        f.host_name,
        SshOptions {
            port: f.port,
            user: f.user,
            identity: f.identity,
            jump: f.jump.map(OneOrMany::Many),
            known_hosts: f.known_hosts.map(OneOrMany::Many),
            ..SshOptions::default()
        },
    ))
}

/// The `ignore:` matchers: each gives at least one field; `site` and `name`
/// need an inventory to match against.
fn resolve_maintenance(
    raw: Vec<RawMaintenance>,
    inventory: bool,
) -> Result<Vec<crate::maintenance::Recurring>> {
    use crate::maintenance::{Recurring, Scope};
    raw.into_iter()
        .enumerate()
        .map(|(i, r)| {
            let m = r.scope;
            let scope = if m.all {
                Scope::All
            } else if let Some(c) = m.collector {
                Scope::Collector(c)
            } else {
                Scope::Keys(matcher(m, inventory, &format!("maintenance[{i}].match"))?)
            };
            let tz_name = r.tz.as_deref().unwrap_or("UTC");
            let tz = crate::cli::tz_arg(tz_name)
                .map_err(|e| anyhow::anyhow!("maintenance[{i}].tz: {e}"))?;
            Recurring::parse(scope, &r.every, tz, r.reason.unwrap_or_default())
                .with_context(|| format!("maintenance[{i}]"))
        })
        .collect()
}

fn resolve_ignore(
    raw: Vec<RawIgnore>,
    inventory: bool,
) -> Result<Vec<crate::model::inventory::Ignore>> {
    raw.into_iter()
        .enumerate()
        .map(|(i, r)| matcher(r, inventory, &format!("ignore[{i}]")))
        .collect()
}

/// One key matcher (`ignore:`, a maintenance window's `match:`); `what`
/// names it in errors.
fn matcher(r: RawIgnore, inventory: bool, what: &str) -> Result<crate::model::inventory::Ignore> {
    use crate::model::inventory::{Exporters, Ignore};
    if r.collector.is_some() || r.all {
        bail!("{what}: collector and all are for maintenance windows, not key matchers");
    }
    if r.exporter.is_none() && r.interface.is_none() && r.site.is_none() && r.name.is_none() {
        bail!("{what}: give at least one of exporter, interface, site, name (an empty matcher would match every exporter)");
    }
    if (r.site.is_some() || r.name.is_some()) && !inventory {
        bail!("{what}: site and name match the inventory's; set inventory: to a CSV that names the exporters");
    }
    let exporter = match r.exporter {
        Some(x) => Some(Exporters::parse(&x).ok_or_else(|| {
            anyhow::anyhow!("{what}.exporter: `{x}` is not an address, a CIDR (10.1.0.0/24) or an exporter's name")
        })?),
        None => None,
    };
    Ok(Ignore {
        exporter,
        interface: r.interface,
        site: r.site,
        name: r.name.as_deref().map(wildmatch::WildMatch::new),
    })
}

/// The inventory CSV, parsed; its errors name the file and line.
fn read_inventory(file: &Path) -> Result<crate::model::inventory::Inventory> {
    let text = std::fs::read_to_string(file).with_context(|| {
        format!(
            "inventory: cannot read {} (set inventory to a CSV file, or remove it)",
            file.display()
        )
    })?;
    crate::model::inventory::Inventory::parse(&file.display().to_string(), &text)
        .map_err(|e| anyhow::anyhow!("inventory: {e}"))
}

/// An SSH collector's settings: `o` is its entry over the `ssh:` section
/// over the built-in defaults.
fn resolve_ssh(host: &str, o: SshOptions, base: &Path) -> Result<SshTarget> {
    let password = secret("password", o.password_env, o.password_file, base)?;
    let passphrase = secret("passphrase", o.passphrase_env, o.passphrase_file, base)?;
    let identity: Vec<PathBuf> = o
        .identity
        .expect("default")
        .iter()
        .map(|p| resolve_path(base, p))
        .collect();
    check_identity(&identity)?;
    let known_hosts: Vec<PathBuf> = o
        .known_hosts
        .expect("default")
        .to_vec()
        .iter()
        .map(|p| resolve_path(base, p))
        .collect();
    if known_hosts.is_empty() {
        bail!("known_hosts: give at least one file (the first is where accept-new adds keys)");
    }
    let host = ssh::host_name(host);
    if host.is_empty() {
        bail!("host: must not be empty");
    }
    Ok(SshTarget {
        host,
        port: o.port.expect("default"),
        user: o.user.expect("default"),
        path: o.path.expect("default"),
        identity,
        agent: o.agent.expect("default"),
        password,
        passphrase,
        known_hosts,
        host_key_check: o.host_key_check.expect("default"),
        connect_timeout: o.connect_timeout.expect("default"),
        timeout: o.timeout.expect("default"),
        algorithms: o.algorithms.unwrap_or_default(),
        identities_only: o.identities_only.expect("default"),
        jump: o
            .jump
            .as_ref()
            .map(ssh::hops)
            .transpose()?
            .unwrap_or_default(),
        transfer: o.transfer.expect("default"),
        compression: o.compression.expect("default"),
    })
}

#[cfg(test)]
mod tests;
