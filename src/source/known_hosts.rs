//! OpenSSH known_hosts, checked as OpenSSH checks it (SPEC §13): a key is
//! compared with the entries of its own type only; entries may be hashed
//! (`|1|salt|hash`), use patterns (`*`, `?`) and negations (`!`); `@revoked`
//! keys are refused; a malformed line is skipped with a warning naming
//! file:line and never fails the other entries. Pure: the files are read and
//! written by `ssh.rs`.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Hosts {
    Patterns(Vec<String>),
    /// `|1|salt|hash`: HMAC-SHA1 of the name, keyed by the salt.
    Hashed {
        salt: Vec<u8>,
        hash: Vec<u8>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Marker {
    None,
    Revoked,
    CertAuthority,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    marker: Marker,
    hosts: Hosts,
    pub key_type: String,
    key: Vec<u8>,
}

/// The entries of one file, and a warning per line skipped.
#[derive(Debug, Default)]
pub struct KnownHosts {
    pub entries: Vec<Entry>,
    pub warnings: Vec<String>,
    /// Whether the file hashes its host names (new lines are hashed too).
    pub hashed: bool,
}

/// What the file says about the server's key.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    Known,
    /// An entry of the same type holds another key.
    Changed,
    Revoked,
    /// The host is known, but only with keys of other types.
    OtherTypes(Vec<String>),
    /// Only `@cert-authority` lines name the host (fcstats does not check
    /// certificates, so the plain key must be known).
    CertAuthorityOnly,
    Unknown,
}

fn entry(line: &str) -> Result<Entry, &'static str> {
    let mut fields = line.split_whitespace();
    let mut first = fields.next().ok_or("empty")?;
    let marker = match first {
        "@revoked" => Marker::Revoked,
        "@cert-authority" => Marker::CertAuthority,
        m if m.starts_with('@') => return Err("unknown marker"),
        _ => Marker::None,
    };
    if marker != Marker::None {
        first = fields.next().ok_or("no host after the marker")?;
    }
    let hosts = match first.strip_prefix("|1|") {
        Some(rest) => {
            let (salt, hash) = rest
                .split_once('|')
                .ok_or("a hashed name without its hash")?;
            Hosts::Hashed {
                salt: STANDARD
                    .decode(salt)
                    .map_err(|_| "a hashed name's salt is not base64")?,
                hash: STANDARD
                    .decode(hash)
                    .map_err(|_| "a hashed name's hash is not base64")?,
            }
        }
        None => Hosts::Patterns(first.split(',').map(str::to_ascii_lowercase).collect()),
    };
    let key_type = fields.next().ok_or("no key type")?.to_owned();
    let key = STANDARD
        .decode(fields.next().ok_or("no key")?)
        .map_err(|_| "the key is not base64")?;
    Ok(Entry {
        marker,
        hosts,
        key_type,
        key,
    })
}

impl KnownHosts {
    /// Parses `text` (the file `name`, for the warnings).
    pub fn parse(name: &str, text: &str) -> KnownHosts {
        let mut kh = KnownHosts::default();
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            match entry(line) {
                Ok(e) => {
                    kh.hashed |= matches!(e.hosts, Hosts::Hashed { .. });
                    kh.entries.push(e);
                }
                Err(why) => kh
                    .warnings
                    .push(format!("{name}:{}: skipped, {why}", i + 1)),
            }
        }
        kh
    }

    /// The plain entries for `name` (`host`, or `[host]:port` off port 22).
    fn for_host<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Entry> + 'a {
        let name = name.to_ascii_lowercase();
        self.entries
            .iter()
            .filter(move |e| matches_host(&e.hosts, &name))
    }

    /// The key types known for `name`, in file order, without repeats.
    pub fn types_for(&self, name: &str) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for e in self.for_host(name).filter(|e| e.marker == Marker::None) {
            if !out.contains(&e.key_type) {
                out.push(e.key_type.clone());
            }
        }
        out
    }

    pub fn check(&self, name: &str, key_type: &str, key: &[u8]) -> Verdict {
        let entries: Vec<&Entry> = self.for_host(name).collect();
        if entries
            .iter()
            .any(|e| e.marker == Marker::Revoked && e.key == key)
        {
            return Verdict::Revoked;
        }
        let plain: Vec<&&Entry> = entries
            .iter()
            .filter(|e| e.marker == Marker::None)
            .collect();
        let same_type: Vec<&&&Entry> = plain.iter().filter(|e| e.key_type == key_type).collect();
        if same_type.iter().any(|e| e.key == key) {
            Verdict::Known
        } else if !same_type.is_empty() {
            Verdict::Changed
        } else if !plain.is_empty() {
            Verdict::OtherTypes(self.types_for(name))
        } else if entries.iter().any(|e| e.marker == Marker::CertAuthority) {
            Verdict::CertAuthorityOnly
        } else {
            Verdict::Unknown
        }
    }
}

