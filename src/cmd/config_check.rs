//! `fcstats config check`: validate, print the resolved config with secrets masked.

use std::io::Write;
use std::path::Path;

use anyhow::Result;

use crate::config::{Config, HostKeyCheck, Password, Source, SshTarget};

/// Why a collector has nothing to log in with, if it has nothing.
fn no_credential(t: &SshTarget) -> Option<String> {
    let agent = t.agent && std::env::var_os("SSH_AUTH_SOCK").is_some();
    let key = t.identity.iter().any(|k| k.exists());
    if agent || key || t.password != Password::None {
        return None;
    }
    let agent = if t.agent {
        "no agent ($SSH_AUTH_SOCK is not set)"
    } else {
        "agent: false"
    };
    let keys: Vec<String> = t.identity.iter().map(|k| k.display().to_string()).collect();
    Some(format!(
        "no usable credential: {agent}, none of the identity files exists ({}), no password_env or \
         password_file; every poll will fail to log in",
        if keys.is_empty() { "none configured".into() } else { keys.join(", ") }
    ))
}

/// Problems that do not make the config invalid but will make polls fail.
fn advice(cfg: &Config) -> Vec<String> {
    let mut out = Vec::new();
    for c in &cfg.collectors {
        let t = match &c.source {
            Source::Ssh(t) => t,
            Source::Local(file) => {
                if !file.exists() {
                    out.push(format!(
                        "collector {}: the local file {} does not exist",
                        c.name,
                        file.display()
                    ));
                }
                continue;
            }
        };
        if let Some(why) = no_credential(t) {
            out.push(format!("collector {}: {why}", c.name));
        }
        if let Password::Env(var) = &t.password {
            if std::env::var_os(var).is_none() {
                out.push(format!(
                    "collector {}: password_env {var} is not set in this environment",
                    c.name
                ));
            }
        }
        if let Some(why) = crate::source::algorithm_problem(t) {
            out.push(format!("collector {}: {why}", c.name));
        }
        if t.host_key_check == HostKeyCheck::Off {
            out.push(format!(
                "collector {}: host_key_check is off; host keys are not checked",
                c.name
            ));
        }
    }
    out
}

/// Prints the config as `poll` would use it: `db` is the database the
/// command line resolved (`--db`, `$FCSTATS_DB` or `database:`), `db_from`
/// says which.
pub fn run(cfg: &Config, db: &Path, db_from: &str) -> Result<i32> {
    for a in advice(cfg) {
        log::warn!("{a}");
    }
    let mut resolved = cfg.clone();
    resolved.database = db.to_path_buf();
    let yaml = serde_yaml::to_string(&resolved)?;
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "# {}: valid; resolved with defaults (secrets masked)\n# database from {db_from}",
        cfg.file.display()
    )?;
    out.write_all(yaml.as_bytes())?;
    out.flush()?;
    Ok(0)
}
