//! `wsgate listen HOST:PORT`: the server twin of `connect` (websocat's `-s`).
//!
//! ```text
//!   clients ─► per-client task ─► print channel ─► stdout (one message per line)
//!   stdin lines ─► (queued until the first client) ─► broadcast ─► every client
//! ```
//!
//! Accepts any number of clients (with `-1`, only the first). Each stdin line goes to
//! every client connected at the time; lines read while no client is connected are kept
//! for the next one. After EOF on stdin, once at least one client got stdin's lines, every
//! client is closed with 1000 and the command exits. Ctrl-C closes clients with 1001.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use bytes::Bytes;
use tokio::net::TcpStream;
use tokio::sync::{broadcast, mpsc};
use tokio::task::JoinSet;
use tracing::{debug, info, warn};
use wsgate::{Acceptor, CloseCode, DeflateConfig, Message};

use super::connect::{Printer, spawn_stdin_reader};

/// Arguments of `wsgate listen`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Address to listen on (port 0 picks a free port; the real one is printed on
    /// stderr as `listening on ADDR`).
    #[arg(value_name = "HOST:PORT")]
    addr: String,
    /// Send stdin lines as binary messages instead of text.
    #[arg(short = 'b', long)]
    binary: bool,
    /// Send stdin lines as text messages (the default).
    #[arg(short = 't', long, conflicts_with = "binary")]
    text: bool,
    /// Print received binary messages as base64 instead of hex.
    #[arg(long, conflicts_with = "hex")]
    base64: bool,
    /// Print received binary messages as hex (the default).
    #[arg(long)]
    hex: bool,
    /// Accept permessage-deflate when a client offers it.
    #[arg(long)]
    compress: bool,
    /// Serve one client, then exit when it disconnects.
    #[arg(short = '1', long)]
    one: bool,
}

/// What the main loop tells every client.
#[derive(Debug, Clone)]
enum Command {
    Send(Message),
    Close(CloseCode),
}

/// Runs the server until stdin ends (and a client got it), the only client of `-1`
/// leaves, or Ctrl-C.
pub(crate) async fn run(args: Args) -> anyhow::Result<ExitCode> {
    let listener = super::bind(&args.addr).await?;
    let mut acceptor = Acceptor::new();
    acceptor.deflate(args.compress.then(DeflateConfig::default));
    let acceptor = Arc::new(acceptor);
    let (commands, _) = broadcast::channel(BROADCAST_QUEUE);
    let (print_tx, print_rx) = mpsc::channel(PRINT_QUEUE);
    let mut printer = tokio::spawn(print_loop(print_rx, args.base64));
    let mut stdin = spawn_stdin_reader(false);
    let interrupted = crate::shutdown::signal();
    tokio::pin!(interrupted);
    let mut clients = JoinSet::new();
    let (mut pending, mut stdin_open, mut served, mut line) = (Vec::new(), true, false, 0usize);
    let close = loop {
        if !stdin_open && served && pending.is_empty() {
            break Some(CloseCode::NORMAL);
        }
        tokio::select! {
            accepted = listener.accept(), if !(args.one && served) => {
                let (tcp, peer) = match accepted {
                    Ok(pair) => pair,
                    Err(err) => {
                        warn!("accept failed: {err}");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        continue;
                    }
                };
                let client = Client {
                    initial: std::mem::take(&mut pending),
                    commands: commands.subscribe(),
                    print: print_tx.clone(),
                    peer,
                };
                served = true;
                let acceptor = Arc::clone(&acceptor);
                clients.spawn(async move { client.serve(&acceptor, tcp).await });
            }
            chunk = stdin.recv(), if stdin_open => {
                let Some(chunk) = chunk else {
                    stdin_open = false;
                    continue;
                };
                line += 1;
                let msg = encode(chunk?, args.binary, line)?;
                if clients.is_empty() {
                    pending.push(msg);
                } else {
                    let _ = commands.send(Command::Send(msg));
                }
            }
            Some(_) = clients.join_next(), if !clients.is_empty() => {
                if args.one && clients.is_empty() {
                    break None;
                }
            }
            printed = &mut printer => {
                // Stdout is gone (or failed): nothing more can be shown.
                printed.context("printer")??;
                return Ok(ExitCode::SUCCESS);
            }
            () = &mut interrupted => break Some(CloseCode::GOING_AWAY),
        }
    };
    if let Some(code) = close {
        // Every client closes (bounded by its close timeout).
        let _ = commands.send(Command::Close(code));
        while clients.join_next().await.is_some() {}
    }
    // Print what the clients sent before they left.
    drop(print_tx);
    printer.await.context("printer")??;
    Ok(ExitCode::SUCCESS)
}

