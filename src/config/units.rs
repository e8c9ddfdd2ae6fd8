//! Durations (`10s`, `5m`, `1h30m`, `2d`, `1w`) and sizes (`256MiB`, `10MB`, `4096`)
//! as they appear in the config and on the command line.

use std::fmt;
use std::time::Duration;

use serde::{de, Deserialize, Deserializer, Serialize, Serializer};

/// A duration in whole seconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Dur(pub u64);

const DUR_UNITS: [(&str, u64); 5] = [
    ("w", 604_800),
    ("d", 86_400),
    ("h", 3_600),
    ("m", 60),
    ("s", 1),
];

impl Dur {
    pub fn secs(self) -> u64 {
        self.0
    }

    pub fn std(self) -> Duration {
        Duration::from_secs(self.0)
    }

    /// Parses `90`, `90s`, `5m`, `1h30m`, `2d`, `1w`.
    pub fn parse(s: &str) -> Result<Dur, String> {
        let s = s.trim();
        let err = || {
            format!("`{s}` is not a duration: use a number with a unit, like 30s, 5m, 1h, 2d, 1w")
        };
        if s.is_empty() {
            return Err(err());
        }
        if let Ok(n) = s.parse::<u64>() {
            return Ok(Dur(n));
        }
        let mut total: u64 = 0;
        let mut rest = s;
        while !rest.is_empty() {
            let digits = rest
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(rest.len());
            if digits == 0 {
                return Err(err());
            }
            let n: u64 = rest[..digits].parse().map_err(|_| err())?;
            rest = &rest[digits..];
            let unit_len = rest
                .find(|c: char| c.is_ascii_digit())
                .unwrap_or(rest.len());
            let unit = &rest[..unit_len];
            let mult = DUR_UNITS
                .iter()
                .find(|(u, _)| *u == unit)
                .map(|(_, m)| *m)
                .ok_or_else(err)?;
            total = n
                .checked_mul(mult)
                .and_then(|v| total.checked_add(v))
                .ok_or_else(err)?;
            rest = &rest[unit_len..];
        }
        Ok(Dur(total))
    }
}

impl fmt::Display for Dur {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 == 0 {
            return write!(f, "0s");
        }
        let mut rest = self.0;
        for (unit, mult) in DUR_UNITS {
            if rest >= mult {
                write!(f, "{}{unit}", rest / mult)?;
                rest %= mult;
            }
        }
        Ok(())
    }
}

/// A size in bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct ByteSize(pub u64);

const SIZE_UNITS: [(&str, u64); 9] = [
    ("", 1),
    ("B", 1),
    ("KB", 1_000),
    ("MB", 1_000_000),
    ("GB", 1_000_000_000),
    ("KiB", 1 << 10),
    ("MiB", 1 << 20),
    ("GiB", 1 << 30),
    ("TiB", 1 << 40),
];

impl ByteSize {
    /// Parses `4096`, `512KiB`, `256MiB`, `10MB`, `1GiB`.
    pub fn parse(s: &str) -> Result<ByteSize, String> {
        let s = s.trim();
        let digits = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
        let unit = s[digits..].trim();
        let n: Option<u64> = s[..digits].parse().ok();
        let mult = SIZE_UNITS
            .iter()
            .find(|(u, _)| u.eq_ignore_ascii_case(unit));
        match (n, mult) {
            (Some(n), Some((_, m))) => n.checked_mul(*m).map(ByteSize),
            _ => None,
        }
        .ok_or_else(|| {
            format!("`{s}` is not a size: use bytes or a unit, like 512KiB, 256MiB, 1GiB")
        })
    }
}

impl fmt::Display for ByteSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (unit, mult) in [("GiB", 1u64 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)] {
            if self.0 >= mult && self.0.is_multiple_of(mult) {
                return write!(f, "{}{unit}", self.0 / mult);
            }
        }
        write!(f, "{}", self.0)
    }
}

/// Parses a string or a bare number from YAML with `parse`, inside the YAML
/// deserializer, so that a bad value's error carries its line and key.
struct Visit<T>(fn(&str) -> Result<T, String>, &'static str);

impl<T> de::Visitor<'_> for Visit<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.1)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
        (self.0)(v).map_err(E::custom)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<T, E> {
        self.visit_str(&v.to_string())
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<T, E> {
        self.visit_str(&v.to_string())
    }
}

impl<'de> Deserialize<'de> for Dur {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(Visit(Dur::parse, "a duration like 30s, 5m, 1h"))
    }
}

impl<'de> Deserialize<'de> for ByteSize {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(Visit(ByteSize::parse, "a size like 512KiB, 256MiB"))
    }
}

impl Serialize for Dur {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl Serialize for ByteSize {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(Dur::parse("10s"), Ok(Dur(10)));
        assert_eq!(Dur::parse("5m"), Ok(Dur(300)));
        assert_eq!(Dur::parse("1h30m"), Ok(Dur(5400)));
        assert_eq!(Dur::parse("2d"), Ok(Dur(172_800)));
        assert_eq!(Dur::parse("1w"), Ok(Dur(604_800)));
        assert_eq!(Dur::parse("90"), Ok(Dur(90)));
        for bad in ["", "5x", "m", "5 m", "-5m", "1.5h"] {
            assert!(Dur::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(Dur(5400).to_string(), "1h30m");
        assert_eq!(Dur(0).to_string(), "0s");
        assert_eq!(Dur(900).to_string(), "15m");
    }

    #[test]
    fn sizes() {
        assert_eq!(ByteSize::parse("256MiB"), Ok(ByteSize(256 << 20)));
        assert_eq!(ByteSize::parse("10MB"), Ok(ByteSize(10_000_000)));
        assert_eq!(ByteSize::parse("4096"), Ok(ByteSize(4096)));
        assert_eq!(ByteSize::parse("1 gib"), Ok(ByteSize(1 << 30)));
        for bad in ["", "MiB", "12XB", "-1"] {
            assert!(ByteSize::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(ByteSize(256 << 20).to_string(), "256MiB");
        assert_eq!(ByteSize(1000).to_string(), "1000");
    }
}
