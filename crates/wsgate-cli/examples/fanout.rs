//! Fan-out load for `wsgate serve` and for peer servers: N subscribers on one topic,
//! one publisher at a fixed rate; prints deliveries per second, publish-to-receive
//! latency, errors, the client's own CPU and, with `--pid`, the server's CPU per
//! delivery; for both, the share of the run they spent on a CPU and waiting for one
//! (`/proc/PID/task/*/schedstat`: on a shared machine, other processes take turns).
//!
//! ```text
//! taskset -c 1 target/release/wsgate serve --listen 127.0.0.1:8090 \
//!     --publish-rate 1000000 --ticker-ms 0 &
//! taskset -c 0 target/release/examples/fanout 127.0.0.1:8090 --target wsgate \
//!     --subscribers 1000 --messages 200 --rate 500 --pid $!
//! ```
//!
//! Targets (`--target`), and how a subscriber joins the topic and what it receives:
//!
//! - `wsgate`: `wsgate serve` on `/ws`; `subscribe` to a `chat:` channel, pushed
//!   `{"channel":…,"offset":…,"data":"PAYLOAD"}` (docs/protocol.md).
//! - `ws`: a server that relays each message to every other client
//!   (`bench/fanout/ws-server.mjs`); the raw text `PAYLOAD`.
//! - `socketio`: socket.io v4 (`bench/fanout/socketio-server.mjs`), spoken as
//!   Engine.IO v4 over a plain WebSocket: `40` to connect the namespace, an
//!   acknowledged `join` of room `bench`, pushed `42["msg","PAYLOAD"]`; server pings
//!   `2` get `3`.
//!
//! Every `PAYLOAD` starts with the marker `#SEQ:SENT_US#`, padded with `x` to `--size`
//! bytes. Subscribers only scan for the marker; each checks that it got every sequence
//! number exactly once. Missing, duplicated or unexpected messages, closed connections
//! and refused publishes are errors: reported, never counted as deliveries.
//!
//! Subscribers connect with wsgate's client: [`Connector`], or with `--per-source N`
//! wsgate's client handshake on a socket bound to 127.0.0.K, 127.0.0.K+1, … (N
//! connections each, K is `--first-source`, 2 by default; `Connector` cannot bind a
//! source address). Back-to-back runs should move K on: binding a source address
//! whose ports still hold the last run's TIME_WAIT sockets is slow. The runtime has
//! `--threads` workers (default: the CPUs this process may run on). `--json` prints one
//! JSON object instead of the text report. The exit status is 1 when there were errors.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::BytesMut;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpSocket;
use tokio::sync::{Semaphore, watch};
use wsgate::proto::handshake::{ClientConfig, ClientHandshake, generate_key};
use wsgate::{Config, Connector, MaybeTlsStream, Message, ProxyMode, Role, WebSocket};

type Ws = WebSocket<MaybeTlsStream>;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Target {
    Wsgate,
    Ws,
    SocketIo,
}

#[derive(Clone, Debug)]
pub(crate) struct Opts {
    pub(crate) addr: SocketAddr,
    pub(crate) target: Target,
    pub(crate) subscribers: usize,
    pub(crate) messages: usize,
    pub(crate) rate: u64,
    pub(crate) size: usize,
    pub(crate) pid: Option<u32>,
    pub(crate) threads: usize,
    pub(crate) per_source: usize,
    pub(crate) first_source: usize,
    pub(crate) drain: Duration,
    pub(crate) json: bool,
}

fn main() {
    let opts = parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(opts.threads)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let limit = Duration::from_secs(300);
    let report = runtime
        .block_on(async { tokio::time::timeout(limit, run(opts.clone())).await })
        .expect("the run did not finish within 300 s");
    report.print(&opts);
    // Do not wait for the connections to close one by one.
    runtime.shutdown_background();
    std::process::exit(i32::from(report.errors() > 0));
}

