//! Which SSH algorithms are offered (SPEC §13): libssh2's, less the SHA-1
//! ones (and CBC ciphers, and host certificates, which fcstats cannot check),
//! changed per collector by `algorithms:` in OpenSSH's syntax; and, when a key
//! exchange fails, what the server offered and the line that would match it.
//! Pure: `ssh.rs` asks libssh2 what it supports and reads the server's offer.

use crate::config::Algorithms;

/// The list `a` sets for `kind`, if any.
pub fn spec(a: &Algorithms, kind: Kind) -> Option<&str> {
    match kind {
        Kind::Kex => a.kex.as_deref(),
        Kind::HostKey => a.host_key.as_deref(),
        Kind::Cipher => a.cipher.as_deref(),
        Kind::Mac => a.mac.as_deref(),
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Kex,
    HostKey,
    Cipher,
    Mac,
}

impl Kind {
    pub const ALL: [Kind; 4] = [Kind::Kex, Kind::HostKey, Kind::Cipher, Kind::Mac];

    /// Its key under `algorithms:`.
    pub fn key(self) -> &'static str {
        match self {
            Kind::Kex => "kex",
            Kind::HostKey => "host_key",
            Kind::Cipher => "cipher",
            Kind::Mac => "mac",
        }
    }
}

/// Markers libssh2 lists among the key exchanges; they are not algorithms a
/// server must share, and always go last.
const KEX_MARKERS: [&str; 2] = ["ext-info-c", "kex-strict-c-v00@openssh.com"];

/// What libssh2 supports but fcstats never uses: host certificates (fcstats
/// checks the plain host key; a server with a certificate also has one).
fn usable(kind: Kind, name: &str) -> bool {
    !(kind == Kind::HostKey && name.contains("-cert-v01@"))
}

/// Off unless `algorithms:` asks: SHA-1 (and SHA-1-based) algorithms, as in
/// OpenSSH 8.8 and later, and CBC ciphers, as in OpenSSH 7.6 and later.
fn weak(kind: Kind, name: &str) -> bool {
    match kind {
        Kind::Kex => name.ends_with("-sha1"),
        Kind::HostKey => name == "ssh-rsa" || name == "ssh-dss",
        Kind::Cipher => name.contains("-cbc"),
        Kind::Mac => name.contains("-sha1") || name.contains("md5") || name.contains("ripemd"),
    }
}

/// `*` in `pattern` matches any text (OpenSSH also allows `?`).
fn glob(pattern: &str, name: &str) -> bool {
    wildmatch::WildMatch::new(pattern).matches(name)
}

/// The list offered for `kind`: libssh2's `supported`, less the weak ones,
/// then changed by `spec` (OpenSSH syntax). An unknown name is an error
/// naming what is supported.
pub fn offered(kind: Kind, supported: &[&str], spec: Option<&str>) -> Result<Vec<String>, String> {
    let (markers, supported): (Vec<&str>, Vec<&str>) = supported
        .iter()
        .copied()
        .filter(|a| usable(kind, a))
        .partition(|a| kind == Kind::Kex && KEX_MARKERS.contains(a));
    let default: Vec<String> = supported
        .iter()
        .filter(|a| !weak(kind, a))
        .map(|a| a.to_string())
        .collect();
    let mut list = match spec.map(str::trim) {
        None | Some("") => default,
        Some(spec) => apply(kind, spec, default, &supported)?,
    };
    list.extend(markers.iter().map(|m| m.to_string()));
    Ok(list)
}

fn apply(
    kind: Kind,
    spec: &str,
    default: Vec<String>,
    supported: &[&str],
) -> Result<Vec<String>, String> {
    let (op, names) = match spec.chars().next() {
        Some(c @ ('+' | '-' | '^')) => (Some(c), &spec[1..]),
        _ => (None, spec),
    };
    let names: Vec<&str> = names
        .split(',')
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .collect();
    if let Some(bad) = names.iter().find(|n| !supported.iter().any(|s| glob(n, s))) {
        return Err(format!(
            "algorithms.{}: `{bad}` is not an algorithm fcstats supports; it supports {}",
            kind.key(),
            supported.join(", ")
        ));
    }
    let matching = |n: &str| -> Vec<String> {
        supported
            .iter()
            .filter(|s| glob(n, s))
            .map(|s| s.to_string())
            .collect()
    };
    let named: Vec<String> = names.iter().flat_map(|n| matching(n)).collect();
    Ok(match op {
        Some('+') => dedup(default.into_iter().chain(named).collect()),
        Some('-') => default.into_iter().filter(|d| !named.contains(d)).collect(),
        Some('^') => dedup(named.into_iter().chain(default).collect()),
        _ => dedup(named),
    })
}

