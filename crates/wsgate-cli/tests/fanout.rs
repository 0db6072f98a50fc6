//! The fan-out load tool (`examples/fanout.rs`, used by `scripts/bench-fanout`) against
//! a live `wsgate serve`: a short run in which every delivery must be verified, so the
//! tool keeps working. Bounded by `TIMEOUT`; the server is stopped on drop.

// Tests may panic on broken invariants: that is how they fail.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

#[path = "../examples/fanout.rs"]
#[allow(dead_code)]
mod fanout;
mod util;

use std::time::Duration;

use fanout::{Opts, Target};

const TIMEOUT: Duration = Duration::from_secs(30);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_delivery_is_verified_through_connector() {
    check(0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_delivery_is_verified_from_spread_source_addresses() {
    // 20 subscribers, 10 per source: 127.0.0.2 and 127.0.0.3.
    check(10).await;
}

#[test]
fn the_marker_is_found_in_every_framing() {
    let payload = fanout::payload(7, 123_456, 64);
    assert_eq!(payload.len(), 64);
    let framings = [
        payload.clone(),
        format!(r#"{{"channel":"chat:x","offset":8,"data":"{payload}"}}"#),
        format!(r#"42["msg","{payload}"]"#),
    ];
    for text in framings {
        assert_eq!(
            fanout::marker(text.as_bytes()),
            Some((7, 123_456)),
            "{text}"
        );
    }
    assert_eq!(fanout::marker(b"42[\"msg\",\"#7:x#\"]"), None);
    assert_eq!(fanout::marker(b"{\"ok\":true}"), None);
}

async fn check(per_source: usize) {
    let server = start_server();
    let opts = Opts {
        addr: server.addr.parse().expect("server address"),
        target: Target::Wsgate,
        subscribers: 20,
        messages: 20,
        rate: 200,
        size: 64,
        pid: Some(server.child.id()),
        threads: 2,
        per_source,
        first_source: 2,
        drain: Duration::from_secs(10),
        json: true,
    };
    let report = tokio::time::timeout(TIMEOUT, fanout::run(opts))
        .await
        .expect("the run ends in time");
    let r = &report.received;
    assert_eq!(
        report.errors(),
        0,
        "{:?} {:?}",
        r.first_error,
        report.publish.first_error
    );
    assert_eq!(report.publish.sent, 20);
    assert_eq!(r.latencies.len(), 20 * 20);
    assert_eq!(
        (r.missing, r.duplicates, r.unexpected, r.closed),
        (0, 0, 0, 0)
    );
    assert!(report.server_ticks.is_some(), "server CPU read from /proc");
}

/// `wsgate serve` for the load tool: no ticker, no publish rate limit.
fn start_server() -> util::Proc {
    let args = ["serve", "--listen", "127.0.0.1:0", "--ticker-ms", "0"];
    util::Proc::start(&[&args[..], &["--publish-rate", "1000000"]].concat(), true)
}
