//! Load for `wsgate serve`: N subscribers on one chat channel, one publisher on the
//! JSON protocol; prints deliveries per second, publish-to-receive latency and, with
//! `--pid`, the server's memory per subscribed session.
//!
//! ```text
//! taskset -c 1 target/release/wsgate serve --listen 127.0.0.1:8090 --publish-rate 1000000 &
//! taskset -c 0 cargo run --release -p wsgate-cli --example serve_load -- \
//!     127.0.0.1:8090 --subscribers 1000 --messages 200 --rate 500 --pid $!
//! ```
//!
//! Every connection goes to the given loopback address; the run ends after every
//! subscriber has received every message, or after a 60-second limit.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use wsgate::{Connector, MaybeTlsStream, Message, ProxyMode, WebSocket};

type Ws = WebSocket<MaybeTlsStream>;

struct Opts {
    addr: String,
    subscribers: usize,
    messages: usize,
    rate: u64,
    size: usize,
    pid: Option<u32>,
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let opts = parse();
    let limit = Duration::from_secs(60);
    tokio::time::timeout(limit, run(opts))
        .await
        .expect("the run did not finish within 60 s");
}

async fn run(opts: Opts) {
    let channel = format!("chat:load{}", std::process::id());
    let rss_before = opts.pid.and_then(rss_kib);
    let start = Instant::now();
    let mut subs = Vec::with_capacity(opts.subscribers);
    for _ in 0..opts.subscribers {
        let mut ws = connect(&opts.addr).await;
        send(&mut ws, json!({"id":1,"op":"subscribe","channel":channel})).await;
        subs.push(ws);
    }
    for ws in &mut subs {
        assert_eq!(next(ws).await["ok"], true);
    }
    let connected = start.elapsed();
    // Let the server settle before reading its memory.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let rss_after = opts.pid.and_then(rss_kib);

    let cpu_before = opts.pid.and_then(cpu_ticks);
    let base = Instant::now();
    let readers: Vec<_> = subs
        .into_iter()
        .map(|ws| tokio::spawn(receive(ws, opts.messages, base)))
        .collect();
    let mut publisher = connect(&opts.addr).await;
    let padding = "x".repeat(opts.size);
    let period = Duration::from_nanos(1_000_000_000 / opts.rate.max(1));
    let mut tick = tokio::time::interval(period);
    for i in 0..opts.messages {
        tick.tick().await;
        let sent_us = base.elapsed().as_micros() as u64;
        let data = json!({"i": i, "sent_us": sent_us, "pad": padding});
        send(
            &mut publisher,
            json!({"id": i, "op":"publish","channel":channel,"data":data}),
        )
        .await;
        // Read the reply, so that the publisher's own queue never fills.
        next(&mut publisher).await;
    }
    let publish_done = base.elapsed();
    let mut latencies = Vec::with_capacity(opts.subscribers * opts.messages);
    for reader in readers {
        latencies.extend(reader.await.unwrap());
    }
    let all_done = base.elapsed();
    let cpu = cpu_before
        .zip(opts.pid.and_then(cpu_ticks))
        .map(|(b, a)| a.saturating_sub(b));
    let run = Run {
        connected,
        publish_done,
        all_done,
        rss_before,
        rss_after,
        cpu,
    };
    report(&opts, &run, &mut latencies);
}

/// Reads `n` pushed messages; their latencies in microseconds.
async fn receive(mut ws: Ws, n: usize, base: Instant) -> Vec<u64> {
    let mut latencies = Vec::with_capacity(n);
    while latencies.len() < n {
        // Find the send time without a full JSON parse: the reader must stay cheap.
        let text = match ws.recv().await {
            Some(Ok(Message::Text(t))) => t,
            Some(Ok(_)) => continue,
            other => panic!("connection ended: {other:?}"),
        };
        let sent = text
            .as_str()
            .split_once("\"sent_us\":")
            .and_then(|(_, rest)| {
                let digits = rest
                    .find(|c: char| !c.is_ascii_digit())
                    .unwrap_or(rest.len());
                rest[..digits].parse::<u64>().ok()
            });
        if let Some(sent) = sent {
            latencies.push((base.elapsed().as_micros() as u64).saturating_sub(sent));
        }
    }
    latencies
}