fn dedup(list: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for a in list {
        if !out.contains(&a) {
            out.push(a);
        }
    }
    out
}

/// One list per kind, indexed by `Kind as usize`: what we offer, or what a
/// server offers (its SSH_MSG_KEXINIT).
pub type Lists = [Vec<String>; 4];

/// The server's offer, from the payload of its first packet
/// (RFC 4253 §7.1: byte 20, a 16-byte cookie, then name-lists).
pub fn parse_kexinit(payload: &[u8]) -> Option<Lists> {
    const SSH_MSG_KEXINIT: u8 = 20;
    if payload.first() != Some(&SSH_MSG_KEXINIT) {
        return None;
    }
    let mut at = 17;
    let mut lists = Vec::new();
    // kex, host key, cipher c→s and s→c, mac c→s and s→c.
    for _ in 0..6 {
        let len = u32::from_be_bytes(payload.get(at..at + 4)?.try_into().ok()?) as usize;
        let text = std::str::from_utf8(payload.get(at + 4..at + 4 + len)?).ok()?;
        lists.push(
            text.split(',')
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect::<Vec<_>>(),
        );
        at += 4 + len;
    }
    // The client-to-server cipher and MAC lists are the ones a client matches.
    let [kex, host_key, cipher, _, mac, _]: [Vec<String>; 6] = lists.try_into().ok()?;
    Some([kex, host_key, cipher, mac])
}

