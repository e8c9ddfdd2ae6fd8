//! SPEC §3: the state machine. From the previous snapshot and this poll's
//! verdicts, what changes: new snapshot rows and the events to record. Pure;
//! an unchanged key yields nothing, so writes stay proportional to change.

use std::collections::HashMap;
use std::sync::Arc;

use crate::aggregate::{CollectorRead, Outcome, Verdict, Verdicts};
use crate::model::{
    Brief, CollectorHealth, Key, KeyId, KeyState, Listing, Pending, Rows, Snapshot, State, Status,
};

/// What happened to a key at this poll. Stored as the integer code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventKind {
    /// First sight, up; or the first sending of an inactive or retired key.
    /// Never reported as "came up".
    BaselineUp = 1,
    /// First sight, down. Never reported as "went down".
    BaselineDown = 2,
    /// up → down (possibly with unknown polls between).
    Down = 3,
    /// down → up (possibly with unknown polls between).
    Up = 4,
    /// Entered unknown.
    Unknown = 5,
    /// Left unknown in the state it had before.
    Known = 6,
    /// The owner collector changed while the key stayed up (migration).
    Moved = 7,
    /// First sight of a key whose exporter never sent anything (SPEC §9).
    BaselineInactive = 8,
    /// Down longer than `retire_after` (SPEC §9).
    Retired = 9,
}

impl EventKind {
    pub fn code(self) -> i64 {
        self as i64
    }

    pub fn from_code(code: i64) -> Option<EventKind> {
        use EventKind::*;
        [
            BaselineUp,
            BaselineDown,
            Down,
            Up,
            Unknown,
            Known,
            Moved,
            BaselineInactive,
            Retired,
        ]
        .get(usize::try_from(code - 1).ok()?)
        .copied()
    }

    /// The key's status after an event of this kind, given the one before.
    pub fn after(self, prev: Status) -> Status {
        match self {
            EventKind::BaselineUp | EventKind::Up | EventKind::Moved => Status::Up,
            EventKind::BaselineDown | EventKind::Down => Status::Down,
            EventKind::BaselineInactive => Status::Inactive,
            EventKind::Retired => Status::Retired,
            EventKind::Unknown => match prev.known() {
                Some(State::Down) => Status::UnknownDown,
                _ => Status::UnknownUp,
            },
            EventKind::Known => match prev {
                Status::UnknownDown => Status::Down,
                _ => Status::Up,
            },
        }
    }

    /// As `report history` names it (SPEC §12).
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::BaselineUp | EventKind::BaselineDown => "baseline",
            EventKind::Down => "down",
            EventKind::Up => "up",
            EventKind::Unknown => "unknown",
            EventKind::Known => "known",
            EventKind::Moved => "moved",
            EventKind::BaselineInactive => "inactive",
            EventKind::Retired => "retired",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    pub kind: EventKind,
    /// When it happened: this poll, or for a confirmed transition the first
    /// poll of the run that confirmed it (with `outage_start: last_active`, a
    /// down transition's `Last Active`, clamped into that poll's interval).
    pub at: i64,
    /// The key's status just before the event.
    pub prev: Status,
    /// Down: the owner before; up/baseline up/moved: the new owner;
    /// unknown: the failed collector that made it unknown.
    pub collector: Option<String>,
    pub bps: u64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyChange {
    /// The key's id in the poll's table (the store maps it to its row).
    pub id: KeyId,
    pub key: Key,
    pub new: KeyState,
    /// `None`: only the snapshot changed (a transition waiting for confirmation).
    pub event: Option<Event>,
}

/// Flap control: how many polls in a row must say down (up) before the
/// transition is recorded. 1 and 1 record every change at once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Confirm {
    pub down: u32,
    pub up: u32,
}

impl Default for Confirm {
    fn default() -> Self {
        Confirm { down: 1, up: 1 }
    }
}

impl Confirm {
    fn polls_for(self, s: State) -> u32 {
        match s {
            State::Down => self.down,
            _ => self.up,
        }
    }
}

/// What a down transition is dated at (SPEC §9 `outage_start`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutageStart {
    /// The first poll that saw it down.
    #[default]
    Poll,
    /// The key's `Last Active`, clamped to after the previous poll and not
    /// after this one.
    LastActive,
}

/// The configured rules of the state machine.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Rules {
    pub confirm: Confirm,
    pub outage_start: OutageStart,
    /// Seconds down after which a key is retired; `None`: never.
    pub retire_after: Option<i64>,
}

impl From<Confirm> for Rules {
    fn from(confirm: Confirm) -> Rules {
        Rules {
            confirm,
            ..Rules::default()
        }
    }
}

