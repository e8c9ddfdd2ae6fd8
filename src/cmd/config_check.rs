//! `fcstats config check`: validate, print the resolved config with secrets masked.

use std::io::Write;

use anyhow::Result;

use crate::config::{Config, HostKeyCheck, Password, Source};

/// Problems that do not make the config invalid but will make polls fail.
fn advice(cfg: &Config) -> Vec<String> {
    let mut out = Vec::new();
    for c in &cfg.collectors {
        let Source::Ssh(t) = &c.source else { continue };
        if let Password::Env(var) = &t.password {
            if std::env::var_os(var).is_none() {
                out.push(format!(
                    "collector {}: password_env {var} is not set in this environment",
                    c.name
                ));
            }
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

pub fn run(cfg: &Config) -> Result<i32> {
    for a in advice(cfg) {
        log::warn!("{a}");
    }
    let yaml = serde_yaml::to_string(cfg)?;
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "# {}: valid; resolved with defaults (secrets masked)",
        cfg.file.display()
    )?;
    out.write_all(yaml.as_bytes())?;
    out.flush()?;
    Ok(0)
}