pub(crate) async fn run(opts: Opts) -> Report {
    let opts = Arc::new(opts);
    let base = Instant::now();
    let channel = format!("chat:fanout{}", std::process::id());
    let (stop_tx, stop_rx) = watch::channel(false);
    let (ready_tx, mut ready_rx) = tokio::sync::mpsc::channel(1024);
    let permits = Arc::new(Semaphore::new(128));
    let mut readers = Vec::with_capacity(opts.subscribers);
    for i in 0..opts.subscribers {
        let (opts, channel, permits) = (opts.clone(), channel.clone(), permits.clone());
        let (ready, stop) = (ready_tx.clone(), stop_rx.clone());
        readers.push(tokio::spawn(async move {
            let permit = permits.acquire_owned().await.expect("semaphore");
            let ws = match subscribe(&opts, i, &channel).await {
                Ok(ws) => ws,
                Err(e) => {
                    let _ = ready.send(Err(e)).await;
                    return Received::new(0);
                }
            };
            drop(permit);
            let _ = ready.send(Ok(())).await;
            receive(ws, &opts, base, stop).await
        }));
    }
    for _ in 0..opts.subscribers {
        if let Some(Err(e)) = ready_rx.recv().await {
            panic!("a subscriber could not join: {e}");
        }
    }
    let connected = base.elapsed();
    let cpu_before = (opts.pid.and_then(cpu_ticks), cpu_ticks_self());
    let wait_before = (
        opts.pid.and_then(run_delay_ns),
        run_delay_ns(std::process::id()),
    );
    let started = base.elapsed();
    let publisher = tokio::spawn(publish(opts.clone(), channel, base, stop_rx));
    let published = period(&opts) * u32::try_from(opts.messages).unwrap_or(u32::MAX);
    // Stop whoever still waits `drain` after the last publish was due.
    let stop_tx = Arc::new(stop_tx);
    let (drain, timer_tx) = (opts.drain, stop_tx.clone());
    tokio::spawn(async move {
        tokio::time::sleep(published + drain).await;
        let _ = timer_tx.send(true);
    });
    let mut total = Received::new(0);
    for reader in readers {
        total.merge(reader.await.expect("reader task"));
    }
    // Every subscriber is done: let the publisher finish reading replies briefly.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let _ = stop_tx.send(true);
    let publish = publisher.await.expect("publisher task");
    let cpu_after = (opts.pid.and_then(cpu_ticks), cpu_ticks_self());
    let wait_after = (
        opts.pid.and_then(run_delay_ns),
        run_delay_ns(std::process::id()),
    );
    let delta = |b: Option<u64>, a: Option<u64>| b.zip(a).map(|(b, a)| a.saturating_sub(b));
    Report {
        connected,
        started,
        publish,
        received: total,
        server_ticks: delta(cpu_before.0, cpu_after.0),
        client_ticks: delta(cpu_before.1, cpu_after.1),
        server_wait_ns: delta(wait_before.0, wait_after.0),
        client_wait_ns: delta(wait_before.1, wait_after.1),
    }
}

fn period(opts: &Opts) -> Duration {
    Duration::from_nanos(1_000_000_000 / opts.rate.max(1))
}

// ---- subscribers ----