/// This poll's time and the previous poll's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PollTime {
    pub at: i64,
    pub prev: Option<i64>,
}

impl Rules {
    /// Whether a key down since `since` is due to be retired at `at`.
    fn retire_due(&self, since: i64, at: i64) -> bool {
        self.retire_after.is_some_and(|r| at - since >= r)
    }

    /// When a down transition first seen at `t` started: `t`, or the key's
    /// `Last Active` clamped into (previous poll, `t`].
    fn outage_start(&self, t: PollTime, last_active: Option<i64>) -> i64 {
        match (self.outage_start, last_active) {
            (OutageStart::LastActive, Some(active)) => {
                let after = t.prev.map_or(i64::MIN, |p| p.saturating_add(1));
                active.clamp(after.min(t.at), t.at)
            }
            _ => t.at,
        }
    }
}

/// Whether a verdict leaves a stored key as it is, told from its brief alone:
/// same known state, nothing pending, not unknown (or unknown and still
/// unknown), up with the same owner, not due to retire; an inactive or
/// retired key stays so until it sends. `step_key` yields nothing then;
/// every other stored key must be loaded in full before `step`.
pub fn settled(brief: &Brief, verdict: &Verdict, at: i64, rules: &Rules) -> bool {
    let dormant = matches!(brief.state, State::Inactive | State::Retired);
    !brief.pending
        && match *verdict {
            Verdict::Up { owner, .. } => {
                !brief.unknown && brief.state == State::Up && brief.owner.as_deref() == Some(owner)
            }
            Verdict::Down { .. } | Verdict::Inactive => {
                dormant
                    || (!brief.unknown
                        && brief.state == State::Down
                        && !rules.retire_due(brief.since, at))
            }
            Verdict::Unknown { .. } => brief.unknown || dormant,
        }
}

/// The stored keys whose verdict is not settled: those `step` needs in full.
pub fn unsettled(prior: &Snapshot, verdicts: &Verdicts, at: i64, rules: &Rules) -> Vec<KeyId> {
    verdicts
        .iter()
        .enumerate()
        .filter_map(|(i, verdict)| {
            let id = i as KeyId;
            let brief = prior.brief(id)?;
            (!settled(brief, verdict.as_ref()?, at, rules)).then_some(id)
        })
        .collect()
}

/// Changes for every key whose verdict differs from what the snapshot holds.
/// At most one event per key per poll. Sorted by key. The keys `unsettled`
/// names must be in `prior.full`.
pub fn step(prior: &Snapshot, verdicts: &Verdicts, at: i64, rules: &Rules) -> Vec<KeyChange> {
    let t = PollTime {
        at,
        prev: prior.last_poll,
    };
    let mut out: Vec<KeyChange> = verdicts
        .iter()
        .enumerate()
        .filter_map(|(i, verdict)| {
            let id = i as KeyId;
            let verdict = verdict.as_ref()?;
            let prev = match prior.brief(id) {
                None => None,
                Some(brief) if settled(brief, verdict, at, rules) => return None,
                Some(_) => Some(prior.state(id).unwrap_or_else(|| {
                    panic!("key {id} is not settled but was not loaded in full")
                })),
            };
            let (new, event) = step_key(prev, verdict, t, rules)?;
            Some(KeyChange {
                id,
                key: prior.table.key(id),
                new,
                event,
            })
        })
        .collect();
    out.sort_by(|a, b| a.key.cmp(&b.key));
    out
}

fn event(
    kind: EventKind,
    at: i64,
    prev: Option<&KeyState>,
    collector: Option<&str>,
    bps: u64,
) -> Event {
    Event {
        kind,
        at,
        prev: Status::of(prev),
        collector: collector.map(str::to_owned),
        bps,
    }
}

type Step = Option<(KeyState, Option<Event>)>;

