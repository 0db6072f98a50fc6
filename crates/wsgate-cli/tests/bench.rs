//! `wsgate bench` against live servers: `wsgate echo` (everything counted and checked),
//! and a server that alters and drops messages (reported as errors, not counted).
//! These check behaviour, never speed.

// Tests may panic on broken invariants: that is how they fail.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod util;

use serde_json::Value;
use util::{Proc, run, stderr, stdout, tokio_server};
use wsgate::Message;

fn json(out: &std::process::Output) -> Value {
    serde_json::from_str(stdout(out).trim())
        .unwrap_or_else(|e| panic!("not JSON ({e}): {} / {}", stdout(out), stderr(out)))
}

#[test]
fn bench_echo_counts_checked_messages_from_wsgate_echo() {
    let server = Proc::start(&["echo", "--listen", "127.0.0.1:0"], true);
    let url = format!("ws://{}/", server.addr);
    let pid = server.child.id().to_string();
    let quick = [
        "--duration",
        "1",
        "--warmup",
        "0.2",
        "--json",
        "--server-pid",
        &pid,
    ];
    let out = run(
        &[&["bench", "echo", &url, "-c", "4", "-d", "8"][..], &quick].concat(),
        b"",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let r = json(&out);
    assert_eq!(r["errors"], 0, "{r}");
    assert!(r["count"].as_u64().unwrap() > 100, "{r}");
    assert!(r["latency_us"]["samples"].as_u64().unwrap() > 10, "{r}");
    assert!(r["latency_us"]["p50"].as_f64().unwrap() > 0.0, "{r}");
    assert!(r["server_cpu_s"].is_number(), "{r}");
    assert!(r["mb_per_s"].as_f64().unwrap() > 0.0, "{r}");

    // Text, compressed, larger messages: every echo is checked too.
    let args = [
        "bench",
        "echo",
        &url,
        "-t",
        "--compress",
        "-s",
        "4k",
        "-c",
        "2",
        "-d",
        "2",
    ];
    let out = run(&[&args[..], &quick].concat(), b"");
    assert!(out.status.success(), "{}", stderr(&out));
    let r = json(&out);
    assert_eq!(r["errors"], 0, "{r}");
    assert!(r["count"].as_u64().unwrap() > 10, "{r}");
    assert_eq!(r["params"]["compress"], "offered", "{r}");
}

#[test]
fn bench_table_has_the_rows_people_read() {
    let server = Proc::start(&["echo", "--listen", "127.0.0.1:0"], true);
    let url = format!("ws://{}/", server.addr);
    let args = [
        "bench",
        "echo",
        &url,
        "-c",
        "2",
        "--duration",
        "0.3",
        "--warmup",
        "0",
    ];
    let out = run(&args, b"");
    assert!(out.status.success(), "{}", stderr(&out));
    let table = stdout(&out);
    for row in [
        "messages/s",
        "MB/s",
        "latency     p50",
        "p99",
        "errors      0",
        "client CPU",
    ] {
        assert!(table.contains(row), "{row:?} missing in:\n{table}");
    }
}

#[test]
fn bench_reports_a_server_that_alters_or_drops_messages() {
    let addr = tokio_server(|listener| async move {
        while let Ok((tcp, _)) = listener.accept().await {
            tokio::spawn(async move {
                let Ok(mut ws) = wsgate::Acceptor::new().accept(tcp).await else {
                    return;
                };
                let mut n = 0u64;
                while let Some(Ok(msg)) = ws.recv().await {
                    let Message::Binary(data) = msg else {
                        // The first message of each connection is a text hello.
                        if msg.is_data() && ws.send(msg).await.is_err() {
                            break;
                        }
                        continue;
                    };
                    n += 1;
                    let reply = match n % 10 {
                        3 => {
                            let mut bad = data.to_vec();
                            let last = bad.len() - 1;
                            bad[last] ^= 1;
                            Message::binary(bad)
                        }
                        7 => continue,
                        _ => Message::Binary(data),
                    };
                    if ws.send(reply).await.is_err() {
                        break;
                    }
                }
            });
        }
    });
    let url = format!("ws://{addr}/");
    let args = [
        "bench",
        "echo",
        &url,
        "-c",
        "2",
        "-d",
        "4",
        "--duration",
        "0.5",
    ];
    let out = run(&[&args[..], &["--warmup", "0", "--json"]].concat(), b"");
    assert_eq!(out.status.code(), Some(8), "{}", stderr(&out));
    let r = json(&out);
    let kinds = &r["error_kinds"];
    let (corrupted, lost) = (
        kinds["corrupted"].as_u64().unwrap(),
        kinds["lost"].as_u64().unwrap(),
    );
    assert!(corrupted > 0 && lost > 0, "{r}");
    // Of every ten messages one is altered and one dropped: eight are counted.
    let count = r["count"].as_u64().unwrap();
    assert!(count > 0, "{r}");
    assert!(count <= 9 * (corrupted + 1), "{r}");
}

#[test]
fn bench_connect_and_idle_against_wsgate_echo() {
    let server = Proc::start(&["echo", "--listen", "127.0.0.1:0", "--no-compress"], true);
    let url = format!("ws://{}/", server.addr);
    let pid = server.child.id().to_string();
    let args = [
        "bench",
        "connect",
        &url,
        "-c",
        "2",
        "--duration",
        "0.5",
        "--warmup",
        "0.1",
    ];
    let out = run(&[&args[..], &["--json"]].concat(), b"");
    assert!(out.status.success(), "{}", stderr(&out));
    let r = json(&out);
    assert_eq!(r["errors"], 0, "{r}");
    assert!(r["count"].as_u64().unwrap() > 5, "{r}");

    let args = [
        "bench",
        "idle",
        &url,
        "-n",
        "200",
        "--settle",
        "0.2",
        "--per-source",
        "50",
    ];
    let out = run(
        &[&args[..], &["--server-pid", &pid, "--json"]].concat(),
        b"",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let r = json(&out);
    assert_eq!(r["errors"], 0, "{r}");
    assert_eq!(r["count"], 200, "{r}");
    assert!(
        r["server_rss_after_kib"].as_u64() >= r["server_rss_before_kib"].as_u64(),
        "{r}"
    );
    assert!(stderr(&out).contains("idle: 200 open"), "{}", stderr(&out));
}

#[test]
fn bench_without_a_server_fails_clearly() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let out = run(
        &[
            "bench",
            "echo",
            &format!("ws://127.0.0.1:{port}/"),
            "--duration",
            "0.1",
        ],
        b"",
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("cannot connect"), "{}", stderr(&out));
}
