//! What raises an alert (SPEC §11): one enum, its names in the config, the
//! outbox and every payload.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertKind {
    Down,
    Up,
    CollectorFailed,
    CollectorRecovered,
    Retired,
    InterfacesChanged,
    NotDecoding,
    /// Opt-in: only to sinks whose `kinds:` names it.
    MaintenanceStart,
    /// Opt-in.
    MaintenanceEnd,
    /// Many alerts of one poll in one message (`digest:`).
    Digest,
    /// `fcstats alerts --test`: every sink gets it.
    #[default]
    Test,
}

impl AlertKind {
    /// What a sink gets when its `kinds:` is not given.
    pub const DEFAULT: [AlertKind; 7] = [
        AlertKind::Down,
        AlertKind::Up,
        AlertKind::CollectorFailed,
        AlertKind::CollectorRecovered,
        AlertKind::Retired,
        AlertKind::InterfacesChanged,
        AlertKind::NotDecoding,
    ];

    /// What a sink gets only when its `kinds:` names it.
    pub const OPT_IN: [AlertKind; 2] = [AlertKind::MaintenanceStart, AlertKind::MaintenanceEnd];

    pub fn as_str(self) -> &'static str {
        match self {
            AlertKind::Down => "down",
            AlertKind::Up => "up",
            AlertKind::CollectorFailed => "collector_failed",
            AlertKind::CollectorRecovered => "collector_recovered",
            AlertKind::Retired => "retired",
            AlertKind::InterfacesChanged => "interfaces_changed",
            AlertKind::NotDecoding => "not_decoding",
            AlertKind::MaintenanceStart => "maintenance_start",
            AlertKind::MaintenanceEnd => "maintenance_end",
            AlertKind::Digest => "digest",
            AlertKind::Test => "test",
        }
    }

    /// A kind a sink may ask for by name (`test` is not one).
    pub fn parse(s: &str) -> Option<AlertKind> {
        Self::DEFAULT
            .into_iter()
            .chain(Self::OPT_IN)
            .find(|k| k.as_str() == s)
    }

    /// Whether it says something is wrong (for severities and colours).
    pub fn is_trouble(self) -> bool {
        matches!(
            self,
            AlertKind::Down
                | AlertKind::CollectorFailed
                | AlertKind::InterfacesChanged
                | AlertKind::NotDecoding
        )
    }
}

impl std::fmt::Display for AlertKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
