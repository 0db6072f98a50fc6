//! `wsgate serve` as a user sees it: the built binary on an ephemeral loopback port, the
//! JSON protocol on `/ws` through real WebSocket connections, bad input, the HTTP API,
//! `/metrics`, the origin check, the config file and the shutdown. Every test is
//! bounded by `TIMEOUT` and stops the server it started.

// Tests may panic on broken invariants: that is how they fail.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

mod util;

use serde_json::{Value, json};
use wsgate::{CloseCode, Connector, MaybeTlsStream, Message, ProxyMode, WebSocket};

const BIN: &str = env!("CARGO_BIN_EXE_wsgate");
const TIMEOUT: Duration = Duration::from_secs(20);

type Ws = WebSocket<MaybeTlsStream>;

#[tokio::test]
async fn subscribe_publish_history_and_presence() {
    let server = Server::start(&["--ticker-ms", "0"]);
    bounded(async {
        let mut ann = server.ws().await;
        let reply = request(&mut ann, json!({"id":1,"op":"subscribe","channel":"chat:room1","presence":{"name":"ann"}})).await;
        assert_eq!(reply["ok"], true, "{reply}");
        assert_eq!(reply["members"], json!([{"id": reply["members"][0]["id"], "name":"ann"}]));
        assert_eq!(event(&mut ann).await["presence"], "join");
        let epoch = reply["epoch"].clone();
        assert!(epoch.as_str().is_some_and(|e| !e.is_empty()), "{reply}");
        for (i, text) in ["one", "two", "three"].iter().enumerate() {
            let id = 10 + i;
            send(&mut ann, json!({"id":id,"op":"publish","channel":"chat:room1","data":{"text":text}})).await;
            let pushed = event(&mut ann).await;
            assert_eq!(pushed, json!({"channel":"chat:room1","offset":i + 1,"data":{"text":text}}));
            let reply = event(&mut ann).await;
            assert_eq!((reply["id"].clone(), reply["offset"].clone(), reply["delivered"].clone()), (json!(id), json!(i + 1), json!(1)));
        }

        let mut bob = server.ws().await;
        let reply = request(&mut bob, json!({"id":"b1","op":"subscribe","channel":"chat:room1","presence":{"name":"bob"},"history":2})).await;
        assert_eq!((reply["offset"].clone(), reply["epoch"].clone()), (json!(3), epoch));
        let history: Vec<_> = reply["history"].as_array().unwrap().iter().map(|e| (e["offset"].clone(), e["data"]["text"].clone())).collect();
        assert_eq!(history, [(json!(2), json!("two")), (json!(3), json!("three"))]);
        let names: Vec<_> = reply["members"].as_array().unwrap().iter().map(|m| m["name"].clone()).collect();
        assert_eq!(names, [json!("ann"), json!("bob")]);
        let bob_id = reply["members"][1]["id"].clone();
        assert_eq!(event(&mut bob).await, json!({"channel":"chat:room1","presence":"join","member":{"id":bob_id,"name":"bob"}}));
        assert_eq!(event(&mut ann).await["member"]["name"], "bob");

        send(&mut bob, json!({"id":2,"op":"publish","channel":"chat:room1","data":"hi ann"})).await;
        assert_eq!(event(&mut ann).await, json!({"channel":"chat:room1","offset":4,"data":"hi ann"}));
        let reply = request(&mut ann, json!({"id":3,"op":"presence","channel":"chat:room1"})).await;
        assert_eq!(reply["members"].as_array().map(Vec::len), Some(2));

        // Leaving: by unsubscribe, then by closing the connection.
        let reply = request(&mut bob, json!({"id":4,"op":"unsubscribe","channel":"chat:room1"})).await;
        assert_eq!(reply["ok"], true, "{reply}");
        let left = event(&mut ann).await;
        assert_eq!((left["presence"].clone(), left["member"]["id"].clone()), (json!("leave"), bob_id));
        request(&mut bob, json!({"id":5,"op":"subscribe","channel":"chat:room1","presence":{"name":"bob2"}})).await;
        assert_eq!(event(&mut ann).await["member"]["name"], "bob2");
        bob.close(CloseCode::NORMAL, "bye").await.unwrap();
        let left = event(&mut ann).await;
        assert_eq!((left["presence"].clone(), left["member"]["name"].clone()), (json!("leave"), json!("bob2")));
    })
    .await;
}