/// Connects subscriber `i` and joins the topic; the connection is ready for pushes.
async fn subscribe(opts: &Opts, i: usize, channel: &str) -> Result<Ws, String> {
    let mut ws = open(opts, i).await?;
    match opts.target {
        Target::Ws => {}
        Target::Wsgate => {
            let req = json!({"id":1,"op":"subscribe","channel":channel});
            ws.send(req.to_string()).await.map_err(|e| e.to_string())?;
            let reply = text(&mut ws).await?;
            if !reply.contains("\"ok\":true") {
                return Err(format!("subscribe refused: {reply}"));
            }
        }
        Target::SocketIo => {
            socketio_open(&mut ws).await?;
            ws.send(r#"421["join","bench"]"#)
                .await
                .map_err(|e| e.to_string())?;
            loop {
                let packet = text(&mut ws).await?;
                if packet.starts_with("431") {
                    break;
                }
                ping_reply(&mut ws, &packet).await?;
            }
        }
    }
    Ok(ws)
}

/// What the subscribers received.
#[derive(Debug, Default)]
pub(crate) struct Received {
    /// Publish-to-receive latencies of verified deliveries, in microseconds.
    pub(crate) latencies: Vec<u32>,
    pub(crate) missing: u64,
    pub(crate) duplicates: u64,
    pub(crate) unexpected: u64,
    /// Connections that ended before every message arrived.
    pub(crate) closed: u64,
    /// Time of the last delivery since the start.
    pub(crate) last: Duration,
    pub(crate) first_error: Option<String>,
}

impl Received {
    fn new(n: usize) -> Self {
        Self {
            latencies: Vec::with_capacity(n),
            ..Self::default()
        }
    }

    fn merge(&mut self, other: Self) {
        self.latencies.extend_from_slice(&other.latencies);
        self.missing += other.missing;
        self.duplicates += other.duplicates;
        self.unexpected += other.unexpected;
        self.closed += other.closed;
        self.last = self.last.max(other.last);
        if self.first_error.is_none() {
            self.first_error = other.first_error;
        }
    }

    fn error(&mut self, what: String) {
        self.first_error.get_or_insert(what);
    }
}

/// Reads pushes until every sequence number arrived, the connection ends or `stop`.
async fn receive(
    mut ws: Ws,
    opts: &Opts,
    base: Instant,
    mut stop: watch::Receiver<bool>,
) -> Received {
    let n = opts.messages;
    let mut got = Received::new(n);
    let mut seen = vec![false; n];
    while got.latencies.len() < n {
        let msg = tokio::select! {
            m = ws.recv() => m,
            () = stopped(&mut stop) => break,
        };
        let msg = match msg {
            Some(Ok(Message::Text(t))) => t,
            Some(Ok(Message::Binary(_))) => {
                got.unexpected += 1;
                continue;
            }
            Some(Ok(_)) => continue,
            Some(Err(e)) => {
                got.closed += 1;
                got.error(format!("subscriber connection failed: {e}"));
                break;
            }
            None => {
                got.closed += 1;
                got.error("subscriber connection closed".into());
                break;
            }
        };
        let now = base.elapsed().as_micros() as u64;
        match marker(msg.as_str().as_bytes()) {
            Some((seq, sent)) if seq < n as u64 && !seen[seq as usize] => {
                seen[seq as usize] = true;
                got.latencies
                    .push(u32::try_from(now.saturating_sub(sent)).unwrap_or(u32::MAX));
                got.last = base.elapsed();
            }
            Some(_) => got.duplicates += 1,
            None if opts.target == Target::SocketIo && msg.as_str() == "2" => {
                let _ = ws.send("3").await;
            }
            None => {
                got.unexpected += 1;
                got.error(format!("unexpected message: {:.200}", msg.as_str()));
            }
        }
    }
    got.missing = (n - got.latencies.len()) as u64;
    got
}

/// `(seq, sent_us)` from the first `#SEQ:SENT_US#` in a message.
pub(crate) fn marker(bytes: &[u8]) -> Option<(u64, u64)> {
    let start = bytes.iter().position(|&b| b == b'#')?;
    let mut rest = &bytes[start + 1..];
    let mut number = |end: u8| -> Option<u64> {
        let len = rest.iter().position(|&b| b == end)?;
        let digits = std::str::from_utf8(&rest[..len]).ok()?;
        rest = &rest[len + 1..];
        digits.parse().ok()
    };
    Some((number(b':')?, number(b'#')?))
}

/// Until `stop` is set (or its sender is gone).
async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|s| *s).await;
}

// ---- publisher ----

/// What the publisher did.
#[derive(Debug, Default)]
pub(crate) struct Published {
    pub(crate) sent: usize,
    /// Time of the last publish since the start.
    pub(crate) done: Duration,
    /// Refused publishes and other error replies.
    pub(crate) errors: u64,
    pub(crate) first_error: Option<String>,
}