/// `|1|salt|hash` for `name`, as OpenSSH's HashKnownHosts writes it.
pub fn hashed_name(name: &str, salt: &[u8]) -> String {
    format!(
        "|1|{}|{}",
        STANDARD.encode(salt),
        STANDARD.encode(hmac_sha1(salt, name.as_bytes()))
    )
}

fn hmac_sha1(key: &[u8], data: &[u8]) -> Vec<u8> {
    let pkey = openssl::pkey::PKey::hmac(key).expect("an HMAC key of any length");
    let mut signer = openssl::sign::Signer::new(openssl::hash::MessageDigest::sha1(), &pkey)
        .expect("HMAC-SHA1 is available");
    signer.update(data).expect("HMAC update");
    signer.sign_to_vec().expect("HMAC final")
}

fn matches_host(hosts: &Hosts, name: &str) -> bool {
    match hosts {
        Hosts::Hashed { salt, hash } => hmac_sha1(salt, name.as_bytes()) == *hash,
        Hosts::Patterns(patterns) => {
            let mut hit = false;
            for p in patterns {
                match p.strip_prefix('!') {
                    Some(neg) if glob(neg, name) => return false,
                    Some(_) => {}
                    None => hit |= glob(p, name),
                }
            }
            hit
        }
    }
}

