//! `heartbeat: {url:}` (SPEC §11): a GET after every poll that read a
//! collector, to a real HTTP listener; never after a poll that read nothing;
//! a failing one is said with the URL's token hidden, and the poll goes on.

mod common;

use common::*;

#[test]
fn every_poll_that_read_a_collector_sends_one_get_and_a_poll_that_read_none_sends_none() {
    let hook = Hook::start();
    let w = Workdir::new();
    w.write(
        "config.yaml",
        "database: state.db\nstale_after: 0\nssh: {retries: 0}\n\
         heartbeat: {url_env: FCSTATS_TEST_PING, timeout: 2s}\n\
         collectors:\n  - {name: fc, local: fc.txt}\n",
    );
    let url = format!("http://127.0.0.1:{}/ping/s3cr3t-token", hook.port);
    let poll = |at: &str| {
        Run::of(
            w.command(&["poll", "--at", at])
                .env("FCSTATS_TEST_PING", &url),
        )
    };
    w.write("fc.txt", stats_file(&[("10.0.0.1", 5)]));
    poll("2026-11-23T10:00:00Z").expect_code(0);
    poll("2026-11-23T10:05:00Z").expect_code(0);
    let requests = || hook.requests.lock().unwrap().clone();
    assert_eq!(
        requests(),
        [
            "GET /ping/s3cr3t-token HTTP/1.1",
            "GET /ping/s3cr3t-token HTTP/1.1"
        ]
    );
    // Nothing read: no sign of life.
    std::fs::remove_file(w.path("fc.txt")).unwrap();
    poll("2026-11-23T10:10:00Z").expect_code(1);
    assert_eq!(requests().len(), 2);
    // The receiver fails: said, token hidden, the poll's code unchanged.
    w.write("fc.txt", stats_file(&[("10.0.0.1", 5)]));
    hook.set_status(500);
    let run = poll("2026-11-23T10:15:00Z");
    run.expect_code(0).expect_stderr(&format!(
        "heartbeat: GET http://127.0.0.1:{}/…: the server answered 500",
        hook.port
    ));
    assert!(!run.stderr.contains("s3cr3t"), "{run}");
    assert_eq!(requests().len(), 3);
}