/// Publishes `--messages` payloads at `--rate`, reading (and checking) whatever the
/// server sends back meanwhile, until every publish is sent and `stop` is set.
async fn publish(
    opts: Arc<Opts>,
    channel: String,
    base: Instant,
    mut stop: watch::Receiver<bool>,
) -> Published {
    let mut out = Published::default();
    let mut ws = match publisher(&opts).await {
        Ok(ws) => ws,
        Err(e) => {
            out.errors += 1;
            out.first_error = Some(format!("publisher: {e}"));
            return out;
        }
    };
    let mut tick = tokio::time::interval(period(&opts));
    let mut done = false;
    while !done {
        tokio::select! {
            _ = tick.tick(), if out.sent < opts.messages => {
                let sent_us = base.elapsed().as_micros() as u64;
                let payload = payload(out.sent, sent_us, opts.size);
                if let Err(e) = ws.send(frame(opts.target, &channel, out.sent, &payload)).await {
                    out.errors += 1;
                    out.first_error.get_or_insert(format!("publish failed: {e}"));
                    break;
                }
                out.sent += 1;
                out.done = base.elapsed();
            }
            m = ws.recv() => match m {
                Some(Ok(Message::Text(t))) => check_reply(opts.target, &mut ws, t.as_str(), &mut out).await,
                Some(Ok(_)) => {}
                _ => {
                    out.errors += 1;
                    out.first_error.get_or_insert("publisher connection ended".into());
                    break;
                }
            },
            () = stopped(&mut stop) => done = true,
        }
    }
    out
}

async fn publisher(opts: &Opts) -> Result<Ws, String> {
    let mut ws = connect(opts, None).await?;
    if opts.target == Target::SocketIo {
        socketio_open(&mut ws).await?;
    }
    Ok(ws)
}

pub(crate) fn payload(seq: usize, sent_us: u64, size: usize) -> String {
    let mut p = format!("#{seq}:{sent_us}#");
    let pad = size.saturating_sub(p.len());
    p.extend(std::iter::repeat_n('x', pad));
    p
}

/// The publish request carrying `payload` in the target's framing.
fn frame(target: Target, channel: &str, seq: usize, payload: &str) -> String {
    match target {
        Target::Ws => payload.to_owned(),
        Target::Wsgate => {
            json!({"id":seq,"op":"publish","channel":channel,"data":payload}).to_string()
        }
        Target::SocketIo => format!("42{}", json!(["pub", payload])),
    }
}

async fn check_reply(target: Target, ws: &mut Ws, reply: &str, out: &mut Published) {
    let bad = match target {
        Target::Wsgate => !reply.contains("\"ok\":true"),
        Target::SocketIo if reply == "2" => {
            let _ = ws.send("3").await;
            false
        }
        // Neither peer sends the publisher anything else.
        Target::SocketIo | Target::Ws => true,
    };
    if bad {
        out.errors += 1;
        out.first_error
            .get_or_insert(format!("publisher got: {reply:.200}"));
    }
}

// ---- connections ----

/// Connects subscriber `i` (`None`: the publisher) to the target's WebSocket URL.
async fn connect(opts: &Opts, i: Option<usize>) -> Result<Ws, String> {
    let path = match opts.target {
        Target::Wsgate => "/ws",
        Target::Ws => "/",
        Target::SocketIo => "/socket.io/?EIO=4&transport=websocket",
    };
    match i {
        Some(i) if opts.per_source > 0 => {
            let host = u8::try_from(opts.first_source + i / opts.per_source)
                .map_err(|_| "too many sources")?;
            let source = SocketAddr::new(IpAddr::V4(Ipv4Addr::new(127, 0, 0, host)), 0);
            bound(opts.addr, source, path).await
        }
        _ => {
            let mut connector = Connector::new();
            connector.proxy(ProxyMode::None);
            let url = format!("ws://{}{path}", opts.addr);
            let (ws, _) = connector.connect(&url).await.map_err(|e| e.to_string())?;
            Ok(ws)
        }
    }
}

async fn open(opts: &Opts, i: usize) -> Result<Ws, String> {
    connect(opts, Some(i)).await
}