/// OpenSSH's host patterns: `*` any run, `?` one character.
fn glob(pattern: &str, name: &str) -> bool {
    wildmatch::WildMatch::new(pattern).matches(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ED: &str = "AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl";
    const EC: &str = "AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBEmKSENjQEezOmxkZMy7opKgwFB9nkt5YRrYMjNuG5N87uRgg6CLrbo5wAdT/y6v0mKV0U2w0WZ2YlsaWMi3mAM=";

    fn key(b64: &str) -> Vec<u8> {
        STANDARD.decode(b64).unwrap()
    }

    #[test]
    fn a_key_is_compared_with_entries_of_its_own_type_only() {
        // An older OpenSSH wrote only the ECDSA key; the server offers ed25519 too.
        let kh = KnownHosts::parse("kh", &format!("fc.example.net ecdsa-sha2-nistp256 {EC}\n"));
        assert_eq!(
            kh.check("fc.example.net", "ssh-ed25519", &key(ED)),
            Verdict::OtherTypes(vec!["ecdsa-sha2-nistp256".into()])
        );
        assert_eq!(
            kh.check("fc.example.net", "ecdsa-sha2-nistp256", &key(EC)),
            Verdict::Known
        );
        // The same type with another key: changed.
        let other = KnownHosts::parse("kh", &format!("fc.example.net ssh-ed25519 {ED}\n"));
        let mut k = key(ED);
        *k.last_mut().unwrap() ^= 1;
        assert_eq!(
            other.check("fc.example.net", "ssh-ed25519", &k),
            Verdict::Changed
        );
    }

    #[test]
    fn files_as_openssh_74_80_and_9_write_them_are_all_read() {
        // 7.4 and 8.0 (RHEL 7, 8): name and address on one line, the ECDSA key,
        // names in clear. 9.x (Debian 12): hashed names, ed25519, and since
        // 8.5 every key of the host (UpdateHostKeys), one line each.
        let old = format!("fc.example.net,10.1.0.10 ecdsa-sha2-nistp256 {EC}\n");
        let salt = [7u8; 20];
        let new = format!(
            "{} ssh-ed25519 {ED}\n{} ecdsa-sha2-nistp256 {EC}\n",
            hashed_name("fc.example.net", &salt),
            hashed_name("fc.example.net", &salt)
        );
        for text in [&old, &new] {
            let kh = KnownHosts::parse("kh", text);
            assert!(kh.warnings.is_empty(), "{:?}", kh.warnings);
            assert_eq!(
                kh.check("fc.example.net", "ecdsa-sha2-nistp256", &key(EC)),
                Verdict::Known
            );
        }
        let old = KnownHosts::parse("kh", &old);
        assert_eq!(
            old.check("10.1.0.10", "ecdsa-sha2-nistp256", &key(EC)),
            Verdict::Known
        );
        let new = KnownHosts::parse("kh", &new);
        assert!(new.hashed);
        assert_eq!(
            new.check("fc.example.net", "ssh-ed25519", &key(ED)),
            Verdict::Known
        );
        assert_eq!(
            new.types_for("fc.example.net"),
            ["ssh-ed25519", "ecdsa-sha2-nistp256"]
        );
    }

    #[test]
    fn a_cert_authority_alone_is_said_as_such() {
        let kh = KnownHosts::parse(
            "kh",
            &format!("@cert-authority *.example.net ssh-ed25519 {ED}\n"),
        );
        let verdicts: Vec<Verdict> = ["fc.example.net", "fc.other.org"]
            .iter()
            .map(|name| kh.check(name, "ssh-ed25519", &key(EC)))
            .collect();
        assert_eq!(verdicts, [Verdict::CertAuthorityOnly, Verdict::Unknown]);
    }

    #[test]
    fn a_plain_entry_does_not_cover_another_port() {
        let kh = KnownHosts::parse("kh", &format!("10.1.0.10 ssh-ed25519 {ED}\n"));
        assert_eq!(
            kh.check("[10.1.0.10]:2222", "ssh-ed25519", &key(ED)),
            Verdict::Unknown
        );
        assert_eq!(
            kh.check("10.1.0.10", "ssh-ed25519", &key(ED)),
            Verdict::Known
        );
    }

    #[test]
    fn hashed_names_patterns_and_negations_match_as_openssh_matches() {
        let salt = [7u8; 20];
        let text = format!(
            "{} ssh-ed25519 {ED}\n*.lab.example.net,!bad.lab.example.net ssh-ed25519 {ED}\nfc-??,10.2.* ssh-ed25519 {ED}\n",
            hashed_name("[fc.example.net]:2222", &salt)
        );
        let kh = KnownHosts::parse("kh", &text);
        assert!(kh.hashed);
        let known = |n: &str| kh.check(n, "ssh-ed25519", &key(ED)) == Verdict::Known;
        assert!(known("[fc.example.net]:2222"));
        assert!(!known("fc.example.net"));
        assert!(known("a.lab.example.net"));
        assert!(!known("bad.lab.example.net"));
        assert!(known("fc-01") && known("10.2.3.4"));
        assert!(!known("fc-001"));
    }

    #[test]
    fn revoked_keys_are_refused_and_bad_lines_skipped_with_their_line() {
        let text = format!(
            "# comment\nnot-a-valid-line\n@revoked * ssh-ed25519 {ED}\nfc ssh-ed25519 {ED}\nfc ssh-ed25519 %%%\n@weird fc x y\n"
        );
        let kh = KnownHosts::parse("/root/.ssh/known_hosts", &text);
        assert_eq!(kh.check("fc", "ssh-ed25519", &key(ED)), Verdict::Revoked);
        assert_eq!(
            kh.warnings,
            [
                "/root/.ssh/known_hosts:2: skipped, no key type",
                "/root/.ssh/known_hosts:5: skipped, the key is not base64",
                "/root/.ssh/known_hosts:6: skipped, unknown marker",
            ]
        );
        assert_eq!(kh.entries.len(), 2);
        // An over-long line (libssh2 failed the whole file on one) is one more skip.
        let long = format!(
            "fc ssh-ed25519 {}\nfc ssh-ed25519 {ED}\n",
            "A".repeat(100_001)
        );
        let kh = KnownHosts::parse("kh", &long);
        assert_eq!(kh.warnings, ["kh:1: skipped, the key is not base64"]);
        assert_eq!(kh.check("fc", "ssh-ed25519", &key(ED)), Verdict::Known);
    }

    #[test]
    fn glob_matches_stars_and_question_marks() {
        for (p, n, want) in [
            ("*", "anything", true),
            ("a*c", "abbbc", true),
            ("a*c", "abbbd", false),
            ("a?c", "abc", true),
            ("a?c", "ac", false),
            ("*.x", ".x", true),
        ] {
            assert_eq!(glob(p, n), want, "{p} {n}");
        }
    }
}
