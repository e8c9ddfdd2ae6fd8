//! The host key: the known_hosts files read (source/known_hosts.rs judges),
//! the known key types offered first, the server's key checked, and a new
//! host added under `accept-new`.

use std::fs::OpenOptions;
use std::io::{self, Write};
use std::path::Path;
use std::sync::Mutex;

use ssh2::{HashType, HostKeyType, Session};

use crate::config::{HostKeyCheck, SshTarget};
use crate::source::known_hosts::{self, KnownHosts, Verdict};
use crate::source::FetchError;

/// Appends to known_hosts from several threads never interleave.
static KNOWN_HOSTS_WRITE: Mutex<()> = Mutex::new(());

/// Standard base64 (the base64 crate); `pad` false for OpenSSH fingerprints.
fn base64(data: &[u8], pad: bool) -> String {
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
    use base64::Engine;
    if pad {
        STANDARD.encode(data)
    } else {
        STANDARD_NO_PAD.encode(data)
    }
}

/// `host` for port 22, `[host]:port` otherwise, as OpenSSH writes known_hosts.
pub fn entry_name(host: &str, port: u16) -> String {
    if port == 22 {
        host.to_owned()
    } else {
        format!("[{host}]:{port}")
    }
}

fn key_type_name(k: HostKeyType) -> &'static str {
    match k {
        HostKeyType::Rsa => "ssh-rsa",
        HostKeyType::Dss => "ssh-dss",
        HostKeyType::Ecdsa256 => "ecdsa-sha2-nistp256",
        HostKeyType::Ecdsa384 => "ecdsa-sha2-nistp384",
        HostKeyType::Ecdsa521 => "ecdsa-sha2-nistp521",
        HostKeyType::Ed25519 => "ssh-ed25519",
        HostKeyType::Unknown => "unknown",
    }
}

/// The known_hosts files of `t`, parsed in order; lines skipped are said once
/// each (file:line), the others still count. Also whether the first file (the
/// one `accept-new` writes) lacks a final newline.
pub struct Known {
    pub hosts: KnownHosts,
    unterminated: bool,
}

pub fn load(name: &str, t: &SshTarget) -> Result<Known, FetchError> {
    let mut all = KnownHosts::default();
    let mut unterminated = false;
    for (i, file) in t.known_hosts.iter().enumerate() {
        let text = match std::fs::read_to_string(file) {
            Ok(text) => text,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => {
                return Err(FetchError::fatal(format!(
                    "cannot read known_hosts {}: {e}",
                    file.display()
                )))
            }
        };
        let kh = KnownHosts::parse(&file.display().to_string(), &text);
        for w in &kh.warnings {
            log::warn!("collector {name}: known_hosts {w}");
        }
        if i == 0 {
            all.hashed = kh.hashed;
            unterminated = !text.is_empty() && !text.ends_with('\n');
        }
        all.entries.extend(kh.entries);
    }
    Ok(Known {
        hosts: all,
        unterminated,
    })
}

/// The host key algorithms to offer: those of the keys known for `entry`
/// first, as OpenSSH does (so that a server with several keys presents the
/// one the file holds), then the rest of `enabled` in its order.
pub fn preference(kh: &KnownHosts, entry: &str, enabled: &[String]) -> Vec<String> {
    let algs_of = |key_type: &str| -> Vec<String> {
        match key_type {
            "ssh-rsa" => vec![
                "rsa-sha2-512".into(),
                "rsa-sha2-256".into(),
                "ssh-rsa".into(),
            ],
            other => vec![other.to_owned()],
        }
    };
    let mut prefs: Vec<String> = kh
        .types_for(entry)
        .iter()
        .flat_map(|k| algs_of(k))
        .filter(|a| enabled.contains(a))
        .collect();
    let rest: Vec<String> = enabled
        .iter()
        .filter(|a| !prefs.contains(a))
        .cloned()
        .collect();
    prefs.extend(rest);
    prefs
}

