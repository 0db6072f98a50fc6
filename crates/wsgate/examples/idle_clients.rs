//! The client half of the idle-memory measurement (`scripts/idle-memory`): opens N
//! WebSocket connections to a loopback server, spread over source addresses 127.0.0.2,
//! 127.0.0.3, … (at most `--per-source` each), sends one small message on each and reads
//! the echo (so deflate contexts exist on both sides), prints `ready N` on stdout, then
//! holds them idle until killed or `--hold-secs` passes.
//!
//! ```text
//! cargo run --release -p wsgate --example idle_clients -- --connect 127.0.0.1:9001 \
//!     [-n 19000] [--deflate] [--client-no-context-takeover] \
//!     [--server-no-context-takeover] [--per-source 10000] [--first-source 2] \
//!     [--hold-secs 600]
//! ```
//!
//! The client handshake is done here with [`ClientHandshake`] because [`wsgate::Connector`]
//! opens its own socket and cannot bind a source address.

use std::io::Write;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::BytesMut;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio::sync::{Semaphore, mpsc};
use wsgate::proto::handshake::{ClientConfig, ClientHandshake, generate_key};
use wsgate::{Config, DeflateConfig, Message, Role, WebSocket};

#[derive(Debug)]
struct Args {
    connect: SocketAddr,
    n: usize,
    deflate: bool,
    client_no_context_takeover: bool,
    server_no_context_takeover: bool,
    per_source: usize,
    first_source: usize,
    hold: Duration,
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let args = Arc::new(parse_args()?);
    let start = Instant::now();
    let opening = Arc::new(Semaphore::new(CONCURRENT_OPENS));
    let (done_tx, mut done_rx) = mpsc::unbounded_channel::<Result<(), String>>();
    for i in 0..args.n {
        let args = args.clone();
        let opening = opening.clone();
        let done_tx = done_tx.clone();
        tokio::spawn(async move {
            let permit = opening.acquire_owned().await;
            let opened = open(&args, i).await;
            drop(permit);
            match opened {
                Ok(mut ws) => {
                    let _ = done_tx.send(Ok(()));
                    // Idle: wait for the server (answers pings, ends on close).
                    while let Some(Ok(_)) = ws.recv().await {}
                }
                Err(e) => {
                    let _ = done_tx.send(Err(e.to_string()));
                }
            }
        });
    }
    drop(done_tx);
    let (mut ok, mut failed) = (0, 0);
    while ok + failed < args.n {
        match done_rx.recv().await {
            Some(Ok(())) => ok += 1,
            Some(Err(e)) => {
                if failed < 5 {
                    eprintln!("connection failed: {e}");
                }
                failed += 1;
            }
            None => break,
        }
    }
    eprintln!("{ok} connected, {failed} failed in {:.1?}", start.elapsed());
    println!("ready {ok}");
    std::io::stdout().flush()?;
    tokio::time::sleep(args.hold).await;
    Ok(())
}

/// Connection `i`: bind its source address, connect, handshake, one echo round trip.
async fn open(args: &Args, i: usize) -> Result<WebSocket<TcpStream>, BoxError> {
    let tcp = tcp_connect(args, i).await?;
    let mut ws = handshake(args, tcp).await?;
    ws.send(Message::text("hello, idle world")).await?;
    match ws.recv().await {
        Some(Ok(m)) if m.is_data() => Ok(ws),
        Some(Ok(m)) => Err(format!("unexpected reply {m:?}").into()),
        Some(Err(e)) => Err(e.into()),
        None => Err("closed before the echo".into()),
    }
}

async fn tcp_connect(args: &Args, i: usize) -> Result<TcpStream, BoxError> {
    let host = args.first_source + i / args.per_source;
    let host = u8::try_from(host).map_err(|_| "too many source addresses")?;
    let source = SocketAddr::new(IpAddr::V4(Ipv4Addr::new(127, 0, 0, host)), 0);
    let socket = TcpSocket::new_v4()?;
    socket.bind(source)?;
    let tcp = socket.connect(args.connect).await?;
    tcp.set_nodelay(true)?;
    Ok(tcp)
}

/// The client opening handshake on an already connected stream.
async fn handshake(args: &Args, mut tcp: TcpStream) -> Result<WebSocket<TcpStream>, BoxError> {
    let mut client = ClientConfig::default();
    client.deflate = args.deflate.then(|| {
        let mut d = DeflateConfig::default();
        d.client_no_context_takeover(args.client_no_context_takeover)
            .server_no_context_takeover(args.server_no_context_takeover);
        d
    });
    let host = args.connect.to_string();
    let hs = ClientHandshake::new(&client, &host, "/", generate_key());
    let mut out = Vec::with_capacity(256);
    hs.write_request(&mut out);
    tcp.write_all(&out).await?;
    let mut buf = BytesMut::with_capacity(1024);
    let (response, len) = loop {
        if tcp.read_buf(&mut buf).await? == 0 {
            return Err("closed during the handshake".into());
        }
        if let Some(done) = hs.parse_response(&buf)? {
            break done;
        }
    };
    let rest = buf.split_off(len);
    let mut config = Config::default();
    // Compress every message, so the server's decompressor is created too.
    config.compression_threshold(0);
    Ok(WebSocket::from_parts(
        tcp,
        Role::Client,
        &config,
        response.deflate,
        rest,
        response.protocol,
    ))
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        connect: SocketAddr::from(([127, 0, 0, 1], 9001)),
        n: 1000,
        deflate: false,
        client_no_context_takeover: false,
        server_no_context_takeover: false,
        per_source: 10_000,
        first_source: 2,
        hold: Duration::from_secs(600),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value"));
        let bad = |e: &dyn std::fmt::Display| format!("{flag}: {e}");
        match flag.as_str() {
            "--connect" => args.connect = value()?.parse().map_err(|e| bad(&e))?,
            "-n" => args.n = value()?.parse().map_err(|e| bad(&e))?,
            "--deflate" => args.deflate = true,
            "--client-no-context-takeover" => args.client_no_context_takeover = true,
            "--server-no-context-takeover" => args.server_no_context_takeover = true,
            "--per-source" => args.per_source = value()?.parse().map_err(|e| bad(&e))?,
            "--first-source" => args.first_source = value()?.parse().map_err(|e| bad(&e))?,
            "--hold-secs" => {
                args.hold = Duration::from_secs(value()?.parse().map_err(|e| bad(&e))?);
            }
            _ => return Err(format!("unknown flag {flag}")),
        }
    }
    if !args.connect.ip().is_loopback() {
        return Err("--connect must be a loopback address".into());
    }
    if !(1..=15_000).contains(&args.per_source) || args.first_source < 2 {
        return Err("--per-source must be 1..=15000, --first-source at least 2".into());
    }
    Ok(args)
}

/// Handshakes in flight at once (the listener's backlog is larger).
const CONCURRENT_OPENS: usize = 256;
