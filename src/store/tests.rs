use super::*;
use crate::model::Key;
use crate::state::{Event, EventKind};

/// A change of exporter `eN`, whose id is N - 1: keys are recorded in that
/// order, so those are the ids `load` gives them back.
fn change(e: &str, state: State, at: i64, kind: EventKind, owner: &str) -> KeyChange {
    KeyChange {
        id: e[1..].parse::<KeyId>().unwrap() - 1,
        key: Key::new(e, ""),
        new: KeyState {
            state,
            since: at,
            unknown_since: None,
            owner: Some(owner.into()),
            bps: 5,
            first_seen: 100,
            pending: None,
        },
        event: Some(Event {
            kind,
            at,
            prev: crate::model::Status::Unseen,
            collector: Some(owner.into()),
            bps: 5,
        }),
    }
}

fn health(c: &str, ok: bool, at: i64) -> HealthChange {
    HealthChange {
        collector: c.into(),
        new: CollectorHealth {
            ok,
            since: at,
            last_ok: None,
            last_error: (!ok).then(|| "refused".to_owned()),
        },
        event: true,
    }
}

/// A poll record with keys and listings only (2 collectors read).
fn rec<'a>(at: i64, keys: &'a [KeyChange], listings: &'a [(String, Vec<KeyId>)]) -> PollRecord<'a> {
    PollRecord {
        at,
        ok: 2,
        failed: 0,
        keys,
        marks: &[],
        health: &[],
        listings,
        outbox: &[],
        prune_before: None,
        duration_ms: None,
    }
}

fn count(s: &Store, table: &str) -> i64 {
    s.connection()
        .query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
        .unwrap()
}

#[test]
fn a_recorded_poll_loads_back_as_the_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("sub/dir/x.db");
    let mut s = Store::open(&db).unwrap();
    assert_eq!(s.load().unwrap().last_poll, None);
    let keys = [
        change("e1", State::Up, 100, EventKind::BaselineUp, "a"),
        change("e2", State::Down, 100, EventKind::BaselineDown, "b"),
        change("e3", State::Inactive, 100, EventKind::BaselineInactive, "b"),
    ];
    let listings = [("a".to_owned(), vec![0])];
    let marks = crate::signals::Marks {
        interfaces: Some(7),
        zero_fps: 2,
        not_decoding: true,
    };
    s.record(&PollRecord {
        at: 100,
        ok: 1,
        failed: 1,
        keys: &keys,
        marks: &[(0, marks)],
        health: &[health("a", true, 100), health("b", false, 100)],
        listings: &listings,
        outbox: &[],
        prune_before: None,
        duration_ms: None,
    })
    .unwrap();
    drop(s);
    let mut s = Store::open(&db).unwrap();
    s.set_needs(super::Needs {
        since: true,
        marks: true,
    });
    let snap = s.load_full().unwrap();
    assert_eq!(snap.last_poll, Some(100));
    assert_eq!(snap.get(&Key::new("e1", "")), Some(&keys[0].new));
    assert_eq!(snap.get(&Key::new("e2", "")), Some(&keys[1].new));
    assert_eq!(snap.get(&Key::new("e3", "")), Some(&keys[2].new));
    assert_eq!(
        snap.brief(0).map(|b| (b.marks, b.since)),
        Some((marks, 100))
    );
    assert_eq!(snap.brief(1).map(|b| b.marks), Some(Default::default()));
    assert_eq!(snap.table.key(0), Key::new("e1", ""));
    assert_eq!(snap.listings["a"], Listing::new(vec![0]));
    assert!(!snap.listings.contains_key("b"));
    assert_eq!(snap.collectors["b"].last_error.as_deref(), Some("refused"));
    assert!(snap.collectors["a"].ok);
    assert_eq!(count(&s, "event"), 3);
    assert_eq!(count(&s, "collector_event"), 2);

    // An update of e1, and a read of a that lists nothing.
    let keys = [change("e1", State::Down, 200, EventKind::Down, "a")];
    let listings = [("a".to_owned(), vec![])];
    s.record(&rec(200, &keys, &listings)).unwrap();
    let snap = s.load_full().unwrap();
    let e1 = snap.get(&Key::new("e1", "")).unwrap();
    assert_eq!((e1.state, e1.since), (State::Down, 200));
    assert_eq!(snap.listings["a"], Listing::default());
    assert_eq!(snap.listings.len(), 1);
    assert_eq!(count(&s, "key"), 3);
    assert_eq!(count(&s, "event"), 4);
}

