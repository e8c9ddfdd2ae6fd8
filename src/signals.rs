//! SPEC §9's opt-in signals, pure: an exporter whose `Interfaces` count drops
//! while it sends (`interfaces_changed`), and a key that sends bytes the
//! collector does not decode into flows (bps > 0 with `Current Input Rate
//! fps` 0 for `confirm.down` polls: `not_decoding`).

use serde::{Deserialize, Serialize};

use crate::aggregate::{Verdict, Verdicts};
use crate::model::{KeyId, Snapshot, State};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Signal {
    Interfaces,
    Decoding,
}

/// What the store keeps of a key for the signals.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Marks {
    /// The `Interfaces` count last read while it was up (`None`: never).
    pub interfaces: Option<u32>,
    /// Polls in a row up with fps 0, counted up to the confirmation.
    pub zero_fps: u32,
    pub not_decoding: bool,
}

/// What this poll read of a key: the most interfaces any collector listing
/// it gives, and their fps summed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Seen {
    pub interfaces: u32,
    pub fps: u64,
}

/// A signal that alerts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Raised {
    InterfacesDropped { before: u32, now: u32 },
    NotDecoding,
}

impl Raised {
    /// The alert kind.
    pub fn kind(self) -> crate::notify::kind::AlertKind {
        use crate::notify::kind::AlertKind;
        match self {
            Raised::InterfacesDropped { .. } => AlertKind::InterfacesChanged,
            Raised::NotDecoding => AlertKind::NotDecoding,
        }
    }
}

/// The verdict as the signals need it: up, not sending (down, inactive), or
/// no verdict (unknown: nothing changes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sending {
    Yes,
    No,
    Unknown,
}

/// One key's marks after this poll, and what it raises. `confirm`: polls in
/// a row with fps 0 before `not_decoding` (at least 1).
pub fn step(
    marks: Marks,
    seen: Option<Seen>,
    sending: Sending,
    on: &[Signal],
    confirm: u32,
) -> (Marks, Option<Raised>) {
    let mut m = marks;
    let mut raised = None;
    let (Some(seen), Sending::Yes) = (seen, sending) else {
        if sending == Sending::No {
            // Down is its own alert; decoding starts over when it is back.
            m.zero_fps = 0;
            m.not_decoding = false;
        }
        return (m, None);
    };
    if on.contains(&Signal::Interfaces) {
        if let Some(before) = m.interfaces.filter(|b| seen.interfaces < *b) {
            raised = Some(Raised::InterfacesDropped {
                before,
                now: seen.interfaces,
            });
        }
        m.interfaces = Some(seen.interfaces);
    }
    if on.contains(&Signal::Decoding) {
        if seen.fps > 0 {
            m.zero_fps = 0;
            m.not_decoding = false;
        } else {
            m.zero_fps = (m.zero_fps + 1).min(confirm.max(1));
            if m.zero_fps >= confirm && !m.not_decoding {
                m.not_decoding = true;
                // Both in one poll: the drop is said, the key is marked.
                raised = raised.or(Some(Raised::NotDecoding));
            }
        }
    }
    (m, raised)
}

/// What a poll's signals do: the keys whose marks change, and what they
/// raise, each with the key's bps and owner.
pub struct Judged<'a> {
    pub marks: Vec<(KeyId, Marks)>,
    pub raised: Vec<(KeyId, Raised, u64, &'a str)>,
}

