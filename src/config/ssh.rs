//! The SSH settings of SPEC §13 that are more than a scalar: host key checking,
//! algorithms, jump hosts, the transfer method, paths given as one or a list,
//! and hosts written as OpenSSH writes them (`[::1]`, `user@host:port`).

use anyhow::{bail, Result};
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum HostKeyCheck {
    /// The host key must be in known_hosts.
    Strict,
    /// Unknown hosts are added to known_hosts; a changed key is still refused.
    AcceptNew,
    /// No check (warned about on every run).
    Off,
}

/// How the file is read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Transfer {
    /// SFTP, else `cat` over an exec channel when the server has no SFTP.
    #[default]
    Auto,
    Sftp,
    /// `cat` over an exec channel (servers without an SFTP subsystem).
    Exec,
}

/// The algorithm lists a collector changes, each in OpenSSH's syntax:
/// `+a,b` appends, `-a,b` removes (`*` matches any text), `^a,b` puts first,
/// a plain `a,b` replaces.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Algorithms {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kex: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cipher: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mac: Option<String>,
}

impl Algorithms {
    /// Each list of `self`, else `base`'s: a collector that changes one list
    /// keeps the section's others.
    pub fn or(&self, base: &Algorithms) -> Algorithms {
        let pick = |a: &Option<String>, b: &Option<String>| a.clone().or_else(|| b.clone());
        Algorithms {
            kex: pick(&self.kex, &base.kex),
            host_key: pick(&self.host_key, &base.host_key),
            cipher: pick(&self.cipher, &base.cipher),
            mac: pick(&self.mac, &base.mac),
        }
    }
}

/// A value written as one string or a list of them (`known_hosts`, `jump`).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    pub fn to_vec(&self) -> Vec<String> {
        match self {
            OneOrMany::One(s) => vec![s.clone()],
            OneOrMany::Many(v) => v.clone(),
        }
    }
}

/// One jump host (ProxyJump's `[user@]host[:port]`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Hop {
    pub user: Option<String>,
    pub host: String,
    pub port: Option<u16>,
}

/// A host as written in the config: `::1` or `[::1]` for IPv6, brackets removed.
pub fn host_name(s: &str) -> String {
    let s = s.trim();
    s.strip_prefix('[')
        .and_then(|r| r.strip_suffix(']'))
        .unwrap_or(s)
        .to_owned()
}

/// `[user@]host[:port]`, `[user@][v6]:port`, or `ssh://[user@]host[:port]`.
pub fn hop(spec: &str) -> Result<Hop> {
    let s = spec.trim();
    let s = s.strip_prefix("ssh://").unwrap_or(s);
    let (user, rest) = match s.rsplit_once('@') {
        Some((u, r)) if !u.is_empty() => (Some(u.to_owned()), r),
        Some(_) => bail!("jump: `{spec}` has an empty user name before @"),
        None => (None, s),
    };
    let (host, port) = if let Some(v6) = rest.strip_prefix('[') {
        let (h, tail) = v6
            .split_once(']')
            .ok_or_else(|| anyhow::anyhow!("jump: `{spec}` opens [ without closing it"))?;
        (h.to_owned(), tail.strip_prefix(':'))
    } else if rest.matches(':').count() > 1 {
        // A bare IPv6 address: no port.
        (rest.to_owned(), None)
    } else {
        match rest.split_once(':') {
            Some((h, p)) => (h.to_owned(), Some(p)),
            None => (rest.to_owned(), None),
        }
    };
    if host.is_empty() {
        bail!("jump: `{spec}` names no host; write it as user@host:port, as ProxyJump does");
    }
    let port = port
        .map(|p| {
            p.parse::<u16>().map_err(|_| {
                anyhow::anyhow!("jump: `{spec}`: the port `{p}` is not a number from 1 to 65535")
            })
        })
        .transpose()?;
    Ok(Hop { user, host, port })
}