#[tokio::test]
async fn bad_input_gets_error_objects_and_the_connection_stays_open() {
    let server = Server::start(&["--ticker-ms", "0"]);
    bounded(async {
        let mut ws = server.ws().await;
        let cases = [
            (json!("not json {"), Value::Null, "bad_json"),
            (json!("[1,2,3]"), Value::Null, "bad_json"),
            (json!(r#"{"id":1,"op":"shout"}"#), json!(1), "unknown_op"),
            (json!(r#"{"id":2}"#), json!(2), "bad_request"),
            (
                json!(r#"{"id":3,"op":"publish","channel":"chat:a"}"#),
                json!(3),
                "bad_request",
            ),
            (
                json!(r#"{"id":4,"op":"subscribe","channel":"admin:secrets"}"#),
                json!(4),
                "unknown_namespace",
            ),
            (
                json!(r#"{"id":5,"op":"subscribe","channel":"chat:no spaces"}"#),
                json!(5),
                "bad_channel",
            ),
            (
                json!(r#"{"id":6,"op":"subscribe","channel":"lobby"}"#),
                json!(6),
                "bad_channel",
            ),
            (
                json!(r#"{"id":7,"op":"publish","channel":"push:ticker","data":1}"#),
                json!(7),
                "forbidden",
            ),
            (
                json!(r#"{"id":8,"op":"subscribe","channel":"push:news","presence":{"name":"x"}}"#),
                json!(8),
                "forbidden",
            ),
            (
                json!(r#"{"id":9,"op":"subscribe","channel":"chat:a","presence":{"name":""}}"#),
                json!(9),
                "bad_name",
            ),
            (
                json!(r#"{"id":10,"op":"unsubscribe","channel":"chat:a"}"#),
                json!(10),
                "not_subscribed",
            ),
            (
                json!(r#"{"id":11,"op":"presence","channel":"push:news"}"#),
                json!(11),
                "forbidden",
            ),
        ];
        for (text, id, code) in cases {
            ws.send(text.as_str().unwrap()).await.unwrap();
            let reply = event(&mut ws).await;
            assert_eq!(
                (reply["id"].clone(), reply["error"]["code"].clone()),
                (id, json!(code)),
                "{text}: {reply}"
            );
            assert!(
                reply["error"]["message"]
                    .as_str()
                    .is_some_and(|m| !m.is_empty()),
                "{reply}"
            );
        }
        ws.send(Message::Binary(vec![1, 2, 3].into()))
            .await
            .unwrap();
        assert_eq!(event(&mut ws).await["error"]["code"], "unsupported");
        request(
            &mut ws,
            json!({"id":12,"op":"subscribe","channel":"chat:a"}),
        )
        .await;
        let reply = send_then(
            &mut ws,
            json!({"id":13,"op":"subscribe","channel":"chat:a"}),
        )
        .await;
        assert_eq!(reply["error"]["code"], "already_subscribed");

        // Still open: a valid request works.
        let reply = request(&mut ws, json!({"id":14,"op":"presence","channel":"chat:a"})).await;
        assert_eq!(reply["members"], json!([]));

        // Oversized: Close 1009.
        let big = format!(
            r#"{{"id":15,"op":"publish","channel":"chat:a","data":"{}"}}"#,
            "x".repeat(70_000)
        );
        ws.send(big.as_str()).await.unwrap();
        assert_eq!(close_code(&mut ws).await, Some(1009));
    })
    .await;
}

#[tokio::test]
async fn subscriptions_per_connection_are_bounded() {
    let dir = TempDir::new("subs");
    let config = dir.write("wsgate.toml", "ticker-ms = 0\nmax-subscriptions = 2\n");
    let server = Server::start(&["--config", &config]);
    bounded(async {
        let mut ws = server.ws().await;
        request(&mut ws, json!({"id":1,"op":"subscribe","channel":"chat:a"})).await;
        request(&mut ws, json!({"id":2,"op":"subscribe","channel":"chat:b"})).await;
        let reply = send_then(&mut ws, json!({"id":3,"op":"subscribe","channel":"chat:c"})).await;
        assert_eq!(reply["error"]["code"], "too_many_subscriptions");
    })
    .await;
}

#[tokio::test]
async fn publishes_per_connection_are_rate_limited() {
    let server = Server::start(&["--publish-rate", "2", "--ticker-ms", "0"]);
    bounded(async {
        let mut ws = server.ws().await;
        for id in 0..8 {
            send(
                &mut ws,
                json!({"id":id,"op":"publish","channel":"chat:r","data":id}),
            )
            .await;
        }
        let mut codes = Vec::new();
        for _ in 0..8 {
            let reply = event(&mut ws).await;
            codes.push(reply["error"]["code"].as_str().unwrap_or("ok").to_owned());
        }
        // A burst of 2 seconds' worth (4), then refused; a refill may add one.
        let ok = codes.iter().filter(|c| *c == "ok").count();
        assert!((4..=5).contains(&ok), "{codes:?}");
        assert!(codes[..4].iter().all(|c| c == "ok"), "{codes:?}");
        assert!(codes[ok..].iter().all(|c| c == "rate_limited"), "{codes:?}");
        // Still open.
        request(
            &mut ws,
            json!({"id":"p","op":"presence","channel":"chat:r"}),
        )
        .await;
    })
    .await;
}

#[tokio::test]
async fn http_api_publishes_lists_and_refuses_bad_requests() {
    let server = Server::start(&["--api-key", "s3cret", "--ticker-ms", "0"]);
    let addr = server.addr.clone();
    bounded(async move {
        let mut ws = server.ws().await;
        request(
            &mut ws,
            json!({"id":1,"op":"subscribe","channel":"push:news"}),
        )
        .await;
        let auth = ("Authorization", "Bearer s3cret");
        let body = r#"{"channel":"push:news","data":{"text":"breaking"}}"#;

        let (status, reply) = http_json(&addr, "POST", "/api/publish", &[], body);
        assert_eq!(
            (status, reply["error"]["code"].clone()),
            (401, json!("unauthorized"))
        );
        let (status, _) = http_json(
            &addr,
            "POST",
            "/api/publish",
            &[("Authorization", "Bearer wrong")],
            body,
        );
        assert_eq!(status, 401);
        let (status, reply) = http_json(&addr, "POST", "/api/publish", &[auth], body);
        assert_eq!(
            (status, reply.clone()),
            (
                200,
                json!({"ok":true,"channel":"push:news","offset":1,"delivered":1})
            )
        );
        assert_eq!(
            event(&mut ws).await,
            json!({"channel":"push:news","offset":1,"data":{"text":"breaking"}})
        );

        let bad = [
            ("POST", "/api/publish", "{\"channel\":", 400, "bad_json"),
            (
                "POST",
                "/api/publish",
                r#"{"channel":"push:news"}"#,
                400,
                "bad_request",
            ),
            (
                "POST",
                "/api/publish",
                r#"{"channel":"nope:x","data":1}"#,
                400,
                "unknown_namespace",
            ),
            (
                "POST",
                "/api/publish",
                r#"{"channel":"push:a b","data":1}"#,
                400,
                "bad_channel",
            ),
            ("GET", "/api/publish", "", 405, "method_not_allowed"),
            ("GET", "/api/nothing", "", 404, "not_found"),
            ("GET", "/api/presence", "", 400, "bad_request"),
            (
                "GET",
                "/api/presence?channel=push%3Anews",
                "",
                400,
                "forbidden",
            ),
        ];
        for (method, path, body, status, code) in bad {
            let (got, reply) = http_json(&addr, method, path, &[auth], body);
            assert_eq!(
                (got, reply["error"]["code"].clone()),
                (status, json!(code)),
                "{method} {path} {body}: {reply}"
            );
        }
        let huge = format!(
            r#"{{"channel":"push:news","data":"{}"}}"#,
            "x".repeat(70_000)
        );
        let (status, reply) = http_json(&addr, "POST", "/api/publish", &[auth], &huge);
        assert_eq!(
            (status, reply["error"]["code"].clone()),
            (413, json!("too_large"))
        );

        let mut ann = server.ws().await;
        request(
            &mut ann,
            json!({"id":1,"op":"subscribe","channel":"chat:lobby","presence":{"name":"ann"}}),
        )
        .await;
        let (status, reply) = http_json(
            &addr,
            "GET",
            "/api/presence?channel=chat%3Alobby",
            &[auth],
            "",
        );
        assert_eq!(status, 200);
        assert_eq!(reply["members"][0]["name"], "ann");
        let (status, reply) = http_json(&addr, "GET", "/api/channels", &[auth], "");
        assert_eq!(status, 200);
        let channels = reply["channels"].as_array().unwrap();
        let news = channels
            .iter()
            .find(|c| c["channel"] == "push:news")
            .unwrap();
        assert_eq!(
            (news["subscribers"].clone(), news["offset"].clone()),
            (json!(1), json!(1))
        );
        let lobby = channels
            .iter()
            .find(|c| c["channel"] == "chat:lobby")
            .unwrap();
        assert_eq!(lobby["members"], 1);

        let (status, _, metrics) = http(&addr, "GET", "/metrics", &[], "");
        assert_eq!(status, 200);
        assert!(
            metrics.contains("\nwsgate_api_publishes_total 1\n"),
            "{metrics}"
        );
        assert!(metrics.contains("\nwsgate_sessions 2\n"), "{metrics}");
        assert!(
            metrics.contains("\nwsgate_connections_total 2\n"),
            "{metrics}"
        );
        assert!(
            metrics.contains("\nwsgate_api_errors_total 11\n"),
            "{metrics}"
        );
    })
    .await;
}

#[tokio::test]
async fn http_api_is_open_without_a_key() {
    let server = Server::start(&["--ticker-ms", "0"]);
    let (status, reply) = http_json(
        &server.addr,
        "POST",
        "/api/publish",
        &[],
        r#"{"channel":"chat:x","data":[1]}"#,
    );
    assert_eq!(
        (status, reply["offset"].clone(), reply["delivered"].clone()),
        (200, json!(1), json!(0))
    );
}

#[test]
fn settings_come_from_the_environment() {
    let env = [
        ("WSGATE_API_KEY", "from-env"),
        ("WSGATE_ALLOW_ORIGINS", "https://a.test,https://b.test"),
        ("WSGATE_TICKER_MS", "0"),
    ];
    let server = Server::start_with_env(&[], &env);
    let body = r#"{"channel":"push:x","data":1}"#;
    assert_eq!(
        http_json(&server.addr, "POST", "/api/publish", &[], body).0,
        401
    );
    let auth = [("Authorization", "Bearer from-env")];
    assert_eq!(
        http_json(&server.addr, "POST", "/api/publish", &auth, body).0,
        200
    );
    assert_eq!(handshake_status(&server.addr, Some("https://b.test")), 101);
    assert_eq!(handshake_status(&server.addr, Some("https://c.test")), 403);
}

#[tokio::test]
async fn origin_check_is_same_origin_by_default_with_an_allow_list() {
    let server = Server::start(&["--allow-origin", "https://app.test", "--ticker-ms", "0"]);
    let addr = &server.addr;
    assert_eq!(handshake_status(addr, Some("http://evil.test")), 403);
    assert_eq!(handshake_status(addr, Some(&format!("http://{addr}"))), 101);
    assert_eq!(handshake_status(addr, Some("https://app.test")), 101);
    assert_eq!(handshake_status(addr, None), 101);
    let (_, _, metrics) = http(addr, "GET", "/metrics", &[], "");
    assert!(
        metrics.contains("wsgate_handshake_rejections_total{reason=\"origin\"} 1\n"),
        "{metrics}"
    );
    assert_eq!(http(addr, "GET", "/ws", &[], "").0, 426);
}

#[tokio::test]
async fn ticker_pushes_and_history_is_bounded_by_the_config_file() {
    let dir = TempDir::new("ticker");
    let config = dir.write("wsgate.toml", "ticker-ms = 50\nhistory = 2\n");
    let server = Server::start(&["--config", &config]);
    bounded(async {
        let mut ws = server.ws().await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        let reply = request(
            &mut ws,
            json!({"id":1,"op":"subscribe","channel":"push:ticker","history":100}),
        )
        .await;
        let history = reply["history"].as_array().unwrap();
        assert_eq!(history.len(), 2, "{reply}");
        let last = reply["offset"].as_u64().unwrap();
        assert!(last >= 3, "{reply}");
        let tick = event(&mut ws).await;
        assert_eq!(tick["offset"], last + 1);
        assert_eq!(tick["data"]["n"], last + 1);
        assert!(
            tick["data"]["time"].as_str().is_some_and(|t| t.len() == 8),
            "{tick}"
        );
    })
    .await;
}

#[test]
fn a_subscriber_that_stops_reading_is_disconnected_and_counted() {
    let server = Server::start(&["--ticker-ms", "0"]);
    let addr = &server.addr;
    // A client with a small receive buffer that subscribes and then never reads.
    let socket = small_buffer_client(addr);
    let frame = masked_text(r#"{"id":1,"op":"subscribe","channel":"push:flood"}"#);
    (&socket).write_all(&frame).unwrap();
    std::thread::sleep(Duration::from_millis(100));

    let data = "x".repeat(60_000);
    let body = format!(r#"{{"channel":"push:flood","data":"{data}"}}"#);
    let deadline = Instant::now() + TIMEOUT;
    let mut published = 0;
    let disconnected = loop {
        let (_, _, metrics) = http(addr, "GET", "/metrics", &[], "");
        if metrics.contains("\nwsgate_slow_consumer_disconnects_total 1\n") {
            break metrics;
        }
        assert!(
            published < 1000 && Instant::now() < deadline,
            "no slow-consumer disconnect after {published} messages"
        );
        let (status, _) = http_json(addr, "POST", "/api/publish", &[], &body);
        assert_eq!(status, 200);
        published += 1;
    };
    assert!(
        !disconnected.contains("\nwsgate_queue_drops_total 0\n"),
        "{disconnected}"
    );
    // The session ends once the close handshake times out (the client never reads).
    let ended = loop {
        let (_, _, metrics) = http(addr, "GET", "/metrics", &[], "");
        if metrics.contains("\nwsgate_sessions 0\n") {
            break metrics;
        }
        assert!(
            Instant::now() < deadline,
            "the slow session did not end: {metrics}"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(
        ended.contains("wsgate_disconnects_total{cause=\"slow_consumer\"} 1\n"),
        "{ended}"
    );
    drop(socket);
}

#[test]
fn logs_can_be_json_lines_and_the_address_line_stays_plain() {
    let mut child = Command::new(BIN)
        .args(["serve", "--listen", "127.0.0.1:0", "--ticker-ms", "0"])
        .env("WSGATE_LOG_FORMAT", "json")
        .env("RUST_LOG", "info")
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let first = rx.recv_timeout(TIMEOUT);
    let second = rx.recv_timeout(TIMEOUT);
    let _ = child.kill();
    let _ = child.wait();
    let (first, second) = (first.unwrap(), second.unwrap());
    assert!(first.starts_with("listening on 127.0.0.1:"), "{first}");
    let log: Value = serde_json::from_str(&second).unwrap_or_else(|e| panic!("{e}: {second}"));
    assert_eq!(log["level"], "INFO", "{log}");
    assert!(
        log["fields"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("open http://")),
        "{log}"
    );
}

#[test]
fn invalid_config_file_is_a_clear_error() {
    let dir = TempDir::new("badconfig");
    let config = dir.write("wsgate.toml", "listen = \"127.0.0.1:0\"\nhistroy = 5\n");
    let out = Command::new(BIN)
        .args(["serve", "--config", &config])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("invalid config file") && err.contains("histroy"),
        "{err}"
    );
}

#[cfg(unix)]
#[tokio::test]
async fn sigterm_closes_ws_sessions_with_1001_and_exits_0() {
    let mut server = Server::start(&["--ticker-ms", "0"]);
    let mut ws = server.ws().await;
    request(
        &mut ws,
        json!({"id":1,"op":"subscribe","channel":"chat:x","presence":{"name":"z"}}),
    )
    .await;
    event(&mut ws).await;
    server.proc.signal("-TERM");
    bounded(async {
        assert_eq!(close_code(&mut ws).await, Some(1001));
        // Reading on lets the client answer the close handshake.
        while ws.recv().await.is_some() {}
    })
    .await;
    let status = server.proc.wait();
    assert!(status.success(), "{status:?}");
}

// ---- helpers --------------------------------------------------------------------------

/// `wsgate serve` on an ephemeral loopback port, killed on drop.
struct Server {
    proc: util::Proc,
    addr: String,
}

impl Server {
    fn start(args: &[&str]) -> Self {
        Self::start_with_env(args, &[])
    }

    /// Starts with these environment variables (and no other `WSGATE_*` setting).
    fn start_with_env(args: &[&str], env: &[(&str, &str)]) -> Self {
        let mut cmd = util::wsgate();
        cmd.args(["serve", "--listen", "127.0.0.1:0"])
            .args(args)
            .envs(env.iter().copied());
        let proc = util::Proc::spawn(cmd, true);
        let addr = proc.addr.clone();
        Self { proc, addr }
    }

    async fn ws(&self) -> Ws {
        let mut connector = Connector::new();
        connector.proxy(ProxyMode::None).connect_timeout(TIMEOUT);
        let (ws, _) = connector
            .connect(&format!("ws://{}/ws", self.addr))
            .await
            .expect("connect to /ws");
        ws
    }
}

/// A temporary directory, removed on drop.
struct TempDir(std::path::PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let dir =
            std::env::temp_dir().join(format!("wsgate-serve-test-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    fn write(&self, file: &str, text: &str) -> String {
        let path = self.0.join(file);
        std::fs::write(&path, text).unwrap();
        path.to_string_lossy().into_owned()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

async fn bounded<F: std::future::Future>(test: F) -> F::Output {
    tokio::time::timeout(TIMEOUT, test)
        .await
        .expect("test did not finish in time")
}

async fn send(ws: &mut Ws, request: Value) {
    ws.send(request.to_string()).await.unwrap();
}

/// Sends a request and returns the next message (its reply or an error object).
async fn send_then(ws: &mut Ws, request: Value) -> Value {
    send(ws, request).await;
    event(ws).await
}

/// Sends a request and returns its successful reply, skipping pushed events.
async fn request(ws: &mut Ws, request: Value) -> Value {
    let id = request["id"].clone();
    send(ws, request).await;
    loop {
        let msg = event(ws).await;
        if msg["id"] == id {
            assert_eq!(msg["ok"], true, "{msg}");
            return msg;
        }
    }
}

/// The next text message, as JSON.
async fn event(ws: &mut Ws) -> Value {
    loop {
        match ws.recv().await {
            Some(Ok(Message::Text(text))) => return serde_json::from_str(text.as_str()).unwrap(),
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
            other => panic!("expected a text message, got {other:?}"),
        }
    }
}

/// Reads until the server's close frame; its code.
async fn close_code(ws: &mut Ws) -> Option<u16> {
    loop {
        match ws.recv().await {
            Some(Ok(Message::Close(frame))) => return frame.map(|f| f.code.as_u16()),
            Some(Ok(_)) => {}
            Some(Err(e)) => panic!("error before the close frame: {e}"),
            None => return None,
        }
    }
}

/// A minimal HTTP/1.1 request: status, head and body.
fn http(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, String, String) {
    let mut tcp = TcpStream::connect(addr).expect("connect");
    tcp.set_read_timeout(Some(TIMEOUT)).expect("timeout");
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        req.push_str(&format!("{name}: {value}\r\n"));
    }
    req.push_str("\r\n");
    tcp.write_all(req.as_bytes()).expect("write request");
    // The server may answer (413) before reading the whole body.
    let _ = tcp.write_all(body.as_bytes());
    let mut raw = Vec::new();
    let _ = tcp.read_to_end(&mut raw);
    let raw = String::from_utf8_lossy(&raw).into_owned();
    let status = raw
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("bad response: {raw}"));
    let (head, body) = raw
        .split_once("\r\n\r\n")
        .map(|(h, b)| (h.to_owned(), b.to_owned()))
        .unwrap_or_default();
    (status, head, body)
}

/// An HTTP request whose answer is JSON.
fn http_json(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, Value) {
    let (status, head, body) = http(addr, method, path, headers, body);
    assert!(
        head.to_ascii_lowercase()
            .contains("content-type: application/json"),
        "{head}"
    );
    (
        status,
        serde_json::from_str(&body).unwrap_or_else(|e| panic!("{e}: {body}")),
    )
}

/// The status of a WebSocket handshake on `/ws` with this `Origin`.
fn handshake_status(addr: &str, origin: Option<&str>) -> u16 {
    let mut tcp = TcpStream::connect(addr).expect("connect");
    tcp.set_read_timeout(Some(TIMEOUT)).expect("timeout");
    let origin = origin
        .map(|o| format!("Origin: {o}\r\n"))
        .unwrap_or_default();
    let req = format!(
        "GET /ws HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n{origin}\r\n"
    );
    tcp.write_all(req.as_bytes()).expect("write request");
    let mut line = String::new();
    BufReader::new(tcp)
        .read_line(&mut line)
        .expect("status line");
    line.split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("bad status line: {line}"))
}

/// A raw WebSocket client on `/ws` with a small receive buffer (the handshake done).
fn small_buffer_client(addr: &str) -> TcpStream {
    let addr: std::net::SocketAddr = addr.parse().unwrap();
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let tcp = rt
        .block_on(socket.connect(addr))
        .unwrap()
        .into_std()
        .unwrap();
    tcp.set_nonblocking(false).unwrap();
    tcp.set_read_timeout(Some(TIMEOUT)).unwrap();
    let req = format!(
        "GET /ws HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    );
    (&tcp).write_all(req.as_bytes()).unwrap();
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        (&tcp).read_exact(&mut byte).unwrap();
        head.push(byte[0]);
    }
    assert!(
        head.starts_with(b"HTTP/1.1 101"),
        "{}",
        String::from_utf8_lossy(&head)
    );
    tcp
}

/// A masked text frame (mask key zero, so the payload reads as is) of < 64 KiB.
fn masked_text(text: &str) -> Vec<u8> {
    let len = text.len();
    let mut frame = vec![0x81];
    if len < 126 {
        frame.push(0x80 | len as u8);
    } else {
        frame.push(0x80 | 126);
        frame.extend_from_slice(&u16::try_from(len).unwrap().to_be_bytes());
    }
    frame.extend_from_slice(&[0, 0, 0, 0]);
    frame.extend_from_slice(text.as_bytes());
    frame
}
