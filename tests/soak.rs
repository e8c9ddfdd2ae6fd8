//! Soak: a thousand polls over three local collectors with random faults,
//! migrations and outages, checking after each poll that no collector that
//! failed (or could matter) produced a transition, and every 100 polls that
//! the database is intact and the downtime total is the sum of its rows.

mod common;

use std::collections::{HashMap, HashSet};

use common::*;

const COLLECTORS: [&str; 3] = ["a", "b", "c"];
const EXPORTERS: usize = 8;
const POLLS: i64 = 1000;

/// xorshift: deterministic, so a failure can be replayed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

fn sum_col(tsv: &str, col: usize) -> i64 {
    tsv.lines()
        .map(|l| l.split('\t').nth(col).unwrap().parse::<i64>().unwrap())
        .sum()
}

#[test]
fn a_thousand_polls_with_random_faults_keep_every_invariant() {
    let w = Workdir::new();
    w.write(
        "config.yaml",
        "database: state.db\nstale_after: 0\nssh: {retries: 0}\ncollectors:\n  \
         - {name: a, local: a.txt}\n  - {name: b, local: b.txt}\n  - {name: c, local: c.txt}\n",
    );
    let mut rng = Rng(0x9e3779b97f4a7c15);
    // Where each exporter sends its flows, and whether it sends at all.
    let mut home: Vec<usize> = (0..EXPORTERS).map(|i| i % 3).collect();
    let mut sending = [true; EXPORTERS];
    // What each collector listed at its last good read (the model of SPEC §2).
    let mut listed: HashMap<&str, HashSet<String>> = HashMap::new();
    let mut owner: HashMap<String, &str> = HashMap::new();
    let t0 = 1_795_392_000i64;
    for p in 0..POLLS {
        let at = t0 + p * 300;
        for e in 0..EXPORTERS {
            if rng.chance(3) {
                home[e] = (rng.next() % 3) as usize; // migration
            }
            if rng.chance(4) {
                sending[e] = !sending[e]; // outage or recovery
            }
        }
        let mut failed: HashSet<&str> = HashSet::new();
        for (ci, c) in COLLECTORS.iter().enumerate() {
            if p > 0 && rng.chance(10) {
                failed.insert(c);
                // A fault: a file cut mid-rewrite.
                let mut text = stats_file(&[("10.0.0.1", 5), ("10.0.0.2", 5)]);
                text.truncate(text.len() - 9);
                w.write(&format!("{c}.txt"), text);
                continue;
            }
            // A collector lists the exporters it carries, plus every exporter it
            // ever carried at 0 (as FCs do).
            let mut rows: Vec<(String, u64)> = Vec::new();
            for e in 0..EXPORTERS {
                let name = format!("10.0.0.{e}");
                let carries = home[e] == ci;
                let known = listed.get(c).is_some_and(|l| l.contains(&name));
                if carries || known {
                    rows.push((
                        name,
                        if carries && sending[e] {
                            100 + e as u64
                        } else {
                            0
                        },
                    ));
                }
            }
            let refs: Vec<(&str, u64)> = rows.iter().map(|(n, b)| (n.as_str(), *b)).collect();
            w.write(&format!("{c}.txt"), stats_file(&refs));
        }
        let run = w.run(&["-q", "poll", "--at", &format!("@{at}")]);
        let want = if failed.is_empty() {
            0
        } else if failed.len() == 3 {
            1
        } else {
            3
        };
        assert_eq!(run.code, want, "poll {p}:\n{run}");

        // No down unless every collector that matters was read (up needs only
        // one collector reporting > 0).
        for ev in w.rows(&format!(
            "SELECT k.exporter FROM event e JOIN key k ON k.id = e.key WHERE e.at = {at} AND e.kind = 3"
        )) {
            let matters: Vec<&str> = COLLECTORS
                .iter()
                .copied()
                .filter(|c| owner.get(&ev) == Some(c) || listed.get(c).is_some_and(|l| l.contains(&ev)))
                .collect();
            for c in matters {
                assert!(!failed.contains(c), "poll {p}: {ev} changed state while {c}, which matters for it, failed");
            }
        }
        // Update the model from what was read.
        for (ci, c) in COLLECTORS.iter().enumerate() {
            if failed.contains(c) {
                continue;
            }
            let l = listed.entry(c).or_default();
            for (e, &h) in home.iter().enumerate() {
                if h == ci {
                    l.insert(format!("10.0.0.{e}"));
                }
            }
        }
        for e in 0..EXPORTERS {
            let c = COLLECTORS[home[e]];
            if sending[e] && !failed.contains(c) {
                owner.insert(format!("10.0.0.{e}"), c);
            }
        }

        if p % 100 == 99 {
            assert_eq!(w.rows("PRAGMA integrity_check"), ["ok"], "poll {p}");
            let now = format!("@{at}");
            let args = [
                "report",
                "downtime",
                "--from",
                "@1795392000",
                "--now",
                &now,
                "--format",
                "tsv",
                "--no-header",
            ];
            let rows = w.run(&[&args[..], &["--all"]].concat());
            let total = w.run(&[&args[..], &["--total"]].concat());
            let t: Vec<i64> = total
                .stdout
                .trim()
                .split('\t')
                .map(|x| x.parse::<f64>().unwrap() as i64)
                .collect();
            assert_eq!(t[0], rows.stdout.lines().count() as i64, "keys");
            assert_eq!(t[2], sum_col(&rows.stdout, 2), "downtime_s");
            assert_eq!(t[3], sum_col(&rows.stdout, 3), "outages");
            assert_eq!(t[5], sum_col(&rows.stdout, 6), "unobserved_s");
        }
    }
    // A history this long did have outages and failures to check against.
    assert!(w.query("SELECT count(*) FROM event WHERE kind = 3") > 20);
    assert!(w.query("SELECT count(*) FROM collector_event WHERE ok = 0") > 20);
}
