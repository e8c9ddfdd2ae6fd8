//! Secrets as output shows them (SPEC §8): a URL that may carry a token (in
//! its user:password, path or query, as Slack and Teams webhook URLs do) is
//! shown as its scheme, host and port only: `https://hooks.example.com/…`.

/// `https://user:pw@hooks.example.com:8443/T0/B1/x?k=v` → `https://hooks.example.com:8443/…`;
/// a URL with nothing after its host stays as it is. Text that is not a URL
/// is shown as `(a URL)`.
pub fn url_shown(url: &str) -> String {
    let Ok(uri) = url.parse::<ureq::http::Uri>() else {
        return "(a URL)".into();
    };
    let (Some(scheme), Some(host)) = (uri.scheme_str(), uri.host()) else {
        return "(a URL)".into();
    };
    let port = uri.port_u16().map(|p| format!(":{p}")).unwrap_or_default();
    let authority = uri.authority().map_or("", |a| a.as_str());
    let hidden =
        authority.contains('@') || uri.query().is_some() || !matches!(uri.path(), "" | "/");
    format!("{scheme}://{host}{port}/{}", if hidden { "…" } else { "" })
}

/// Serializes a URL as `url_shown` (for `config check`).
pub fn serialize_url<S: serde::Serializer>(url: &str, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&url_shown(url))
}

/// `serialize_url` for an optional URL.
pub fn serialize_opt_url<S: serde::Serializer>(
    url: &Option<String>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match url {
        Some(u) => s.serialize_str(&url_shown(u)),
        None => s.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_keeps_its_scheme_host_and_port_only() {
        for (url, shown) in [
            (
                "https://hooks.slack.com/services/T000/B000/XXXXSECRET",
                "https://hooks.slack.com/…",
            ),
            (
                "https://user:pa55@hooks.example.com:8443/x?token=abc",
                "https://hooks.example.com:8443/…",
            ),
            ("http://127.0.0.1:9/fcstats", "http://127.0.0.1:9/…"),
            ("https://hooks.example.com/", "https://hooks.example.com/"),
            ("https://hooks.example.com", "https://hooks.example.com/"),
            ("https://h.example.com/?k=v", "https://h.example.com/…"),
            ("not a url at all", "(a URL)"),
        ] {
            assert_eq!(url_shown(url), shown, "{url}");
        }
    }
}
