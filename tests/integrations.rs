//! Slack, Teams and PagerDuty sinks (SPEC §11): each payload in the shape the
//! service documents, checked at a local HTTP receiver; URLs and keys from the
//! config or the environment, never shown.

mod common;

use common::*;
use serde_json::Value;

fn bodies(h: &Hook) -> Vec<Value> {
    h.accepted
        .lock()
        .unwrap()
        .iter()
        .map(|b| serde_json::from_str(b).unwrap())
        .collect()
}

#[test]
fn a_down_and_an_up_reach_slack_teams_and_pagerduty_as_each_documents() {
    let (slack, teams, pd) = (Hook::start(), Hook::start(), Hook::start());
    let w = Workdir::new();
    w.write("inventory.csv", "exporter,name,site\n10.0.0.1,core-1,hq\n");
    w.write(
        "config.yaml",
        format!(
            "database: state.db\nstale_after: 0\nalert_max_age: 100000d\ninventory: inventory.csv\n\
             alerts:\n\
             \x20 - {{type: slack, url: 'http://127.0.0.1:{}/services/T0/B0/sl4ck-t0ken'}}\n\
             \x20 - {{type: teams, url_env: TEAMS_URL, kinds: [down, up]}}\n\
             \x20 - {{type: pagerduty, routing_key_env: PD_KEY, url: 'http://127.0.0.1:{}/v2/enqueue'}}\n\
             collectors:\n  - {{name: fc, local: fc.txt}}\n",
            slack.port, pd.port
        ),
    );
    let teams_url = format!("http://127.0.0.1:{}/workflows/t34ms-s1g", teams.port);
    let poll = |at: &str, bps: u64| {
        w.write("fc.txt", stats_file(&[("10.0.0.1", bps)]));
        let run = Run::of(
            w.command(&["poll", "--at", at])
                .env("TEAMS_URL", &teams_url)
                .env("PD_KEY", "R0UT1NGKEY0123456789012345678901"),
        );
        run.expect_code(0);
        assert!(
            !run.stderr.contains("t0ken") && !run.stderr.contains("s1g"),
            "{run}"
        );
    };
    poll("2026-11-23T10:00:00Z", 5);
    poll("2026-11-23T10:05:00Z", 0);
    poll("2026-11-23T10:35:00Z", 7);

    let s = bodies(&slack);
    assert_eq!(s.len(), 2);
    assert_eq!(
        s[0]["text"],
        ":red_circle: Exporter 10.0.0.1 (core-1, hq) is down: no NetFlow"
    );
    assert_eq!(s[0]["blocks"][0]["type"], "section");
    assert_eq!(s[0]["blocks"][0]["text"]["type"], "mrkdwn");
    assert_eq!(
        s[0]["blocks"][1]["elements"][0]["text"],
        "*down* at 2026-11-23T10:05:00Z · collectors: fc"
    );
    // Up at 10:35 after 30 minutes.
    assert_eq!(
        s[1]["text"],
        ":large_green_circle: Exporter 10.0.0.1 (core-1, hq) is up again after 30m"
    );
    assert_eq!(
        slack.requests.lock().unwrap()[0],
        "POST /services/T0/B0/sl4ck-t0ken HTTP/1.1"
    );

    let t = bodies(&teams);
    assert_eq!(t.len(), 2);
    assert_eq!(t[0]["type"], "message");
    let card = &t[0]["attachments"][0];
    assert_eq!(
        card["contentType"],
        "application/vnd.microsoft.card.adaptive"
    );
    assert_eq!(card["content"]["type"], "AdaptiveCard");
    assert_eq!(card["content"]["version"], "1.4");
    assert_eq!(card["content"]["body"][0]["type"], "TextBlock");
    assert_eq!(card["content"]["body"][0]["color"], "Attention");
    let facts = &card["content"]["body"][1]["facts"];
    assert_eq!(
        facts[2],
        serde_json::json!({"title": "Exporter", "value": "10.0.0.1"})
    );
    assert_eq!(
        facts[4],
        serde_json::json!({"title": "Name", "value": "core-1"})
    );

    let p = bodies(&pd);
    assert_eq!(p.len(), 2);
    assert_eq!(p[0]["routing_key"], "R0UT1NGKEY0123456789012345678901");
    assert_eq!(p[0]["event_action"], "trigger");
    assert_eq!(p[0]["dedup_key"], "fcstats/10.0.0.1/");
    assert_eq!(p[0]["payload"]["severity"], "critical");
    assert_eq!(p[0]["payload"]["source"], "10.0.0.1");
    assert_eq!(p[0]["payload"]["component"], "core-1");
    assert_eq!(p[0]["payload"]["group"], "hq");
    assert_eq!(p[0]["payload"]["timestamp"], "2026-11-23T10:05:00Z");
    // The up resolves the same incident.
    assert_eq!(p[1]["event_action"], "resolve");
    assert_eq!(p[1]["dedup_key"], "fcstats/10.0.0.1/");

    // config check: no token, no key.
    let run = Run::of(w.command(&["config", "check"]).env("TEAMS_URL", &teams_url));
    run.expect_code(0);
    assert!(
        !run.stdout.contains("t0ken") && !run.stdout.contains("R0UT1NG"),
        "{run}"
    );
    assert!(run.stdout.contains("url_env: TEAMS_URL"), "{run}");
}