/// Every key's signals this poll, from the stored marks (in the briefs),
/// the verdicts and what the reads gave (`seen`, by key id).
pub fn judge<'a>(
    snap: &Snapshot,
    verdicts: &Verdicts<'a>,
    seen: &[Option<Seen>],
    on: &[Signal],
    confirm: u32,
) -> Judged<'a> {
    let mut out = Judged {
        marks: Vec::new(),
        raised: Vec::new(),
    };
    if on.is_empty() {
        return out;
    }
    for (i, v) in verdicts.iter().enumerate() {
        let Some(v) = v else { continue };
        let id = i as KeyId;
        let brief = snap.brief(id);
        // Inactive and retired keys stay so until they send: nothing to say.
        let dormant = brief.is_some_and(|b| matches!(b.state, State::Inactive | State::Retired));
        let (sending, bps, owner) = match *v {
            Verdict::Up { bps, owner } => (Sending::Yes, bps, owner),
            Verdict::Down { .. } | Verdict::Inactive => (Sending::No, 0, ""),
            Verdict::Unknown { .. } => (Sending::Unknown, 0, ""),
        };
        if dormant && sending != Sending::Yes {
            continue;
        }
        let before = brief.map(|b| b.marks).unwrap_or_default();
        let seen = seen.get(i).copied().flatten();
        let (after, raised) = step(before, seen, sending, on, confirm);
        if after != before {
            out.marks.push((id, after));
        }
        // A key's first poll only learns its counts.
        if let Some(r) = raised.filter(|_| brief.is_some()) {
            out.raised.push((id, r, bps, owner));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const BOTH: [Signal; 2] = [Signal::Interfaces, Signal::Decoding];

    fn seen(interfaces: u32, fps: u64) -> Option<Seen> {
        Some(Seen { interfaces, fps })
    }

    #[test]
    fn a_drop_in_interfaces_while_sending_raises_once_a_rise_never() {
        let m = Marks::default();
        let (m, r) = step(m, seen(8, 10), Sending::Yes, &BOTH, 1);
        assert_eq!((m.interfaces, r), (Some(8), None));
        let (m, r) = step(m, seen(9, 10), Sending::Yes, &BOTH, 1);
        assert_eq!((m.interfaces, r), (Some(9), None));
        let (m, r) = step(m, seen(7, 10), Sending::Yes, &BOTH, 1);
        assert_eq!(
            (m.interfaces, r),
            (
                Some(7),
                Some(Raised::InterfacesDropped { before: 9, now: 7 })
            )
        );
        let (_, r) = step(m, seen(7, 10), Sending::Yes, &BOTH, 1);
        assert_eq!(r, None);
        // Down or unknown: the count is not compared nor kept.
        let (m2, r) = step(m, seen(0, 0), Sending::No, &BOTH, 1);
        assert_eq!((m2.interfaces, r), (Some(7), None));
        // Off: never raised.
        let (_, r) = step(m, seen(1, 10), Sending::Yes, &[Signal::Decoding], 1);
        assert_eq!(r, None);
    }

    #[test]
    fn sending_with_no_flows_for_confirm_polls_is_not_decoding() {
        let on = [Signal::Decoding];
        let m = Marks::default();
        let (m, r) = step(m, seen(1, 0), Sending::Yes, &on, 2);
        assert_eq!((m.zero_fps, m.not_decoding, r), (1, false, None));
        // Unknown leaves the run as it is.
        let (m, r) = step(m, None, Sending::Unknown, &on, 2);
        assert_eq!((m.zero_fps, r), (1, None));
        let (m, r) = step(m, seen(1, 0), Sending::Yes, &on, 2);
        assert_eq!(
            (m.zero_fps, m.not_decoding, r),
            (2, true, Some(Raised::NotDecoding))
        );
        // Still not decoding: no second alert, nothing to write.
        let (m2, r) = step(m, seen(1, 0), Sending::Yes, &on, 2);
        assert_eq!((m2, r), (m, None));
        // Flows again: cleared.
        let (m3, _) = step(m, seen(1, 3), Sending::Yes, &on, 2);
        assert_eq!(
            m3,
            Marks {
                interfaces: None,
                zero_fps: 0,
                not_decoding: false
            }
        );
        // Down clears it too.
        let (m4, _) = step(m, None, Sending::No, &on, 2);
        assert!(!m4.not_decoding);
    }
}
