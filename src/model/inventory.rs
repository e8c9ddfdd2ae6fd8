//! SPEC §9 `inventory:` and `ignore:`, the pure part: an inventory CSV
//! (`exporter` as an address or a CIDR, optional `interface`, `name`, `site`,
//! any other column a tag) read with file:line errors, the most specific
//! entry for a key, and the ignore matchers. Not yet wired into config,
//! reports and alerts (see the note on issue 15).

use std::collections::BTreeMap;
use std::net::IpAddr;

use ipnet::IpNet;

/// Which exporters a row covers: one address, a network, or (for an exporter
/// that is not an IP address) one exact text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Exporters {
    Net(IpNet),
    Text(String),
}

impl Exporters {
    pub fn parse(s: &str) -> Option<Exporters> {
        let s = s.trim();
        if s.is_empty() {
            return None;
        }
        if let Ok(net) = s.parse::<IpNet>() {
            return Some(Exporters::Net(net.trunc()));
        }
        if let Ok(ip) = s.parse::<IpAddr>() {
            return Some(Exporters::Net(IpNet::from(ip)));
        }
        // Text that looks like an address or a network but is not one is a typo.
        let address_like = s.chars().all(|c| c.is_ascii_digit() || c == '.')
            || (s.contains(':') && s.chars().all(|c| c.is_ascii_hexdigit() || c == ':'));
        (!s.contains('/') && !address_like).then(|| Exporters::Text(s.to_owned()))
    }

    /// How specific a match is: the prefix length (an exact text counts as a
    /// whole address); `None` when `exporter` is not covered.
    pub fn covers(&self, exporter: &str) -> Option<u8> {
        self.covers_parsed(exporter, exporter.trim().parse().ok())
    }

    /// `covers`, with `exporter` already parsed as an address (`ip`), so
    /// that a lookup over many rows parses it once.
    fn covers_parsed(&self, exporter: &str, ip: Option<IpAddr>) -> Option<u8> {
        match self {
            Exporters::Net(net) => net.contains(&ip?).then_some(net.prefix_len()),
            Exporters::Text(t) => (t == exporter).then_some(128),
        }
    }
}

/// One inventory row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub exporters: Exporters,
    /// `None`: every interface.
    pub interface: Option<String>,
    pub name: Option<String>,
    pub site: Option<String>,
    pub tags: BTreeMap<String, String>,
}

/// What is known of the exporters: the inventory's rows and the `ignore:`
/// matchers.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Inventory {
    pub entries: Vec<Entry>,
    pub ignore: Vec<Ignore>,
}

impl Inventory {
    /// Reads the CSV `text` (the file `file`, for errors `FILE:LINE: what`).
    pub fn parse(file: &str, text: &str) -> Result<Inventory, String> {
        let mut rdr = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .flexible(false)
            .from_reader(text.trim_start_matches('\u{feff}').as_bytes());
        let headers = rdr.headers().map_err(|e| format!("{file}:1: {e}"))?.clone();
        let col = |name: &str| headers.iter().position(|h| h.eq_ignore_ascii_case(name));
        let exporter = col("exporter").ok_or_else(|| {
            format!(
                "{file}:1: the header has no `exporter` column (exporter,interface,name,site,...)"
            )
        })?;
        let (interface, name, site) = (col("interface"), col("name"), col("site"));
        let mut inv = Inventory::default();
        for record in rdr.records() {
            let record = record.map_err(|e| {
                let line = e.position().map_or(0, |p| p.line());
                format!("{file}:{line}: {e}")
            })?;
            let line = record.position().map_or(0, |p| p.line());
            let field = |i: Option<usize>| {
                i.and_then(|i| record.get(i))
                    .filter(|v| !v.is_empty())
                    .map(str::to_owned)
            };
            let raw = record.get(exporter).unwrap_or("");
            let exporters = Exporters::parse(raw).ok_or_else(|| {
                format!("{file}:{line}: exporter `{raw}` is not an address, a CIDR (10.1.0.0/24) or an exporter's name")
            })?;
            let tags = headers
                .iter()
                .enumerate()
                .filter(|(i, _)| ![Some(exporter), interface, name, site].contains(&Some(*i)))
                .filter_map(|(i, h)| Some((h.to_owned(), record.get(i)?.to_owned())))
                .filter(|(_, v)| !v.is_empty())
                .collect();
            inv.entries.push(Entry {
                exporters,
                interface: field(interface),
                name: field(name),
                site: field(site),
                tags,
            });
        }
        Ok(inv)
    }

    /// The most specific entry for a key: the longest prefix, and of equal
    /// prefixes one naming the key's interface over one for every interface;
    /// of equals, the first in the file.
    pub fn lookup(&self, exporter: &str, interface: &str) -> Option<&Entry> {
        if self.entries.is_empty() {
            return None;
        }
        let ip = exporter.trim().parse().ok();
        let mut best: Option<(&Entry, (u8, bool))> = None;
        for e in &self.entries {
            let Some(prefix) = e.exporters.covers_parsed(exporter, ip) else {
                continue;
            };
            let on_interface = match &e.interface {
                Some(i) if i == interface => true,
                Some(_) => continue,
                None => false,
            };
            let rank = (prefix, on_interface);
            if best.is_none_or(|(_, r)| rank > r) {
                best = Some((e, rank));
            }
        }
        best.map(|(e, _)| e)
    }

    /// Whether an `ignore:` matcher covers the key: it is recorded, but never
    /// alerted or reported.
    pub fn ignored(&self, exporter: &str, interface: &str) -> bool {
        !self.ignore.is_empty()
            && self.ignores(exporter, interface, self.lookup(exporter, interface))
    }