fn encode(chunk: Vec<u8>, binary: bool, line: usize) -> anyhow::Result<Message> {
    if binary {
        return Ok(Message::Binary(Bytes::from(chunk)));
    }
    let text = String::from_utf8(chunk)
        .map_err(|_| anyhow::anyhow!("stdin line {line} is not UTF-8 (use -b for binary)"))?;
    Ok(Message::text(text))
}

async fn print_loop(mut rx: mpsc::Receiver<Message>, base64: bool) -> std::io::Result<()> {
    let mut printer = Printer {
        out: tokio::io::stdout(),
        base64,
    };
    while let Some(msg) = rx.recv().await {
        printer.print(&msg).await?;
    }
    Ok(())
}

/// One client connection and what it needs.
#[derive(Debug)]
struct Client {
    /// Stdin lines read before it connected.
    initial: Vec<Message>,
    commands: broadcast::Receiver<Command>,
    print: mpsc::Sender<Message>,
    peer: SocketAddr,
}

impl Client {
    async fn serve(mut self, acceptor: &Acceptor, tcp: TcpStream) {
        let _ = tcp.set_nodelay(true);
        let peer = self.peer;
        let mut ws = match acceptor.accept(tcp).await {
            Ok(ws) => ws,
            Err(err) => {
                warn!(%peer, "handshake failed: {err}");
                return;
            }
        };
        info!(%peer, "client connected");
        for msg in std::mem::take(&mut self.initial) {
            if ws.send(msg).await.is_err() {
                return;
            }
        }
        loop {
            tokio::select! {
                event = ws.recv() => match event {
                    Some(Ok(msg)) if msg.is_data() => {
                        if self.print.send(msg).await.is_err() {
                            return;
                        }
                    }
                    Some(Ok(Message::Close(frame))) => match frame {
                        Some(f) => info!(%peer, "client closed with {} {:?}", f.code.as_u16(), f.reason.as_str()),
                        None => info!(%peer, "client closed without a code"),
                    },
                    Some(Ok(Message::Ping(_))) => debug!(%peer, "ping"),
                    Some(Ok(_)) => {}
                    Some(Err(err)) => {
                        warn!(%peer, "connection failed: {err}");
                        break;
                    }
                    None => break,
                },
                command = self.commands.recv() => match command {
                    Ok(Command::Send(msg)) => {
                        if let Err(err) = ws.send(msg).await {
                            warn!(%peer, "send failed: {err}");
                            break;
                        }
                    }
                    Ok(Command::Close(code)) => {
                        if let Err(err) = ws.close(code, "").await {
                            warn!(%peer, "close: {err}");
                        }
                        break;
                    }
                    Err(broadcast::error::RecvError::Lagged(n)) => {
                        warn!(%peer, "{n} stdin lines were not sent: the client reads too slowly");
                    }
                    Err(broadcast::error::RecvError::Closed) => break,
                },
            }
        }
        info!(%peer, "client disconnected");
    }
}

/// Stdin lines not yet taken by every client.
const BROADCAST_QUEUE: usize = 1024;
/// Received messages waiting for stdout.
const PRINT_QUEUE: usize = 256;
