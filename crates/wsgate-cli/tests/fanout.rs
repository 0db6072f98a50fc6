//! `wsgate bench fanout` (used by `scripts/bench-fanout`) against a live `wsgate serve`
//! and small in-process fan-out servers: every delivery must be verified, the JSON must
//! carry what the script's table reads, and a server that drops, repeats or garbles
//! messages, or refuses publishes, must give exit status 8 with the errors counted.
//! These check behaviour, never speed; each run is a fraction of a second plus its
//! drain, bounded by `util::TIMEOUT`, on loopback only.

// Tests may panic on broken invariants: that is how they fail.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod util;

use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::Value;
use tokio::sync::broadcast;
use util::{Proc, run, stderr, stdout, tokio_server};
use wsgate::Message;

/// 20 subscribers × 20 messages at 200/s: 400 deliveries in about 0.1 s.
const SMALL: [&str; 10] = [
    "-n", "20", "-m", "20", "-r", "200", "--settle", "0.2", "--drain", "1",
];

#[test]
fn every_delivery_is_verified_with_kernel_chosen_sources() {
    let server = start_server();
    let r = fanout_ok(&server, &["--per-source", "0"]);
    assert_eq!(r["target"], format!("ws://{}/ws", server.addr), "{r}");
}

#[test]
fn every_delivery_is_verified_from_spread_source_addresses() {
    // 20 subscribers, 10 per source: 127.0.0.40 and 127.0.0.41.
    let server = start_server();
    fanout_ok(&server, &["--per-source", "10", "--first-source", "40"]);
}

#[test]
fn the_table_has_the_rows_people_read() {
    let server = start_server();
    let url = format!("ws://{}", server.addr);
    let pid = server.child.id().to_string();
    let args = [&["bench", "fanout", &url, "--server-pid", &pid][..], &SMALL].concat();
    let out = run(&args, b"");
    assert!(out.status.success(), "{}", stderr(&out));
    let table = stdout(&out);
    for row in [
        "deliveries    400 (of 400 expected)\n",
        "deliveries/s",
        "latency       p50",
        "setup ",
        "publishing ",
        "errors        0\n",
        "µs per delivery; on a CPU",
        "bytes per subscribed session)",
    ] {
        assert!(table.contains(row), "{row:?} missing in:\n{table}");
    }
}

#[test]
fn a_relay_that_drops_repeats_and_garbles_gives_exit_status_8() {
    let addr = fake_server(Fake::Garbling);
    let out = fanout(&addr, "ws", &[]);
    assert_eq!(out.status.code(), Some(8), "{}", stderr(&out));
    let r = json(&out);
    // Of every 5 messages one is dropped, one sent twice, one replaced by text
    // without a marker: per subscriber 12 of 20 delivered, 8 missing.
    assert_eq!(r["count"], 20 * 12, "{r}");
    let kinds = &r["error_kinds"];
    assert_eq!(kinds["missing"], 20 * 8, "{r}");
    assert_eq!(kinds["duplicate"], 20 * 4, "{r}");
    assert_eq!(kinds["unexpected"], 20 * 4, "{r}");
    assert!(
        r["first_error"].as_str().unwrap().contains("no marker"),
        "{r}"
    );
}

#[test]
fn a_correct_relay_and_a_socketio_server_lose_nothing() {
    for (fake, target) in [(Fake::Relay, "ws"), (Fake::SocketIo, "socketio")] {
        let addr = fake_server(fake);
        let out = fanout(&addr, target, &[]);
        assert!(out.status.success(), "{target}: {}", stderr(&out));
        let r = json(&out);
        assert_eq!(
            (r["count"].as_u64(), r["errors"].as_u64()),
            (Some(400), Some(0))
        );
        assert_eq!(r["params"]["target"], target, "{r}");
    }
}