/// One key's move. `None` when nothing changed (nothing is allocated then).
pub fn step_key(prev: Option<&KeyState>, verdict: &Verdict, t: PollTime, rules: &Rules) -> Step {
    let (state, bps, owner, last_active) = match *verdict {
        Verdict::Up { bps, owner } => (State::Up, bps, Some(owner), None),
        Verdict::Down { last_active } => (State::Down, 0, None, last_active),
        Verdict::Inactive => (State::Inactive, 0, None, None),
        Verdict::Unknown { blame } => return unknown(prev?, blame, t.at),
    };
    let Some(prev) = prev else {
        return Some(baseline(None, state, t.at, owner, bps));
    };
    match (prev.state, state) {
        // Never sent, or retired: so until it sends; that is its baseline.
        (State::Inactive | State::Retired, State::Up) => {
            return Some(baseline(Some(prev), state, t.at, owner, bps))
        }
        (State::Inactive | State::Retired, _) => return None,
        _ => {}
    }
    // A key seen sending that a collector now lists as never active: the
    // collector forgot it (a restart). Not sending is down.
    let state = match state {
        State::Inactive => State::Down,
        s => s,
    };
    if state != prev.state {
        let start = match state {
            State::Down => rules.outage_start(t, last_active),
            _ => t.at,
        };
        return transition(prev, state, start, owner, bps, rules.confirm);
    }
    if state == State::Down && rules.retire_due(prev.since, t.at) {
        let new = KeyState {
            state: State::Retired,
            since: t.at,
            unknown_since: None,
            pending: None,
            ..prev.clone()
        };
        let e = event(
            EventKind::Retired,
            t.at,
            Some(prev),
            prev.owner.as_deref(),
            0,
        );
        return Some((new, Some(e)));
    }
    unchanged(prev, owner, bps, t.at)
}

/// The key's first sight, or the first sending of an inactive or retired key.
fn baseline(
    prev: Option<&KeyState>,
    state: State,
    at: i64,
    owner: Option<&str>,
    bps: u64,
) -> (KeyState, Option<Event>) {
    let kind = match state {
        State::Up => EventKind::BaselineUp,
        State::Inactive => EventKind::BaselineInactive,
        _ => EventKind::BaselineDown,
    };
    let new = KeyState {
        state,
        since: at,
        unknown_since: None,
        owner: owner.map(Arc::from),
        bps,
        first_seen: prev.map_or(at, |p| p.first_seen),
        pending: None,
    };
    (new, Some(event(kind, at, prev, owner, bps)))
}

/// An unknown verdict: a key never seen, inactive or retired has nothing to
/// be unknown about; a key already unknown only loses a pending run.
fn unknown(prev: &KeyState, blame: &str, at: i64) -> Step {
    if matches!(prev.state, State::Inactive | State::Retired) {
        return None;
    }
    // Unknown breaks a run of verdicts waiting for confirmation.
    if prev.unknown_since.is_some() {
        let broken = KeyState {
            pending: None,
            ..prev.clone()
        };
        return prev.pending.is_some().then_some((broken, None));
    }
    let new = KeyState {
        unknown_since: Some(at),
        pending: None,
        ..prev.clone()
    };
    let e = event(EventKind::Unknown, at, Some(prev), Some(blame), prev.bps);
    Some((new, Some(e)))
}

/// A verdict of the other known state, first seen at `start`: a transition
/// once `confirm` polls in a row said so, dated at the first of them.
fn transition(
    prev: &KeyState,
    state: State,
    start: i64,
    owner: Option<&str>,
    bps: u64,
    confirm: Confirm,
) -> Step {
    // Down keeps the last owner: it still matters for the key (SPEC §2).
    let new_owner = owner.or(prev.owner.as_deref());
    let (since, count) = match prev.pending {
        Some(p) if p.state == state => (p.since, p.count + 1),
        _ => (start, 1),
    };
    if count < confirm.polls_for(state) {
        // Not confirmed yet: remember the run; the key keeps its state
        // (and stays unknown if it was).
        let waiting = KeyState {
            pending: Some(Pending {
                state,
                since,
                count,
            }),
            ..prev.clone()
        };
        return Some((waiting, None));
    }
    let (kind, collector) = match state {
        State::Up => (EventKind::Up, new_owner),
        _ => (EventKind::Down, prev.owner.as_deref()),
    };
    // Dated at the first poll of the run, so downtime stays exact.
    let new = KeyState {
        state,
        since,
        unknown_since: None,
        owner: owner_after(owner, &prev.owner),
        bps,
        first_seen: prev.first_seen,
        pending: None,
    };
    Some((new, Some(event(kind, since, Some(prev), collector, bps))))
}

/// The same known state: known again, moved, or the end of a run that was
/// not confirmed; or nothing at all.
fn unchanged(prev: &KeyState, owner: Option<&str>, bps: u64, at: i64) -> Step {
    let new_owner = owner.or(prev.owner.as_deref());
    let kind = if prev.unknown_since.is_some() {
        Some(EventKind::Known)
    } else if new_owner != prev.owner.as_deref() {
        Some(EventKind::Moved)
    } else {
        None
    };
    if kind.is_none() && prev.pending.is_none() {
        return None;
    }
    // Known again, moved, or a run that was not confirmed: back to plain.
    let new = KeyState {
        unknown_since: None,
        owner: owner_after(owner, &prev.owner),
        bps: if kind.is_some() { bps } else { prev.bps },
        pending: None,
        ..prev.clone()
    };
    Some((new, kind.map(|k| event(k, at, Some(prev), new_owner, bps))))
}