/// What one run measured besides the latencies.
struct Run {
    connected: Duration,
    publish_done: Duration,
    all_done: Duration,
    rss_before: Option<u64>,
    rss_after: Option<u64>,
    /// Server CPU time during the fan-out, in clock ticks.
    cpu: Option<u64>,
}

fn report(opts: &Opts, run: &Run, latencies: &mut [u64]) {
    let Run {
        connected,
        publish_done,
        all_done,
        rss_before,
        rss_after,
        cpu,
    } = *run;
    latencies.sort_unstable();
    let pct = |p: f64| latencies[((latencies.len() - 1) as f64 * p) as usize];
    let deliveries = latencies.len();
    println!("subscribers          {}", opts.subscribers);
    println!(
        "messages             {} of {} bytes at {}/s",
        opts.messages, opts.size, opts.rate
    );
    println!("connect+subscribe    {:.2} s", connected.as_secs_f64());
    println!("publishing took      {:.3} s", publish_done.as_secs_f64());
    println!("last delivery after  {:.3} s", all_done.as_secs_f64());
    println!(
        "deliveries           {deliveries} ({:.0}/s)",
        deliveries as f64 / all_done.as_secs_f64()
    );
    println!(
        "latency p50/p99/max  {} / {} / {} µs",
        pct(0.5),
        pct(0.99),
        pct(1.0)
    );
    if let Some(ticks) = cpu {
        let secs = ticks as f64 / 100.0;
        let per = secs * 1e9 / deliveries as f64;
        println!("server CPU           {secs:.2} s ({per:.0} ns per delivery, USER_HZ 100)");
    }
    if let (Some(before), Some(after)) = (rss_before, rss_after) {
        let per = (after.saturating_sub(before) * 1024) as f64 / opts.subscribers as f64;
        println!(
            "server RSS           {before} KiB -> {after} KiB: {per:.0} bytes per subscribed session"
        );
    }
}

async fn connect(addr: &str) -> Ws {
    let mut connector = Connector::new();
    connector.proxy(ProxyMode::None);
    connector
        .connect(&format!("ws://{addr}/ws"))
        .await
        .expect("connect")
        .0
}

async fn send(ws: &mut Ws, v: Value) {
    ws.send(v.to_string()).await.expect("send");
}

/// The next text message as JSON, skipping publish replies.
async fn next(ws: &mut Ws) -> Value {
    loop {
        match ws.recv().await {
            Some(Ok(Message::Text(t))) => {
                let v: Value = serde_json::from_str(t.as_str()).expect("json");
                if v.get("error").is_some() {
                    panic!("error from the server: {v}");
                }
                return v;
            }
            Some(Ok(_)) => {}
            other => panic!("connection ended: {other:?}"),
        }
    }
}

/// utime + stime of a process, in clock ticks.
fn cpu_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The fields after the command name (which may hold spaces), from the state on.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(utime + stime)
}

/// VmRSS of a process, in KiB.
fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn parse() -> Opts {
    let mut args = std::env::args().skip(1);
    let mut opts = Opts {
        addr: args.next().expect("usage: serve_load HOST:PORT [--subscribers N] [--messages N] [--rate N] [--size N] [--pid PID]"),
        subscribers: 1000,
        messages: 200,
        rate: 500,
        size: 64,
        pid: None,
    };
    assert!(opts.addr.starts_with("127."), "loopback addresses only");
    while let Some(flag) = args.next() {
        let value = args.next().expect("a value after each flag");
        match flag.as_str() {
            "--subscribers" => opts.subscribers = value.parse().expect("a number"),
            "--messages" => opts.messages = value.parse().expect("a number"),
            "--rate" => opts.rate = value.parse().expect("a number"),
            "--size" => opts.size = value.parse().expect("a number"),
            "--pid" => opts.pid = Some(value.parse().expect("a number")),
            _ => panic!("unknown flag {flag}"),
        }
    }
    opts
}