    /// `ignored`, for a key whose entry (`lookup`) is already known.
    pub fn ignores(&self, exporter: &str, interface: &str, entry: Option<&Entry>) -> bool {
        self.ignore
            .iter()
            .any(|m| m.matches(exporter, interface, entry))
    }
}

impl std::fmt::Display for Exporters {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Exporters::Net(n) if n.prefix_len() == n.max_prefix_len() => write!(f, "{}", n.addr()),
            Exporters::Net(n) => write!(f, "{n}"),
            Exporters::Text(t) => f.write_str(t),
        }
    }
}

impl serde::Serialize for Exporters {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// One `ignore:` matcher: every field given must match.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct Ignore {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exporter: Option<Exporters>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interface: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub site: Option<String>,
    /// A glob (`*`, `?`) on the inventory name, compiled once.
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "pattern_text"
    )]
    pub name: Option<wildmatch::WildMatch>,
}

fn pattern_text<S: serde::Serializer>(
    p: &Option<wildmatch::WildMatch>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match p {
        Some(p) => s.collect_str(p),
        None => s.serialize_none(),
    }
}

impl Ignore {
    pub fn matches(&self, exporter: &str, interface: &str, entry: Option<&Entry>) -> bool {
        let exporter_ok = self
            .exporter
            .as_ref()
            .is_none_or(|x| x.covers(exporter).is_some());
        let interface_ok = self.interface.as_deref().is_none_or(|i| i == interface);
        let site_ok = self
            .site
            .as_deref()
            .is_none_or(|s| entry.and_then(|e| e.site.as_deref()) == Some(s));
        let name_ok = self.name.as_ref().is_none_or(|g| {
            entry
                .and_then(|e| e.name.as_deref())
                .is_some_and(|n| g.matches(n))
        });
        exporter_ok && interface_ok && site_ok && name_ok
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CSV: &str = "exporter,interface,name,site,owner\n\
                       10.1.0.0/16,,campus,east,netops\n\
                       10.1.2.0/24,,core,east,\n\
                       10.1.2.3,,core-1,east,noc\n\
                       10.1.2.3,7,core-1 uplink,east,\n\
                       fc-probe,,probe,lab,\n";

    fn names(inv: &Inventory, exporter: &str, interface: &str) -> Option<String> {
        inv.lookup(exporter, interface).and_then(|e| e.name.clone())
    }

    #[test]
    fn the_most_specific_entry_wins() {
        let inv = Inventory::parse("inv.csv", CSV).unwrap();
        assert_eq!(names(&inv, "10.1.9.9", "").as_deref(), Some("campus"));
        assert_eq!(names(&inv, "10.1.2.9", "").as_deref(), Some("core"));
        assert_eq!(names(&inv, "10.1.2.3", "").as_deref(), Some("core-1"));
        assert_eq!(
            names(&inv, "10.1.2.3", "7").as_deref(),
            Some("core-1 uplink")
        );
        assert_eq!(names(&inv, "10.1.2.3", "8").as_deref(), Some("core-1"));
        assert_eq!(names(&inv, "fc-probe", "").as_deref(), Some("probe"));
        assert_eq!(names(&inv, "10.2.0.1", ""), None);
        let campus = inv.lookup("10.1.9.9", "").unwrap();
        assert_eq!(campus.tags.get("owner").map(String::as_str), Some("netops"));
        assert_eq!(inv.lookup("10.1.2.9", "").unwrap().tags.len(), 0);
    }

    #[test]
    fn a_bad_file_says_file_and_line() {
        assert_eq!(
            Inventory::parse("inv.csv", "exporter,name\n10.1.0.1,a\n10.1.0.300/8,b\n").unwrap_err(),
            "inv.csv:3: exporter `10.1.0.300/8` is not an address, a CIDR (10.1.0.0/24) or an exporter's name"
        );
        assert_eq!(
            Inventory::parse("inv.csv", "address,name\n").unwrap_err(),
            "inv.csv:1: the header has no `exporter` column (exporter,interface,name,site,...)"
        );
        assert!(Inventory::parse("inv.csv", "exporter\n10.0.0.999\n").is_err());
        let short = Inventory::parse("inv.csv", "exporter,name\n10.1.0.1\n").unwrap_err();
        assert!(short.starts_with("inv.csv:2: "), "{short}");
    }

    #[test]
    fn ignore_matchers_need_every_field_they_give() {
        let inv = Inventory::parse("inv.csv", CSV).unwrap();
        let lab = Ignore {
            site: Some("lab".into()),
            ..Ignore::default()
        };
        assert!(lab.matches("fc-probe", "", inv.lookup("fc-probe", "")));
        assert!(!lab.matches("10.1.2.3", "", inv.lookup("10.1.2.3", "")));
        let cores = Ignore {
            name: Some(wildmatch::WildMatch::new("core-?")),
            exporter: Exporters::parse("10.1.0.0/16"),
            ..Ignore::default()
        };
        assert!(cores.matches("10.1.2.3", "", inv.lookup("10.1.2.3", "")));
        assert!(!cores.matches("10.1.2.9", "", inv.lookup("10.1.2.9", "")));
        let one_interface = Ignore {
            exporter: Exporters::parse("10.1.2.3"),
            interface: Some("7".into()),
            ..Ignore::default()
        };
        assert!(one_interface.matches("10.1.2.3", "7", None));
        assert!(!one_interface.matches("10.1.2.3", "8", None));
    }
}