/// The hops of `jump:`: a list, or ProxyJump's comma-separated string;
/// `none` (as in ssh_config) means no jump host.
pub fn hops(jump: &OneOrMany) -> Result<Vec<Hop>> {
    jump.to_vec()
        .iter()
        .flat_map(|s| s.split(',').map(str::to_owned).collect::<Vec<_>>())
        .filter(|s| !s.trim().is_empty() && !s.trim().eq_ignore_ascii_case("none"))
        .map(|s| hop(&s))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hops_are_read_as_proxyjump_writes_them() {
        let h = |user: Option<&str>, host: &str, port: Option<u16>| Hop {
            user: user.map(str::to_owned),
            host: host.into(),
            port,
        };
        assert_eq!(hop("bastion").unwrap(), h(None, "bastion", None));
        assert_eq!(
            hop("ops@bastion:2222").unwrap(),
            h(Some("ops"), "bastion", Some(2222))
        );
        assert_eq!(
            hop("ops@[::1]:22").unwrap(),
            h(Some("ops"), "::1", Some(22))
        );
        assert_eq!(hop("fe80::1").unwrap(), h(None, "fe80::1", None));
        assert_eq!(hop("ssh://a@b:1").unwrap(), h(Some("a"), "b", Some(1)));
        assert_eq!(
            hops(&OneOrMany::One("a@one, two:2200".into())).unwrap(),
            [h(Some("a"), "one", None), h(None, "two", Some(2200))]
        );
        assert_eq!(hops(&OneOrMany::One("none".into())).unwrap(), []);
        assert_eq!(
            hop("b:x").unwrap_err().to_string(),
            "jump: `b:x`: the port `x` is not a number from 1 to 65535"
        );
        assert!(hop("@b").is_err());
        assert!(hop("[::1").is_err());
    }

    #[test]
    fn brackets_around_a_host_are_removed() {
        assert_eq!(host_name("[::1]"), "::1");
        assert_eq!(host_name("::1"), "::1");
        assert_eq!(host_name("fc-east"), "fc-east");
    }
}

/// What an OpenSSH client config says of `alias` (SPEC §13 `ssh_config:`):
/// HostName, Port, User, IdentityFile, ProxyJump, UserKnownHostsFile. Read by
/// the ssh2-config crate; `~` is the user's home.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct FromSshConfig {
    pub host_name: Option<String>,
    pub port: Option<u16>,
    pub user: Option<String>,
    pub identity: Option<Vec<String>>,
    pub jump: Option<Vec<String>>,
    pub known_hosts: Option<Vec<String>>,
}

/// One OpenSSH client config, parsed once however many collectors use it.
pub struct SshConfigFile(ssh2_config::SshConfig);

impl SshConfigFile {
    pub fn parse(text: &str, file: &std::path::Path) -> Result<SshConfigFile> {
        use ssh2_config::{ParseRule, SshConfig};
        let mut config = SshConfig::default();
        if let Some(home) = std::env::var_os("HOME") {
            config = config.home_dir(home);
        }
        config
            .parse(
                &mut text.as_bytes(),
                ParseRule::ALLOW_UNKNOWN_FIELDS | ParseRule::ALLOW_UNSUPPORTED_FIELDS,
            )
            .map(SshConfigFile)
            .map_err(|e| anyhow::anyhow!("ssh_config: {}: {e}", file.display()))
    }

    /// What the file's Host blocks say of `alias`.
    pub fn query(&self, alias: &str) -> FromSshConfig {
        let p = self.0.query(alias);
        let paths = |v: &[std::path::PathBuf]| v.iter().map(|p| p.display().to_string()).collect();
        FromSshConfig {
            host_name: p.host_name.clone(),
            port: p.port,
            user: p.user.clone(),
            identity: p.identity_file.as_deref().map(paths),
            jump: p.proxy_jump.clone().filter(|j| !j.is_empty()),
            known_hosts: p.unsupported_fields.get("userknownhostsfile").map(|v| {
                v.iter()
                    .flat_map(|s| s.split_whitespace())
                    .map(str::to_owned)
                    .collect()
            }),
        }
    }
}

#[cfg(test)]
mod ssh_config_tests {
    use super::*;

    #[test]
    fn host_blocks_supply_the_six_keys_and_host_star_the_rest() {
        let text = "Host fc-east\n  HostName 10.1.0.10\n  Port 2222\n  User admin\n  \
                    IdentityFile /keys/fc\n  ProxyJump ops@bastion:22\n  \
                    UserKnownHostsFile /kh/one /kh/two\n\nHost *\n  User nobody\n  ServerAliveInterval 30\n";
        let file = SshConfigFile::parse(text, std::path::Path::new("cfg")).unwrap();
        let got = file.query("fc-east");
        assert_eq!(
            got,
            FromSshConfig {
                host_name: Some("10.1.0.10".into()),
                port: Some(2222),
                user: Some("admin".into()),
                identity: Some(vec!["/keys/fc".into()]),
                jump: Some(vec!["ops@bastion:22".into()]),
                known_hosts: Some(vec!["/kh/one".into(), "/kh/two".into()]),
            }
        );
        let other = file.query("fc-west");
        assert_eq!(other.user.as_deref(), Some("nobody"));
        assert_eq!(other.host_name, None);
    }
}
