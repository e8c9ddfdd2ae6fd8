//! The old Python tool's config, read as-is:
//! `Admin: {retry_interval: SECONDS}` and `fcs: [{fc_ip, fc_username, fc_password}]`.

use std::path::Path;

use anyhow::Result;
use serde::Deserialize;

use super::{build, ssh_defaults, Collector, Common, Config, Dur, Password, Secret, Source};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LegacyConfig {
    #[serde(rename = "Admin", default)]
    admin: Option<Admin>,
    fcs: Vec<Fc>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Admin {
    #[serde(default)]
    retry_interval: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Fc {
    fc_ip: String,
    #[serde(default)]
    fc_username: Option<String>,
    #[serde(default)]
    fc_password: Option<String>,
}

/// A top-level `fcs:` or `Admin:` key marks the old format.
pub fn is_legacy(text: &str) -> bool {
    match serde_yaml::from_str::<serde_yaml::Value>(text) {
        Ok(serde_yaml::Value::Mapping(m)) => m.contains_key("fcs") || m.contains_key("Admin"),
        _ => false,
    }
}

/// The environment variable the new config should name for collector `i`.
fn password_var(i: usize) -> String {
    format!("FCSTATS_PASSWORD_{}", i + 1)
}

/// The equivalent config in the new format, passwords moved to the environment.
fn equivalent(raw: &LegacyConfig) -> String {
    let mut out = String::new();
    if let Some(secs) = raw.admin.as_ref().and_then(|a| a.retry_interval) {
        out.push_str(&format!("interval: {}\n", Dur(secs)));
    }
    out.push_str("collectors:\n");
    for (i, fc) in raw.fcs.iter().enumerate() {
        let ip = quote(&fc.fc_ip);
        out.push_str(&format!("  - name: {ip}\n    host: {ip}\n"));
        if let Some(u) = &fc.fc_username {
            out.push_str(&format!("    user: {}\n", quote(u)));
        }
        if fc.fc_password.is_some() {
            let var = password_var(i);
            out.push_str(&format!(
                "    password_env: {var}   # export {var}=... before fcstats runs\n"
            ));
        }
    }
    out
}

/// A YAML scalar, quoted when it needs to be.
fn quote(s: &str) -> String {
    serde_yaml::to_string(s)
        .map(|y| y.trim_end().to_owned())
        .unwrap_or_else(|_| format!("{s:?}"))
}

pub fn resolve(raw: LegacyConfig, path: &Path, base: &Path) -> Result<Config> {
    let file = path.display();
    let mut warnings = vec![format!(
        "{file} is in the old fcstats format (Admin/fcs); it is read as-is. The same config in the \
         current format (see config.example.yaml):\n{}",
        equivalent(&raw)
    )];
    if raw.fcs.iter().any(|fc| fc.fc_password.is_some()) {
        warnings.push(format!(
            "{file} holds passwords in plain text (fc_password); move them to password_env or password_file"
        ));
    }
    let defaults = ssh_defaults();
    let collectors = raw
        .fcs
        .iter()
        .map(|fc| {
            let entry = super::RawCollector {
                name: fc.fc_ip.clone(),
                host: Some(fc.fc_ip.clone()),
                user: fc.fc_username.clone(),
                ..Default::default()
            };
            let mut c = super::resolve_collector(&entry, &defaults, base, &mut Default::default())?;
            if let (Source::Ssh(t), Some(pw)) = (&mut c.source, &fc.fc_password) {
                t.password = Password::Inline(Secret(pw.clone()));
            }
            Ok(c)
        })
        .collect::<Result<Vec<Collector>>>()?;
    let common = Common {
        interval: raw.admin.and_then(|a| a.retry_interval).map(Dur),
        ..Common::default()
    };
    build(common, collectors, path, base, warnings)
}