/// wsgate's client handshake on a socket bound to `source`.
async fn bound(addr: SocketAddr, source: SocketAddr, path: &str) -> Result<Ws, String> {
    let err = |e: std::io::Error| e.to_string();
    let socket = TcpSocket::new_v4().map_err(err)?;
    socket.bind(source).map_err(err)?;
    let mut tcp = socket.connect(addr).await.map_err(err)?;
    tcp.set_nodelay(true).map_err(err)?;
    let hs = ClientHandshake::new(
        &ClientConfig::default(),
        &addr.to_string(),
        path,
        generate_key(),
    );
    let mut out = Vec::with_capacity(256);
    hs.write_request(&mut out);
    tcp.write_all(&out).await.map_err(err)?;
    let mut buf = BytesMut::with_capacity(1024);
    let (response, len) = loop {
        if tcp.read_buf(&mut buf).await.map_err(err)? == 0 {
            return Err("closed during the handshake".into());
        }
        if let Some(done) = hs.parse_response(&buf).map_err(|e| e.to_string())? {
            break done;
        }
    };
    let rest = buf.split_off(len);
    let stream = MaybeTlsStream::Plain(tcp);
    let config = Config::default();
    Ok(WebSocket::from_parts(
        stream,
        Role::Client,
        &config,
        response.deflate,
        rest,
        response.protocol,
    ))
}

/// Engine.IO open (`0{…}`), then connects the default namespace (`40` both ways).
async fn socketio_open(ws: &mut Ws) -> Result<(), String> {
    let open = text(ws).await?;
    if !open.starts_with('0') {
        return Err(format!(
            "expected an Engine.IO open packet, got {open:.200}"
        ));
    }
    ws.send("40").await.map_err(|e| e.to_string())?;
    loop {
        let packet = text(ws).await?;
        if packet.starts_with("40") {
            return Ok(());
        }
        ping_reply(ws, &packet).await?;
    }
}

/// Answers an Engine.IO ping; anything else is an error.
async fn ping_reply(ws: &mut Ws, packet: &str) -> Result<(), String> {
    if packet != "2" {
        return Err(format!("unexpected packet {packet:.200}"));
    }
    ws.send("3").await.map_err(|e| e.to_string())
}

/// The next text message.
async fn text(ws: &mut Ws) -> Result<String, String> {
    loop {
        match ws.recv().await {
            Some(Ok(Message::Text(t))) => return Ok(t.as_str().to_owned()),
            Some(Ok(_)) => {}
            Some(Err(e)) => return Err(e.to_string()),
            None => return Err("connection closed".into()),
        }
    }
}

// ---- report ----

/// What one run measured.
pub(crate) struct Report {
    pub(crate) connected: Duration,
    pub(crate) started: Duration,
    pub(crate) publish: Published,
    pub(crate) received: Received,
    /// Server CPU time during the fan-out, in clock ticks.
    pub(crate) server_ticks: Option<u64>,
    /// This process's CPU time during the fan-out, in clock ticks.
    pub(crate) client_ticks: Option<u64>,
    /// Time the server's threads were runnable but waiting for a CPU (other processes
    /// had it), in nanoseconds.
    pub(crate) server_wait_ns: Option<u64>,
    /// The same for this process.
    pub(crate) client_wait_ns: Option<u64>,
}

impl Report {
    pub(crate) fn errors(&self) -> u64 {
        let r = &self.received;
        r.missing + r.duplicates + r.unexpected + r.closed + self.publish.errors
    }