#[test]
fn refused_publishes_and_subscribes_are_errors() {
    let server = start_server();
    // Clients may subscribe to push: channels but not publish there.
    let out = fanout(&server.addr, "wsgate", &["--channel", "push:fanout"]);
    assert_eq!(out.status.code(), Some(8), "{}", stderr(&out));
    let r = json(&out);
    assert_eq!(r["count"], 0, "{r}");
    assert_eq!(r["error_kinds"]["publish refused"], 20, "{r}");
    assert_eq!(r["error_kinds"]["missing"], 400, "{r}");
    assert!(
        r["first_error"].as_str().unwrap().contains("forbidden"),
        "{r}"
    );

    let out = fanout(&server.addr, "wsgate", &["--channel", "nope:x"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("no subscriber could join"), "{err}");
    assert!(err.contains("unknown_namespace"), "{err}");
}

/// Runs a small fan-out against `wsgate serve` with `--server-pid` and checks the JSON.
fn fanout_ok(server: &Proc, extra: &[&str]) -> Value {
    let pid = server.child.id().to_string();
    let out = fanout(
        &server.addr,
        "wsgate",
        &[&["--server-pid", &pid][..], extra].concat(),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let r = json(&out);
    assert_eq!(r["scenario"], "fanout", "{r}");
    assert_eq!(r["errors"], 0, "{r}");
    assert_eq!(r["count"], 20 * 20, "{r}");
    assert_eq!(r["expected"], 20 * 20, "{r}");
    let latency = &r["latency_us"];
    assert_eq!(latency["samples"], 400, "{r}");
    for q in ["p50", "p90", "p99", "max"] {
        assert!(latency[q].as_f64().unwrap() > 0.0, "{q}: {r}");
    }
    assert!(r["rate"].as_f64().unwrap() > 0.0, "{r}");
    assert!(r["phases_s"]["setup"].is_number(), "{r}");
    assert!(r["server_cpu_s"].is_number(), "{r}");
    assert!(r["server_wait_share"].is_number(), "{r}");
    assert!(r["client_cpu_share"].is_number(), "{r}");
    assert!(r["server_rss_bytes_per_conn"].is_i64(), "{r}");
    r
}

/// `wsgate bench fanout ws://ADDR --target TARGET` with [`SMALL`], `EXTRA` and `--json`.
fn fanout(addr: &str, target: &str, extra: &[&str]) -> std::process::Output {
    let url = format!("ws://{addr}");
    let args = ["bench", "fanout", &url, "--target", target, "--json"];
    run(&[&args[..], &SMALL, extra].concat(), b"")
}

fn json(out: &std::process::Output) -> Value {
    serde_json::from_str(stdout(out).trim())
        .unwrap_or_else(|e| panic!("not JSON ({e}): {} / {}", stdout(out), stderr(out)))
}

/// `wsgate serve` for the load: no ticker, no publish rate limit.
fn start_server() -> Proc {
    let args = ["serve", "--listen", "127.0.0.1:0", "--ticker-ms", "0"];
    Proc::start(&[&args[..], &["--publish-rate", "1000000"]].concat(), true)
}

/// The in-process fan-out servers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fake {
    /// Sends every message to every other client, like bench/fanout/ws-server.mjs.
    Relay,
    /// The same, but of every 5 messages drops one, sends one twice, and replaces one
    /// with text that has no marker.
    Garbling,
    /// Engine.IO v4 / socket.io: open, namespace, acknowledged `join`, `pub` relayed
    /// as `msg` to those who joined; an Engine.IO ping to every client while joining
    /// and once among the messages (the publisher: after its first publish).
    SocketIo,
}

/// Starts a fake server; returns its address.
fn fake_server(fake: Fake) -> String {
    tokio_server(move |listener| async move {
        let (tx, _) = broadcast::channel::<(usize, String)>(1024);
        let published = std::sync::Arc::new(AtomicUsize::new(0));
        for id in 0.. {
            let Ok((tcp, _)) = listener.accept().await else {
                break;
            };
            let (tx, published) = (tx.clone(), published.clone());
            tokio::spawn(async move {
                if let Ok(ws) = wsgate::Acceptor::new().accept(tcp).await {
                    serve(fake, id, ws, tx, &published).await;
                }
            });
        }
    })
}

/// One client of a fake server.
async fn serve(
    fake: Fake,
    id: usize,
    mut ws: wsgate::WebSocket<tokio::net::TcpStream>,
    tx: broadcast::Sender<(usize, String)>,
    published: &AtomicUsize,
) {
    let mut rx = tx.subscribe();
    let socketio = fake == Fake::SocketIo;
    let (mut joined, mut pinged) = (!socketio, false);
    if socketio
        && ws
            .send(r#"0{"sid":"s","pingInterval":25000}"#)
            .await
            .is_err()
    {
        return;
    }
    loop {
        tokio::select! {
            event = ws.recv() => {
                let Some(Ok(msg)) = event else { return };
                let Message::Text(text) = msg else { continue };
                let text = text.as_str();
                let replies: Vec<String> = match (fake, text) {
                    (Fake::SocketIo, "40") => vec![r#"40{"sid":"n"}"#.into()],
                    (Fake::SocketIo, r#"421["join","bench"]"#) => {
                        joined = true;
                        vec!["2".into(), "431[]".into()]
                    }
                    (Fake::SocketIo, "3") => vec![],
                    (Fake::SocketIo, _) => {
                        let data = text.strip_prefix(r#"42["pub","#).unwrap_or("?]");
                        let _ = tx.send((id, format!(r#"42["msg",{data}"#)));
                        // Ping the publisher once too.
                        if pinged { vec![] } else { pinged = true; vec!["2".into()] }
                    }
                    (Fake::Relay, _) => {
                        let _ = tx.send((id, text.to_owned()));
                        vec![]
                    }
                    (Fake::Garbling, _) => {
                        let n = published.fetch_add(1, Ordering::Relaxed);
                        match n % 5 {
                            1 => {}
                            2 => {
                                let _ = tx.send((id, text.to_owned()));
                                let _ = tx.send((id, text.to_owned()));
                            }
                            3 => drop(tx.send((id, "no marker here".to_owned()))),
                            _ => drop(tx.send((id, text.to_owned()))),
                        }
                        vec![]
                    }
                };
                for reply in replies {
                    if ws.send(reply).await.is_err() {
                        return;
                    }
                }
            }
            relayed = rx.recv() => {
                let Ok((from, text)) = relayed else { return };
                if from == id || !joined {
                    continue;
                }
                if socketio && !pinged {
                    pinged = true;
                    if ws.send("2").await.is_err() {
                        return;
                    }
                }
                if ws.send(text).await.is_err() {
                    return;
                }
            }
        }
    }
}