/// Why no algorithm was agreed, one clause per list that shares none with the
/// server, each with the `algorithms:` line that would match it. AEAD ciphers
/// (`*-gcm@openssh.com`, chacha20-poly1305) need no MAC. `None`: each list
/// shares one (the failure is elsewhere).
pub fn diagnose(ours: &Lists, server: &Lists) -> Option<String> {
    let aead = |c: &str| c.contains("gcm@") || c.starts_with("chacha20-poly1305");
    let mut clauses = Vec::new();
    for kind in Kind::ALL {
        let mine = &ours[kind as usize];
        // The server's markers (ext-info-s, kex-strict-s-v00@openssh.com) are not algorithms.
        let theirs: Vec<&String> = server[kind as usize]
            .iter()
            .filter(|a| !(a.starts_with("ext-info-") || a.starts_with("kex-strict-")))
            .collect();
        if kind == Kind::Mac {
            let cipher = ours[Kind::Cipher as usize]
                .iter()
                .find(|c| server[Kind::Cipher as usize].contains(c));
            if cipher.is_some_and(|c| aead(c)) || theirs.is_empty() {
                continue;
            }
        }
        if theirs.iter().any(|t| mine.contains(*t)) {
            continue;
        }
        let Some(first) = theirs.first() else {
            continue;
        };
        clauses.push(format!(
            "{} offered by the server: {} (none enabled here; `algorithms: {{{}: \"+{first}\"}}` would match)",
            kind.key(),
            theirs.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", "),
            kind.key()
        ));
    }
    (!clauses.is_empty()).then(|| clauses.join("; "))
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEX: [&str; 5] = [
        "curve25519-sha256",
        "diffie-hellman-group14-sha256",
        "diffie-hellman-group14-sha1",
        "ext-info-c",
        "kex-strict-c-v00@openssh.com",
    ];
    const HOST: [&str; 4] = [
        "ssh-ed25519-cert-v01@openssh.com",
        "ssh-ed25519",
        "rsa-sha2-512",
        "ssh-rsa",
    ];

    #[test]
    fn sha1_and_certificates_are_off_by_default_and_markers_stay_last() {
        assert_eq!(
            offered(Kind::Kex, &KEX, None).unwrap(),
            [
                "curve25519-sha256",
                "diffie-hellman-group14-sha256",
                "ext-info-c",
                "kex-strict-c-v00@openssh.com"
            ]
        );
        assert_eq!(
            offered(Kind::HostKey, &HOST, None).unwrap(),
            ["ssh-ed25519", "rsa-sha2-512"]
        );
    }

    #[test]
    fn openssh_syntax_appends_removes_prepends_and_replaces() {
        assert_eq!(
            offered(Kind::HostKey, &HOST, Some("+ssh-rsa")).unwrap(),
            ["ssh-ed25519", "rsa-sha2-512", "ssh-rsa"]
        );
        assert_eq!(
            offered(Kind::HostKey, &HOST, Some("-rsa*")).unwrap(),
            ["ssh-ed25519"]
        );
        assert_eq!(
            offered(Kind::HostKey, &HOST, Some("^ssh-rsa")).unwrap(),
            ["ssh-rsa", "ssh-ed25519", "rsa-sha2-512"]
        );
        assert_eq!(
            offered(Kind::Kex, &KEX, Some("diffie-hellman-group14-sha1")).unwrap(),
            [
                "diffie-hellman-group14-sha1",
                "ext-info-c",
                "kex-strict-c-v00@openssh.com"
            ]
        );
        // Appending what is already there changes nothing.
        assert_eq!(
            offered(Kind::HostKey, &HOST, Some("+ssh-ed25519")).unwrap(),
            ["ssh-ed25519", "rsa-sha2-512"]
        );
    }

    #[test]
    fn an_unknown_name_says_what_is_supported() {
        let e = offered(Kind::HostKey, &HOST, Some("+ssh-dsa")).unwrap_err();
        assert_eq!(
            e,
            "algorithms.host_key: `ssh-dsa` is not an algorithm fcstats supports; it supports \
             ssh-ed25519, rsa-sha2-512, ssh-rsa"
        );
    }

    /// A KEXINIT payload with these six lists.
    fn kexinit(lists: [&str; 6]) -> Vec<u8> {
        let mut p = vec![20u8];
        p.extend([0u8; 16]);
        for l in lists.iter().chain(["none", "none", "", ""].iter()) {
            p.extend((l.len() as u32).to_be_bytes());
            p.extend(l.as_bytes());
        }
        p.extend([0u8; 5]);
        p
    }

    #[test]
    fn an_old_servers_offer_is_read_and_the_missing_lists_named() {
        let payload = kexinit([
            "diffie-hellman-group14-sha1,diffie-hellman-group1-sha1",
            "ssh-rsa",
            "aes128-ctr,aes128-cbc",
            "aes128-ctr",
            "hmac-sha1",
            "hmac-sha1",
        ]);
        let server = parse_kexinit(&payload).unwrap();
        assert_eq!(server[Kind::HostKey as usize], ["ssh-rsa"]);
        // The client-to-server lists: aes128-cbc is only offered that way.
        assert_eq!(server[Kind::Cipher as usize], ["aes128-ctr", "aes128-cbc"]);
        assert_eq!(server[Kind::Mac as usize], ["hmac-sha1"]);
        let ours: Lists = [
            offered(Kind::Kex, &KEX, None).unwrap(),
            offered(Kind::HostKey, &HOST, None).unwrap(),
            vec!["aes128-gcm@openssh.com".into(), "aes128-ctr".into()],
            vec!["hmac-sha2-256".into()],
        ];
        assert_eq!(
            diagnose(&ours, &server).unwrap(),
            "kex offered by the server: diffie-hellman-group14-sha1, diffie-hellman-group1-sha1 \
             (none enabled here; `algorithms: {kex: \"+diffie-hellman-group14-sha1\"}` would match); \
             host_key offered by the server: ssh-rsa (none enabled here; `algorithms: {host_key: \
             \"+ssh-rsa\"}` would match); mac offered by the server: hmac-sha1 (none enabled here; \
             `algorithms: {mac: \"+hmac-sha1\"}` would match)"
        );
        // An AEAD cipher in common: no MAC is needed.
        let modern = parse_kexinit(&kexinit([
            "curve25519-sha256",
            "ssh-ed25519",
            "aes128-gcm@openssh.com",
            "aes128-gcm@openssh.com",
            "hmac-sha1",
            "hmac-sha1",
        ]))
        .unwrap();
        assert_eq!(diagnose(&ours, &modern), None);
        assert_eq!(parse_kexinit(&[21, 0]), None);
        assert_eq!(parse_kexinit(&payload[..30]), None);
    }

    #[test]
    fn glob_matches_stars() {
        assert!(glob("*", ""));
        assert!(glob("rsa*", "rsa-sha2-512"));
        assert!(glob("*-sha1", "diffie-hellman-group14-sha1"));
        assert!(!glob("*-sha1", "diffie-hellman-group14-sha256"));
        assert!(glob("a*b*c", "aXbYc"));
        assert!(!glob("a*b*c", "aXbY"));
    }
}