#[test]
fn integration_mistakes_are_config_errors() {
    let w = Workdir::new();
    let check = |sink: &str| {
        w.write(
            "config.yaml",
            format!("alerts:\n  - {sink}\ncollectors:\n  - {{name: fc, local: fc.txt}}\n"),
        );
        w.run(&["config", "check"])
    };
    check("{type: slack}")
        .expect_code(1)
        .expect_stderr("alerts[0]: give url (or url_env");
    check("{type: teams, url: 'https://a/b', url_env: X}")
        .expect_code(1)
        .expect_stderr("alerts[0]: set only one of url and url_env");
    check("{type: pagerduty, routing_key_env: 'R0UT1NG-KEY-itself'}")
        .expect_code(1)
        .expect_stderr("routing_key_env: must name an environment variable");
}

#[test]
fn repeat_sends_an_open_outage_again_every_period_by_poll_time() {
    let w = Workdir::new();
    let lines = w.path("exec.jsonl");
    w.write(
        "config.yaml",
        format!(
            "database: state.db\nstale_after: 0\nalert_max_age: 100000d\n\
             alerts:\n  - {{type: exec, repeat: 10m, command: [sh, -c, 'cat >> {}']}}\n\
             collectors:\n  - {{name: fc, local: fc.txt}}\n",
            lines.display()
        ),
    );
    let poll = |m: u32, bps: u64| {
        w.write("fc.txt", stats_file(&[("10.0.0.1", bps)]));
        w.run(&["poll", "--at", &format!("2026-11-23T10:{m:02}:00Z")])
            .expect_code(0);
    };
    poll(0, 5);
    // Down at 10:05; 10 minutes later (10:15) and 20 (10:25): reminders.
    for m in [5, 10, 15, 20, 25] {
        poll(m, 0);
    }
    poll(30, 5);
    let sent: Vec<String> = std::fs::read_to_string(&lines)
        .unwrap()
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            format!(
                "{} {} {}",
                v["kind"].as_str().unwrap(),
                v["at"].as_str().unwrap(),
                v["reminder"]
            )
        })
        .collect();
    assert_eq!(
        sent,
        [
            "down 2026-11-23T10:05:00Z null",
            "down 2026-11-23T10:05:00Z true",
            "down 2026-11-23T10:05:00Z true",
            "up 2026-11-23T10:30:00Z null",
        ]
    );
}

#[test]
fn a_429_is_honoured_its_alerts_wait_for_retry_after() {
    let hook = Hook::start();
    let w = Workdir::new();
    w.write(
        "config.yaml",
        format!(
            "database: state.db\nstale_after: 0\nalert_max_age: 100000d\n\
             alerts:\n  - {{type: slack, url: 'http://127.0.0.1:{}/hook'}}\n\
             collectors:\n  - {{name: fc, local: fc.txt}}\n",
            hook.port
        ),
    );
    let poll = |at: &str, bps: u64| {
        w.write("fc.txt", stats_file(&[("10.0.0.1", bps)]));
        let run = w.run(&["poll", "--at", at]);
        run.expect_code(0);
        run
    };
    poll("2026-11-23T10:00:00Z", 5);
    hook.set_status(429);
    poll("2026-11-23T10:05:00Z", 0)
        .expect_stderr("the server answered 429 Too Many Requests: retrying after 2s");
    assert_eq!(hook.requests.lock().unwrap().len(), 1);
    // Within the 2 seconds: not tried, said as deferred.
    hook.set_status(200);
    let run = poll("2026-11-23T10:10:00Z", 0);
    run.expect_stderr("0 sent, 0 failed (kept for the next run), 0 dropped, 0 deferred, 1 waiting for their receiver's Retry-After");
    assert!(!run.stderr.contains("alert_budget"), "{run}");
    assert_eq!(hook.requests.lock().unwrap().len(), 1);
    std::thread::sleep(std::time::Duration::from_millis(2100));
    poll("2026-11-23T10:15:00Z", 0).expect_stderr("alerts: 1 sent");
    assert_eq!(hook.accepted.lock().unwrap().len(), 1);
}