#[test]
fn load_gives_every_key_in_brief_and_complete_adds_the_asked_keys_in_full() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Store::open(&dir.path().join("x.db")).unwrap();
    // 40 keys: e1..e40; every third unknown with a pending run, owners a/b.
    let keys: Vec<KeyChange> = (1..=40)
        .map(|n| {
            let owner = if n % 2 == 0 { "a" } else { "b" };
            let mut c = change(
                &format!("e{n}"),
                State::Up,
                100,
                EventKind::BaselineUp,
                owner,
            );
            if n % 3 == 0 {
                c.new.state = State::Down;
                c.new.unknown_since = Some(150);
                c.new.pending = Some(Pending {
                    state: State::Up,
                    since: 160,
                    count: 2,
                });
            }
            c.new.bps = n;
            c
        })
        .collect();
    // Written twice: a key's first row holds no pending run, an update does.
    let updates: Vec<KeyChange> = keys
        .iter()
        .map(|c| KeyChange {
            event: None,
            ..c.clone()
        })
        .collect();
    for (at, keys) in [(100, &keys), (200, &updates)] {
        s.record(&rec(at, keys, &[])).unwrap();
    }
    // `since` only when asked for (retire_after:): 0 otherwise.
    assert_eq!(s.load().unwrap().brief(0).map(|b| b.since), Some(0));
    s.set_needs(super::Needs {
        since: true,
        marks: false,
    });
    let mut snap = s.load().unwrap();
    assert!(snap.full.is_empty());
    assert_eq!(snap.briefs.len(), 40);
    for c in &keys {
        assert_eq!(
            snap.brief(c.id),
            Some(&Brief::of(&c.new)),
            "{}",
            c.key.exporter
        );
    }
    // Two keys: one look-up each.
    s.complete(&mut snap, &[2, 7]).unwrap();
    assert_eq!(snap.full.len(), 2);
    assert_eq!(snap.state(2), Some(&keys[2].new));
    assert_eq!(snap.state(7), Some(&keys[7].new));
    // Half of them: one pass over the table.
    let half: Vec<KeyId> = (0..40).filter(|i| i % 2 == 1).collect();
    s.complete(&mut snap, &half).unwrap();
    assert_eq!(snap.full.len(), 21);
    for c in &keys {
        let wanted = c.id % 2 == 1 || c.id == 2;
        assert_eq!(
            snap.state(c.id),
            wanted.then_some(&c.new),
            "{}",
            c.key.exporter
        );
    }
    // An id the table does not hold (a key new this poll) has nothing to load.
    let new = snap.table.intern("e41", "");
    s.complete(&mut snap, &[new]).unwrap();
    assert_eq!(snap.state(new), None);
}

#[test]
fn a_poll_with_nothing_changed_adds_one_poll_row_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Store::open(&dir.path().join("x.db")).unwrap();
    s.record(&rec(100, &[], &[])).unwrap();
    s.record(&rec(200, &[], &[])).unwrap();
    assert_eq!(count(&s, "poll"), 2);
    for t in ["event", "key", "collector", "collector_event"] {
        assert_eq!(count(&s, t), 0, "{t}");
    }
}

#[test]
fn a_database_from_a_newer_fcstats_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("x.db");
    drop(Store::open(&db).unwrap());
    let conn = Connection::open(&db).unwrap();
    conn.pragma_update(None, "user_version", schema::SCHEMA_VERSION + 1)
        .unwrap();
    drop(conn);
    let e = format!("{:#}", Store::open(&db).err().unwrap());
    let v = schema::SCHEMA_VERSION;
    assert!(
        e.contains(&format!(
            "written by a newer fcstats (schema version {}; this fcstats knows up to {v})",
            v + 1
        )),
        "{e}"
    );
}