/// Checks the server's key for `host` on `port`.
pub fn check(
    name: &str,
    sess: &Session,
    t: &SshTarget,
    host: &str,
    port: u16,
    known: &Known,
) -> Result<(), FetchError> {
    let entry = &entry_name(host, port);
    if t.host_key_check == HostKeyCheck::Off {
        log::warn!("collector {name}: host key checking is off (host_key_check: off); anyone on the path can impersonate {entry}");
        return Ok(());
    }
    let (key, key_type) = sess
        .host_key()
        .ok_or_else(|| FetchError::fatal("the server sent no host key"))?;
    let key_type = key_type_name(key_type);
    let fingerprint = sess
        .host_key_hash(HashType::Sha256)
        .map(|h| format!("SHA256:{}", base64(h, false)))
        .unwrap_or_default();
    let file = t.known_hosts[0].display();
    let keyscan = format!("ssh-keyscan -t {key_type} -p {port} {host} >> {file}");
    match known.hosts.check(entry, key_type, key) {
        Verdict::Known => Ok(()),
        Verdict::Revoked => Err(FetchError::fatal(format!(
            "the host key of {entry} ({key_type} {fingerprint}) is marked @revoked in known_hosts: \
             refused. Ask for the host's new key and replace the revoked one"
        ))),
        Verdict::Changed => Err(FetchError::fatal(format!(
            "HOST KEY CHANGED for {entry}: the server's {key_type} key ({fingerprint}) is not the one in \
             known_hosts ({}); this could be an attack. If the host was reinstalled, check the new key \
             and run `ssh-keygen -R '{entry}' -f {file}`",
            paths(t)
        ))),
        Verdict::OtherTypes(types) => Err(FetchError::fatal(format!(
            "host key not known: {entry} is in known_hosts only with {} key(s), and the server offered \
             none of those but a {key_type} key ({fingerprint}); after checking it, add it with `{keyscan}`",
            types.join(", "),
        ))),
        Verdict::CertAuthorityOnly if t.host_key_check != HostKeyCheck::AcceptNew => {
            Err(FetchError::fatal(format!(
                "host key not known: known_hosts trusts a @cert-authority for {entry}, but fcstats checks \
                 plain host keys, not certificates; after checking its fingerprint ({fingerprint}), add \
                 the host's own key with `{keyscan}`"
            )))
        }
        Verdict::Unknown | Verdict::CertAuthorityOnly
            if t.host_key_check == HostKeyCheck::AcceptNew =>
        {
            accept_new(name, t, entry, key_type, key, known)?;
            log::warn!(
                "collector {name}: added host key {fingerprint} for {entry} to {file} (accept-new)"
            );
            Ok(())
        }
        Verdict::Unknown | Verdict::CertAuthorityOnly => Err(FetchError::fatal(format!(
            "host key unknown: {entry} ({key_type} {fingerprint}) is not in known_hosts ({}); after \
             checking the fingerprint, add it with `{keyscan}`, or set host_key_check: accept-new",
            paths(t)
        ))),
    }
}

fn paths(t: &SshTarget) -> String {
    let all: Vec<String> = t
        .known_hosts
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    all.join(", ")
}

/// Appends the host's key to the first known_hosts file: after a newline if
/// the file lacks a final one, hashed if the file hashes its names.
fn accept_new(
    name: &str,
    t: &SshTarget,
    entry: &str,
    key_type: &str,
    key: &[u8],
    known: &Known,
) -> Result<(), FetchError> {
    let shown = if known.hosts.hashed {
        let mut salt = [0u8; 20];
        openssl::rand::rand_bytes(&mut salt)
            .map_err(|e| FetchError::fatal(format!("cannot make a salt: {e}")))?;
        known_hosts::hashed_name(entry, &salt)
    } else {
        entry.to_owned()
    };
    let lead = if known.unterminated { "\n" } else { "" };
    let line = format!("{lead}{shown} {key_type} {}\n", base64(key, true));
    let file: &Path = &t.known_hosts[0];
    let _guard = KNOWN_HOSTS_WRITE.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(dir) = file.parent() {
        std::fs::create_dir_all(dir).ok();
    }
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(file)
        .and_then(|mut f| f.write_all(line.as_bytes()))
        .map_err(|e| {
            FetchError::fatal(format!(
                "collector {name}: cannot add {entry} to known_hosts {}: {e}",
                file.display()
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_types_go_first_and_rsa_means_its_sha2_signatures() {
        let kh = KnownHosts::parse(
            "t",
            "[h]:2222 ecdsa-sha2-nistp256 AAAA\n[h]:2222 ssh-rsa AAAA\n",
        );
        let enabled: Vec<String> = [
            "ssh-ed25519",
            "ecdsa-sha2-nistp256",
            "rsa-sha2-512",
            "rsa-sha2-256",
        ]
        .map(String::from)
        .to_vec();
        assert_eq!(
            preference(&kh, "[h]:2222", &enabled),
            [
                "ecdsa-sha2-nistp256",
                "rsa-sha2-512",
                "rsa-sha2-256",
                "ssh-ed25519"
            ]
        );
        // Unknown host: the enabled list as it is.
        assert_eq!(preference(&kh, "other", &enabled), enabled);
    }

    #[test]
    fn base64_matches_rfc4648() {
        assert_eq!(base64(b"", true), "");
        assert_eq!(base64(b"f", true), "Zg==");
        assert_eq!(base64(b"fo", true), "Zm8=");
        assert_eq!(base64(b"foob", false), "Zm9vYg");
    }

    #[test]
    fn entries_name_the_port_off_22() {
        assert_eq!(entry_name("h", 22), "h");
        assert_eq!(entry_name("::1", 2222), "[::1]:2222");
    }
}