/// The owner after a verdict naming `owner` (`None`: down, the last owner
/// stays): the previous owner's shared name when it is the same collector.
fn owner_after(owner: Option<&str>, prev: &Option<Arc<str>>) -> Option<Arc<str>> {
    match owner {
        Some(o) if prev.as_deref() != Some(o) => Some(Arc::from(o)),
        _ => prev.clone(),
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HealthChange {
    pub collector: String,
    pub new: CollectorHealth,
    /// A change of ok/failed (or a collector's first poll) is an event.
    pub event: bool,
}

/// Collector health changes for this poll. `prev_poll` is the time of the poll
/// before this one. A collector still failing with a new message changes its
/// row but is not an event.
pub fn health_step(
    prior: &HashMap<String, CollectorHealth>,
    reads: &[CollectorRead],
    prev_poll: Option<i64>,
    at: i64,
) -> Vec<HealthChange> {
    reads
        .iter()
        .filter_map(|read| {
            let error = match &read.outcome {
                Outcome::Ok(_) => None,
                Outcome::Failed(e) => Some(e.clone()),
            };
            let ok = error.is_none();
            let prev = prior.get(&read.collector);
            // A read that works keeps the last error on record.
            let last_error = error.or_else(|| prev.and_then(|p| p.last_error.clone()));
            let new = match prev {
                Some(p) if p.ok == ok && p.last_error == last_error => return None,
                Some(p) if p.ok == ok => CollectorHealth {
                    last_error,
                    ..p.clone()
                },
                Some(p) => CollectorHealth {
                    ok,
                    since: at,
                    // Failing now: it was read at the previous poll.
                    last_ok: if ok {
                        p.last_ok
                    } else {
                        prev_poll.or(p.last_ok)
                    },
                    last_error,
                },
                None => CollectorHealth {
                    ok,
                    since: at,
                    last_ok: None,
                    last_error,
                },
            };
            Some(HealthChange {
                collector: read.collector.clone(),
                event: prev.is_none_or(|p| p.ok != new.ok),
                new,
            })
        })
        .collect()
}

/// A collector's listing to store after a successful read: the keys it
/// lists now in file order, when they differ (keys or order) from its stored
/// listing.
pub fn listing_change(prior: Option<&Listing>, rows: &Rows) -> Option<Vec<KeyId>> {
    let before = prior.map_or(&[][..], |l| &l.order);
    (!rows.ids().eq(before.iter().copied())).then(|| rows.ids().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// step_key with confirm 1/1, whose change must carry an event.
    fn sk(prev: Option<&KeyState>, v: &Verdict, at: i64) -> Option<(KeyState, Event)> {
        step_key(prev, v, pt(at), &Rules::default()).map(|(s, e)| (s, e.expect("an event")))
    }

    /// A poll at `at`, the one before 300 s earlier.
    fn pt(at: i64) -> PollTime {
        PollTime {
            at,
            prev: Some(at - 300),
        }
    }

    /// The event step_key makes at 500.
    fn ev(kind: EventKind, prev: Option<&KeyState>, collector: Option<&str>, bps: u64) -> Event {
        event(kind, 500, prev, collector, bps)
    }

    fn ks(state: State, since: i64, owner: Option<&str>) -> KeyState {
        KeyState {
            state,
            since,
            unknown_since: None,
            owner: owner.map(Arc::from),
            bps: 100,
            first_seen: 10,
            pending: None,
        }
    }

    fn up(bps: u64, owner: &str) -> Verdict<'_> {
        Verdict::Up { bps, owner }
    }

    fn unknown(blame: &str) -> Verdict<'_> {
        Verdict::Unknown { blame }
    }

    fn kind(prev: Option<&KeyState>, v: &Verdict) -> Option<EventKind> {
        sk(prev, v, 500).map(|(_, e)| e.kind)
    }

    #[test]
    fn first_sight_is_a_baseline_never_a_transition() {
        let (s, e) = sk(None, &up(7, "a"), 500).unwrap();
        assert_eq!(e, ev(EventKind::BaselineUp, None, Some("a"), 7));
        assert_eq!(e.prev, Status::Unseen);
        assert_eq!(
            s,
            KeyState {
                state: State::Up,
                since: 500,
                unknown_since: None,
                owner: Some("a".into()),
                bps: 7,
                first_seen: 500,
                pending: None,
            }
        );
        assert_eq!(kind(None, &Verdict::DOWN), Some(EventKind::BaselineDown));
    }

    #[test]
    fn a_transition_waits_for_confirm_polls_and_is_dated_at_the_first() {
        let c = Confirm { down: 3, up: 2 };
        let up_key = ks(State::Up, 10, Some("a"));
        let (s1, e1) = step_key(Some(&up_key), &Verdict::DOWN, pt(500), &c.into()).unwrap();
        assert_eq!(e1, None);
        assert_eq!(
            s1.pending,
            Some(Pending {
                state: State::Down,
                since: 500,
                count: 1
            })
        );
        assert_eq!((s1.state, s1.since), (State::Up, 10));
        let (s2, e2) = step_key(Some(&s1), &Verdict::DOWN, pt(800), &c.into()).unwrap();
        assert_eq!((e2, s2.pending.map(|p| p.count)), (None, Some(2)));
        let (s3, e3) = step_key(Some(&s2), &Verdict::DOWN, pt(1100), &c.into()).unwrap();
        let e3 = e3.unwrap();
        assert_eq!(
            (e3.kind, e3.at, e3.prev),
            (EventKind::Down, 500, Status::Up)
        );
        assert_eq!((s3.state, s3.since, s3.pending), (State::Down, 500, None));
        // Coming back needs 2 polls.
        let (s4, e4) = step_key(Some(&s3), &up(5, "a"), pt(1400), &c.into()).unwrap();
        assert_eq!(e4, None);
        let (s5, e5) = step_key(Some(&s4), &up(5, "a"), pt(1700), &c.into()).unwrap();
        assert_eq!(e5.map(|e| (e.kind, e.at)), Some((EventKind::Up, 1400)));
        assert_eq!(s5.since, 1400);
    }

    #[test]
    fn a_broken_run_records_nothing_and_unknown_breaks_a_run() {
        let c = Confirm { down: 2, up: 1 };
        let up_key = ks(State::Up, 10, Some("a"));
        let (s1, _) = step_key(Some(&up_key), &Verdict::DOWN, pt(500), &c.into()).unwrap();
        let (s2, e2) = step_key(Some(&s1), &up(5, "a"), pt(800), &c.into()).unwrap();
        assert_eq!((e2, s2.pending), (None, None));
        assert_eq!(
            s2,
            KeyState {
                bps: 100,
                ..up_key.clone()
            }
        );
        let (s3, e3) = step_key(Some(&s1), &unknown("a"), pt(800), &c.into()).unwrap();
        assert_eq!(e3.map(|e| e.kind), Some(EventKind::Unknown));
        assert_eq!((s3.pending, s3.unknown_since), (None, Some(800)));
    }

    #[test]
    fn leaving_unknown_into_a_confirmed_change_is_one_event_dated_at_the_run_start() {
        let c = Confirm { down: 2, up: 1 };
        let mut k = ks(State::Up, 10, Some("a"));
        k.unknown_since = Some(300);
        let (s1, e1) = step_key(Some(&k), &Verdict::DOWN, pt(500), &c.into()).unwrap();
        assert_eq!(e1, None);
        assert_eq!(
            s1.unknown_since,
            Some(300),
            "still unknown until the run is confirmed"
        );
        let (s2, e2) = step_key(Some(&s1), &Verdict::DOWN, pt(800), &c.into()).unwrap();
        let e2 = e2.unwrap();
        assert_eq!(
            (e2.kind, e2.at, e2.prev),
            (EventKind::Down, 500, Status::UnknownUp)
        );
        assert_eq!(
            (s2.state, s2.since, s2.unknown_since),
            (State::Down, 500, None)
        );
    }

    #[test]
    fn event_and_status_codes_round_trip() {
        for code in 1..=9 {
            assert_eq!(EventKind::from_code(code).unwrap().code(), code);
        }
        assert_eq!(EventKind::from_code(0), None);
        assert_eq!(EventKind::from_code(10), None);
        for code in 0..=6 {
            assert_eq!(Status::from_code(code).unwrap().code(), code);
        }
        assert_eq!(Status::from_code(7), None);
        assert_eq!(EventKind::Known.after(Status::UnknownDown), Status::Down);
        assert_eq!(EventKind::Unknown.after(Status::Down), Status::UnknownDown);
    }

    #[test]
    fn an_exporter_that_never_sent_is_inactive_until_its_first_sending_its_baseline() {
        let (s, e) = sk(None, &Verdict::Inactive, 500).unwrap();
        assert_eq!(e, ev(EventKind::BaselineInactive, None, None, 0));
        assert_eq!(
            (s.state, s.since, s.first_seen),
            (State::Inactive, 500, 500)
        );
        // Not listed any more, unknown, still never active: nothing changes.
        for v in [Verdict::DOWN, Verdict::Inactive, unknown("a")] {
            assert_eq!(sk(Some(&s), &v, 800), None, "{v:?}");
            let brief = Brief::of(&s);
            assert!(settled(&brief, &v, 800, &Rules::default()), "{v:?}");
        }
        // Its first sending is its baseline, not a transition.
        let (s2, e2) = sk(Some(&s), &up(9, "b"), 800).unwrap();
        assert_eq!(
            (e2.kind, e2.at, e2.prev, e2.collector.as_deref()),
            (EventKind::BaselineUp, 800, Status::Inactive, Some("b"))
        );
        assert_eq!((s2.state, s2.since, s2.first_seen), (State::Up, 800, 500));
    }

    #[test]
    fn a_key_seen_sending_that_a_collector_lists_as_never_active_is_down() {
        let prev = ks(State::Up, 10, Some("a"));
        let (s, e) = sk(Some(&prev), &Verdict::Inactive, 500).unwrap();
        assert_eq!(e, ev(EventKind::Down, Some(&prev), Some("a"), 0));
        assert_eq!(s.state, State::Down);
        let down = ks(State::Down, 10, Some("a"));
        assert_eq!(sk(Some(&down), &Verdict::Inactive, 500), None);
    }

    #[test]
    fn outage_start_last_active_dates_the_down_at_last_active_clamped_into_the_interval() {
        let rules = Rules {
            outage_start: OutageStart::LastActive,
            ..Rules::default()
        };
        let prev = ks(State::Up, 10, Some("a"));
        let t = PollTime {
            at: 1000,
            prev: Some(700),
        };
        let at_of = |last_active: Option<i64>| {
            let v = Verdict::Down { last_active };
            let (s, e) = step_key(Some(&prev), &v, t, &rules).unwrap();
            let e = e.unwrap();
            assert_eq!((e.kind, s.since), (EventKind::Down, e.at));
            e.at
        };
        assert_eq!(at_of(Some(812)), 812);
        // Before the previous poll (which saw it up): just after that poll.
        assert_eq!(at_of(Some(650)), 701);
        assert_eq!(at_of(Some(700)), 701);
        // After this poll (a collector's clock ahead), or unknown: this poll.
        assert_eq!(at_of(Some(1200)), 1000);
        assert_eq!(at_of(None), 1000);
        // The default dates it at the poll.
        let (_, e) = step_key(
            Some(&prev),
            &Verdict::Down {
                last_active: Some(812),
            },
            t,
            &Rules::default(),
        )
        .unwrap();
        assert_eq!(e.unwrap().at, 1000);
        // With confirm, the run's first poll is dated so; an up is never.
        let confirm2 = Rules {
            confirm: Confirm { down: 2, up: 1 },
            ..rules
        };
        let v = Verdict::Down {
            last_active: Some(812),
        };
        let (s1, e1) = step_key(Some(&prev), &v, t, &confirm2).unwrap();
        assert_eq!((e1, s1.pending.map(|p| p.since)), (None, Some(812)));
        let t2 = PollTime {
            at: 1300,
            prev: Some(1000),
        };
        let (_, e2) = step_key(Some(&s1), &v, t2, &confirm2).unwrap();
        assert_eq!(e2.map(|e| (e.kind, e.at)), Some((EventKind::Down, 812)));
    }

    #[test]
    fn a_key_down_longer_than_retire_after_is_retired_once_and_returns_as_a_baseline() {
        let rules = Rules {
            retire_after: Some(1000),
            ..Rules::default()
        };
        let down = ks(State::Down, 10, Some("a"));
        let t = |at| PollTime {
            at,
            prev: Some(at - 300),
        };
        // 10 + 1000 = 1010: not due at 1009.
        assert!(settled(&Brief::of(&down), &Verdict::DOWN, 1009, &rules));
        assert_eq!(step_key(Some(&down), &Verdict::DOWN, t(1009), &rules), None);
        assert!(!settled(&Brief::of(&down), &Verdict::DOWN, 1010, &rules));
        let (s, e) = step_key(Some(&down), &Verdict::DOWN, t(1010), &rules).unwrap();
        assert_eq!(
            e,
            Some(Event {
                kind: EventKind::Retired,
                at: 1010,
                prev: Status::Down,
                collector: Some("a".into()),
                bps: 0,
            })
        );
        assert_eq!(
            (s.state, s.since, s.owner.as_deref()),
            (State::Retired, 1010, Some("a"))
        );
        // Retired: nothing more while it does not send.
        for v in [Verdict::DOWN, Verdict::Inactive, unknown("a")] {
            assert!(settled(&Brief::of(&s), &v, 99_999, &rules));
            assert_eq!(step_key(Some(&s), &v, t(99_999), &rules), None);
        }
        let (back, e) = step_key(Some(&s), &up(4, "b"), t(5000), &rules).unwrap();
        let e = e.unwrap();
        assert_eq!(
            (e.kind, e.prev, e.at),
            (EventKind::BaselineUp, Status::Retired, 5000)
        );
        assert_eq!((back.state, back.first_seen), (State::Up, 10));
        // Unknown while due: retired only once it is seen down again.
        let mut unknown_down = down.clone();
        unknown_down.unknown_since = Some(900);
        let (_, e) = step_key(Some(&unknown_down), &unknown("a"), t(2000), &rules)
            .map_or((None, None), |(s, e)| (Some(s), e));
        assert_eq!(e, None);
        let (s, e) = step_key(Some(&unknown_down), &Verdict::DOWN, t(2000), &rules).unwrap();
        assert_eq!(
            (s.state, e.map(|e| (e.kind, e.prev))),
            (
                State::Retired,
                Some((EventKind::Retired, Status::UnknownDown))
            )
        );
        assert_eq!(EventKind::Retired.after(Status::Down), Status::Retired);
        assert_eq!(
            EventKind::BaselineInactive.after(Status::Unseen),
            Status::Inactive
        );
    }

    #[test]
    fn a_key_never_seen_cannot_be_unknown() {
        assert_eq!(kind(None, &unknown("a")), None);
    }

    #[test]
    fn unchanged_verdict_changes_nothing_even_if_bps_moves() {
        let prev = ks(State::Up, 10, Some("a"));
        assert_eq!(sk(Some(&prev), &up(12345, "a"), 500), None);
        let prev = ks(State::Down, 10, Some("a"));
        assert_eq!(sk(Some(&prev), &Verdict::DOWN, 500), None);
    }

    #[test]
    fn up_to_down_is_a_transition_dated_at_this_poll_naming_the_old_owner() {
        let prev = ks(State::Up, 10, Some("a"));
        let (s, e) = sk(Some(&prev), &Verdict::DOWN, 500).unwrap();
        assert_eq!(e, ev(EventKind::Down, Some(&prev), Some("a"), 0));
        assert_eq!(e.prev, Status::Up);
        assert_eq!(
            (s.state, s.since, s.owner.as_deref()),
            (State::Down, 500, Some("a"))
        );
        assert_eq!(s.first_seen, 10);
    }

    #[test]
    fn down_to_up_is_a_transition() {
        let prev = ks(State::Down, 10, Some("a"));
        let (s, e) = sk(Some(&prev), &up(9, "b"), 500).unwrap();
        assert_eq!(e, ev(EventKind::Up, Some(&prev), Some("b"), 9));
        assert_eq!(e.prev, Status::Down);
        assert_eq!((s.state, s.since, s.bps), (State::Up, 500, 9));
    }

    #[test]
    fn migration_while_up_is_a_move_not_a_transition() {
        let prev = ks(State::Up, 10, Some("a"));
        let (s, e) = sk(Some(&prev), &up(9, "b"), 500).unwrap();
        assert_eq!(e.kind, EventKind::Moved);
        assert_eq!(
            (s.state, s.since, s.owner.as_deref()),
            (State::Up, 10, Some("b"))
        );
    }

    #[test]
    fn entering_unknown_keeps_the_known_state_and_is_recorded_once() {
        let prev = ks(State::Up, 10, Some("a"));
        let (s, e) = sk(Some(&prev), &unknown("a"), 500).unwrap();
        assert_eq!(e, ev(EventKind::Unknown, Some(&prev), Some("a"), 100));
        assert_eq!(e.kind.after(e.prev), Status::UnknownUp);
        assert_eq!(
            (s.state, s.since, s.unknown_since),
            (State::Up, 10, Some(500))
        );
        assert_eq!(sk(Some(&s), &unknown("b"), 600), None);
    }

    #[test]
    fn leaving_unknown_in_the_same_state_is_known_not_a_transition() {
        let mut prev = ks(State::Up, 10, Some("a"));
        prev.unknown_since = Some(400);
        let (s, e) = sk(Some(&prev), &up(5, "a"), 500).unwrap();
        assert_eq!(e.kind, EventKind::Known);
        assert_eq!((s.state, s.since, s.unknown_since), (State::Up, 10, None));
    }

    #[test]
    fn a_change_of_known_state_across_unknown_polls_is_a_transition() {
        let mut prev = ks(State::Up, 10, Some("a"));
        prev.unknown_since = Some(400);
        let (s, e) = sk(Some(&prev), &Verdict::DOWN, 500).unwrap();
        assert_eq!(e.kind, EventKind::Down);
        assert_eq!(
            (s.state, s.since, s.unknown_since),
            (State::Down, 500, None)
        );
    }

    #[test]
    fn step_returns_only_changed_keys_sorted() {
        let a = Key::new("a", "");
        let b = Key::new("b", "");
        let c = Key::new("c", "");
        let mut prior = Snapshot::default();
        // Interned out of order: changes still come sorted by key.
        let c_id = prior.table.intern_key(&c);
        let b_id = prior.table.intern_key(&b);
        let a_id = prior.table.intern_key(&a);
        prior.set(a_id, ks(State::Up, 10, Some("x")));
        prior.set(b_id, ks(State::Up, 10, Some("x")));
        let mut verdicts: Verdicts = vec![None; 3];
        verdicts[a_id as usize] = Some(up(1, "x"));
        verdicts[b_id as usize] = Some(Verdict::DOWN);
        verdicts[c_id as usize] = Some(Verdict::DOWN);
        let changes = step(&prior, &verdicts, 500, &Rules::default());
        assert_eq!(
            changes.iter().map(|c| c.id).collect::<Vec<_>>(),
            [b_id, c_id]
        );
        let got: Vec<(Key, EventKind)> = changes
            .into_iter()
            .map(|c| (c.key, c.event.unwrap().kind))
            .collect();
        assert_eq!(
            got,
            vec![(b, EventKind::Down), (c, EventKind::BaselineDown)]
        );
    }

    fn read(c: &str, error: Option<&str>) -> CollectorRead {
        CollectorRead {
            collector: c.into(),
            outcome: match error {
                None => Outcome::Ok(Rows::default()),
                Some(e) => Outcome::Failed(e.into()),
            },
        }
    }

    fn health(ok: bool, since: i64, last_ok: Option<i64>, err: Option<&str>) -> CollectorHealth {
        CollectorHealth {
            ok,
            since,
            last_ok,
            last_error: err.map(str::to_owned),
        }
    }

    #[test]
    fn collector_health_changes_are_events_and_steady_health_writes_nothing() {
        let prior: HashMap<String, CollectorHealth> = [
            ("a".to_string(), health(true, 100, None, None)),
            ("b".to_string(), health(true, 100, None, None)),
            (
                "c".to_string(),
                health(false, 100, Some(50), Some("refused")),
            ),
            (
                "d".to_string(),
                health(false, 100, Some(50), Some("refused")),
            ),
            // Ok, with an old error on record: a good read changes nothing.
            (
                "f".to_string(),
                health(true, 100, Some(50), Some("old error")),
            ),
        ]
        .into();
        let reads = [
            read("a", None),
            read("b", Some("timed out")),
            read("c", None),
            read("d", Some("auth failed")),
            read("e", None),
            read("f", None),
        ];
        let got = health_step(&prior, &reads, Some(400), 500);
        let want = vec![
            HealthChange {
                collector: "b".into(),
                new: health(false, 500, Some(400), Some("timed out")),
                event: true,
            },
            HealthChange {
                collector: "c".into(),
                new: health(true, 500, Some(50), Some("refused")),
                event: true,
            },
            HealthChange {
                collector: "d".into(),
                new: health(false, 100, Some(50), Some("auth failed")),
                event: false,
            },
            HealthChange {
                collector: "e".into(),
                new: health(true, 500, None, None),
                event: true,
            },
        ];
        assert_eq!(got, want);
    }

    #[test]
    fn a_listing_is_stored_again_when_its_keys_or_their_order_change() {
        let prior = Listing::new(vec![0, 1, 300]);
        let same = Rows::from_ids([(0, 5), (1, 0), (300, 7)]);
        assert_eq!(listing_change(Some(&prior), &same), None);
        let reordered = Rows::from_ids([(1, 0), (0, 5), (300, 7)]);
        assert_eq!(
            listing_change(Some(&prior), &reordered),
            Some(vec![1, 0, 300])
        );
        let fewer = Rows::from_ids([(0, 5), (1, 0)]);
        assert_eq!(listing_change(Some(&prior), &fewer), Some(vec![0, 1]));
        assert_eq!(listing_change(None, &same), Some(vec![0, 1, 300]));
        // Nothing listed before and nothing now: nothing to store.
        assert_eq!(listing_change(None, &Rows::default()), None);
    }
}

#[cfg(test)]
mod props;