    fn print(&self, opts: &Opts) {
        let mut lat = self.received.latencies.clone();
        lat.sort_unstable();
        let pct = |p: f64| {
            lat.get(((lat.len().max(1) - 1) as f64 * p) as usize)
                .copied()
        };
        let deliveries = lat.len();
        let window = self
            .received
            .last
            .saturating_sub(self.started)
            .as_secs_f64();
        let per_s = if window > 0.0 {
            deliveries as f64 / window
        } else {
            0.0
        };
        let publish_s = self.publish.done.saturating_sub(self.started).as_secs_f64();
        let tick_s = |t: u64| t as f64 / 100.0;
        let server_ns = self
            .server_ticks
            .map(|t| tick_s(t) * 1e9 / deliveries.max(1) as f64);
        let client_cpu = self.client_ticks.map(tick_s);
        let share = |secs: Option<f64>| secs.map(|c| if window > 0.0 { c / window } else { 0.0 });
        let wait_s = |ns: Option<u64>| ns.map(|n| n as f64 / 1e9);
        let r = &self.received;
        let out = json!({
            "target": format!("{:?}", opts.target).to_lowercase(),
            "subscribers": opts.subscribers, "messages": opts.messages,
            "rate": opts.rate, "size": opts.size, "threads": opts.threads,
            "connect_s": self.connected.as_secs_f64(),
            "publish_s": publish_s, "window_s": window,
            "expected": opts.subscribers * opts.messages, "deliveries": deliveries,
            "deliveries_per_s": per_s,
            "p50_us": pct(0.5), "p99_us": pct(0.99), "max_us": pct(1.0),
            "errors": self.errors(), "missing": r.missing, "duplicates": r.duplicates,
            "unexpected": r.unexpected, "closed": r.closed, "publish_errors": self.publish.errors,
            "first_error": r.first_error.clone().or(self.publish.first_error.clone()),
            "server_cpu_s": self.server_ticks.map(tick_s), "server_ns_per_delivery": server_ns,
            "client_cpu_s": client_cpu,
            "server_cpu_share": share(self.server_ticks.map(tick_s)),
            "server_wait_share": share(wait_s(self.server_wait_ns)),
            "client_cpu_share": share(client_cpu),
            "client_wait_share": share(wait_s(self.client_wait_ns)),
        });
        if opts.json {
            println!("{out}");
            return;
        }
        for (k, v) in out.as_object().expect("object") {
            println!("{k:<24} {v}");
        }
    }
}

/// utime + stime of a process, in clock ticks (USER_HZ, 100 here).
fn cpu_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The fields after the command name (which may hold spaces), from the state on.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(utime + stime)
}

/// Time a process's threads spent runnable but waiting for a CPU, in nanoseconds: the
/// second field of `/proc/PID/task/TID/schedstat`, summed over the live threads.
fn run_delay_ns(pid: u32) -> Option<u64> {
    let mut total = 0;
    for task in std::fs::read_dir(format!("/proc/{pid}/task"))
        .ok()?
        .flatten()
    {
        let Ok(stat) = std::fs::read_to_string(task.path().join("schedstat")) else {
            continue;
        };
        total += stat.split_whitespace().nth(1)?.parse::<u64>().ok()?;
    }
    Some(total)
}

fn cpu_ticks_self() -> Option<u64> {
    cpu_ticks(std::process::id())
}

const USAGE: &str = "usage: fanout HOST:PORT [--target wsgate|ws|socketio] [--subscribers N] \
[--messages N] [--rate N] [--size BYTES] [--pid PID] [--threads N] [--per-source N] \
[--first-source K] [--drain SECONDS] [--json]";

fn parse() -> Opts {
    let mut args = std::env::args().skip(1);
    let addr: SocketAddr = args.next().expect(USAGE).parse().expect("HOST:PORT");
    assert!(addr.ip().is_loopback(), "loopback addresses only");
    let mut opts = Opts {
        addr,
        target: Target::Wsgate,
        subscribers: 1000,
        messages: 200,
        rate: 500,
        size: 64,
        pid: None,
        threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
        per_source: 0,
        first_source: 2,
        drain: Duration::from_secs(10),
        json: false,
    };
    while let Some(flag) = args.next() {
        if flag == "--json" {
            opts.json = true;
            continue;
        }
        let value = args.next().expect(USAGE);
        let number = || -> u64 { value.parse().expect("a number") };
        match flag.as_str() {
            "--target" => {
                opts.target = match value.as_str() {
                    "wsgate" => Target::Wsgate,
                    "ws" => Target::Ws,
                    "socketio" => Target::SocketIo,
                    _ => panic!("{USAGE}"),
                }
            }
            "--subscribers" => opts.subscribers = number() as usize,
            "--messages" => opts.messages = number() as usize,
            "--rate" => opts.rate = number(),
            "--size" => opts.size = number() as usize,
            "--pid" => opts.pid = Some(number() as u32),
            "--threads" => opts.threads = (number() as usize).max(1),
            "--per-source" => opts.per_source = number() as usize,
            "--first-source" => opts.first_source = number() as usize,
            "--drain" => opts.drain = Duration::from_secs(number()),
            _ => panic!("{USAGE}"),
        }
    }
    opts
}