#[test]
fn a_file_that_is_not_a_database_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("x.db");
    std::fs::write(&db, vec![b'x'; 4096]).unwrap();
    let e = format!("{:#}", Store::open(&db).err().unwrap());
    assert!(e.starts_with(&format!("database {}", db.display())), "{e}");
    assert!(e.contains("not a database"), "{e}");
}

#[test]
fn schema_is_at_the_current_version_in_wal_mode() {
    let dir = tempfile::tempdir().unwrap();
    let s = Store::open(&dir.path().join("x.db")).unwrap();
    let v: i64 = s
        .connection()
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    let mode: String = s
        .connection()
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!((v, mode.as_str()), (schema::SCHEMA_VERSION, "wal"));
}

#[test]
fn a_version_1_database_is_migrated_keeping_its_history() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("x.db");
    let conn = Connection::open(&db).unwrap();
    conn.execute_batch(schema::MIGRATIONS[0]).unwrap();
    conn.pragma_update(None, "user_version", 1).unwrap();
    conn.execute("INSERT INTO poll (at, ok, failed) VALUES (100, 1, 0)", [])
        .unwrap();
    drop(conn);
    let s = Store::open(&db).unwrap();
    let v: i64 = s
        .connection()
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(v, schema::SCHEMA_VERSION);
    assert_eq!(s.last_poll().unwrap(), Some(100));
    assert_eq!(count(&s, "alert"), 0);
}

#[test]
fn a_version_3_database_keeps_what_each_collector_listed() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("x.db");
    let conn = Connection::open(&db).unwrap();
    for sql in &schema::MIGRATIONS[..3] {
        conn.execute_batch(sql).unwrap();
    }
    conn.pragma_update(None, "user_version", 3).unwrap();
    conn.execute_batch(
        "INSERT INTO collector (id, name, ok, since) VALUES (1, 'a', 1, 100), (2, 'b', 1, 100), (3, 'c', 0, 100);
         INSERT INTO key (id, exporter, interface, state, since, bps, first_seen) VALUES
             (1, 'e1', '', 1, 100, 5, 100), (2, 'e2', '', 1, 100, 5, 100), (3, 'e3', '', 0, 100, 0, 100);
         INSERT INTO listing (collector, key) VALUES (1, 3), (1, 1), (2, 2);",
    )
    .unwrap();
    drop(conn);
    let mut s = Store::open(&db).unwrap();
    let snap = s.load().unwrap();
    assert_eq!(snap.listings["a"], Listing::new(vec![0, 2]));
    assert_eq!(snap.listings["b"], Listing::new(vec![1]));
    assert!(!snap.listings.contains_key("c"));
    let tables: i64 = s
        .connection()
        .query_row(
            "SELECT count(*) FROM sqlite_schema WHERE name = 'listing'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(tables, 0);
}

#[test]
fn a_listing_keeps_the_file_order_of_its_keys() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Store::open(&dir.path().join("x.db")).unwrap();
    let keys: Vec<KeyChange> = (1..=3)
        .map(|n| change(&format!("e{n}"), State::Up, 100, EventKind::BaselineUp, "a"))
        .collect();
    let listings = [("a".to_owned(), vec![2, 0, 1])];
    s.record(&rec(100, &keys, &listings)).unwrap();
    let listed: String = s
        .connection()
        .query_row("SELECT listed FROM collector WHERE name = 'a'", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(listed, "3,1,2");
    assert_eq!(s.load().unwrap().listings["a"].order, [2, 0, 1]);
}

#[test]
fn retention_prunes_history_older_than_the_cut_in_the_poll_transaction() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Store::open(&dir.path().join("x.db")).unwrap();
    let pruning = |at, keys, prune_before| PollRecord {
        prune_before,
        ..rec(at, keys, &[])
    };
    let keys = [change("e1", State::Up, 100, EventKind::BaselineUp, "a")];
    s.record(&pruning(100, &keys, None)).unwrap();
    s.record(&pruning(200, &[], None)).unwrap();
    s.record(&pruning(300, &[], Some(200))).unwrap();
    assert_eq!(count(&s, "event"), 0);
    assert_eq!(
        s.connection()
            .query_row("SELECT min(at) FROM poll", [], |r| r.get::<_, i64>(0))
            .unwrap(),
        200
    );
    // The snapshot itself is never pruned.
    assert_eq!(count(&s, "key"), 1);
}