#[test]
fn two_hundred_downs_with_digest_10_are_one_message_per_sink() {
    let slack = Hook::start();
    let w = Workdir::new();
    let lines = w.path("exec.jsonl");
    w.write(
        "config.yaml",
        format!(
            "database: state.db\nstale_after: 0\nalert_max_age: 100000d\n\
             alerts:\n  - {{type: exec, digest: 10, command: [sh, -c, 'cat >> {}; echo >> {}']}}\n\
             \x20 - {{type: slack, digest: 10, url: 'http://127.0.0.1:{}/hook'}}\n\
             collectors:\n  - {{name: fc, local: fc.txt}}\n",
            lines.display(),
            lines.display(),
            slack.port
        ),
    );
    let names: Vec<String> = (1..=200)
        .map(|i| format!("10.0.{}.{}", i / 256, i % 256))
        .collect();
    let poll = |at: &str, bps: u64| {
        let rows: Vec<(&str, u64)> = names.iter().map(|n| (n.as_str(), bps)).collect();
        w.write("fc.txt", stats_file(&rows));
        w.run(&["poll", "--at", at]).expect_code(0);
    };
    poll("2026-11-23T10:00:00Z", 5);
    poll("2026-11-23T10:05:00Z", 0);
    let sent: Vec<Value> = std::fs::read_to_string(&lines)
        .unwrap()
        .lines()
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0]["kind"], "digest");
    assert_eq!(sent[0]["count"], 200);
    assert_eq!(sent[0]["alerts"].as_array().unwrap().len(), 200);
    assert_eq!(sent[0]["alerts"][0]["kind"], "down");
    let s = bodies(&slack);
    assert_eq!(s.len(), 1);
    assert_eq!(s[0]["text"], ":red_circle: 200 alerts: 200 down");
    // The first 30 listed, then how many more.
    let list = s[0]["blocks"][2]["text"]["text"].as_str().unwrap();
    assert_eq!(list.lines().count(), 31);
    assert_eq!(list.lines().last(), Some("… and 170 more"));
    // The 200 ups of the next poll, with Slack down: the digest waits in the
    // outbox like any alert, and the next poll delivers it, once.
    slack.set_status(500);
    poll("2026-11-23T10:10:00Z", 5);
    assert_eq!(bodies(&slack).len(), 1);
    slack.set_status(200);
    poll("2026-11-23T10:15:00Z", 5);
    let s = bodies(&slack);
    assert_eq!(s.len(), 2);
    assert_eq!(s[1]["text"], ":large_green_circle: 200 alerts: 200 up");
    poll("2026-11-23T10:20:00Z", 5);
    assert_eq!(bodies(&slack).len(), 2);
    let w2 = Workdir::new();
    w2.write(
        "config.yaml",
        "alerts:\n  - {type: pagerduty, routing_key_env: K, digest: 10}\ncollectors:\n  - {name: fc, local: fc.txt}\n",
    );
    w2.run(&["config", "check"])
        .expect_code(1)
        .expect_stderr("digest: a pagerduty sink needs one event per incident");
}

#[test]
fn a_webhook_sends_its_own_headers_and_body_template() {
    let hook = Hook::start();
    let w = Workdir::new();
    w.write(
        "config.yaml",
        format!(
            "database: state.db\nstale_after: 0\nalert_max_age: 100000d\n\
             alerts:\n  - type: webhook\n    url: 'http://127.0.0.1:{}/hook'\n\
             \x20   headers: {{X-Team: netops}}\n    headers_env: {{Authorization: HOOK_AUTH}}\n\
             \x20   template: '{{\"text\": \"{{title}}\", \"exporter\": \"{{exporter}}\", \"event\": {{json}}}}'\n\
             collectors:\n  - {{name: fc, local: fc.txt}}\n",
            hook.port
        ),
    );
    let poll = |at: &str, bps: u64| {
        w.write("fc.txt", stats_file(&[("10.0.0.1", bps)]));
        Run::of(
            w.command(&["poll", "--at", at])
                .env("HOOK_AUTH", "Bearer s3cr3t"),
        )
        .expect_code(0);
    };
    poll("2026-11-23T10:00:00Z", 5);
    poll("2026-11-23T10:05:00Z", 0);
    let b = bodies(&hook);
    assert_eq!(b.len(), 1);
    assert_eq!(b[0]["text"], "Exporter 10.0.0.1 is down: no NetFlow");
    assert_eq!(b[0]["exporter"], "10.0.0.1");
    assert_eq!(b[0]["event"]["kind"], "down");
    let headers = hook.headers.lock().unwrap().clone();
    assert!(
        headers.contains(&"x-team: netops".to_owned()),
        "{headers:?}"
    );
    assert!(
        headers.contains(&"authorization: Bearer s3cr3t".to_owned()),
        "{headers:?}"
    );
    assert!(
        headers.contains(&"content-type: application/json".to_owned()),
        "{headers:?}"
    );
    // config check: header values masked; a template naming no field refused.
    let run = w.run(&["config", "check"]);
    run.expect_code(0);
    assert!(
        run.stdout.contains("X-Team: '********'") || run.stdout.contains("X-Team: ********"),
        "{run}"
    );
    w.edit("config.yaml", |c| c.replace("{title}", "{titel}"));
    w.run(&["config", "check"])
        .expect_code(1)
        .expect_stderr("template: `{titel}` is not a field");
}
