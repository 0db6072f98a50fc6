//! `wsgate connect URL`: a command-line WebSocket client.
//!
//! ```text
//!   stdin ─► reader thread ─► lines (or all of it with -1) ─► WriteHalf::send
//!   stdout ◄─ text as is, binary as hex/base64, one message per line ◄─ ReadHalf::recv
//! ```
//!
//! EOF on stdin sends Close 1000 and waits for the server's Close. The exit status says
//! how the session ended (see `EXIT_STATUS_HELP`).

use std::io::{BufRead as _, Read as _};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context as _, bail};
use base64::Engine as _;
use bytes::Bytes;
use tokio::io::{AsyncWriteExt as _, Stdout};
use tokio::sync::{mpsc, oneshot};
use tracing::{debug, info};
use wsgate::{
    CloseCode, ConnectError, Connector, DeflateConfig, Error, Message, ReadHalf, TlsRoots,
    WriteHalf,
};

/// Arguments of `wsgate connect`.
#[derive(Debug, clap::Args)]
#[command(after_help = EXIT_STATUS_HELP)]
pub(crate) struct Args {
    /// The ws:// or wss:// URL.
    url: String,
    /// Send stdin as binary messages instead of text.
    #[arg(short = 'b', long)]
    binary: bool,
    /// Send stdin as text messages (the default).
    #[arg(short = 't', long, conflicts_with = "binary")]
    text: bool,
    /// Send all of stdin as one message, print the first reply, then close.
    #[arg(short = '1', long)]
    one_message: bool,
    /// Print received binary messages as base64 instead of hex.
    #[arg(long)]
    base64: bool,
    /// Add a request header (repeatable).
    #[arg(short = 'H', long = "header", value_name = "NAME: VALUE")]
    headers: Vec<String>,
    /// Offer a subprotocol (repeatable, in order of preference).
    #[arg(long = "protocol", value_name = "NAME")]
    protocols: Vec<String>,
    /// Send this Origin header.
    #[arg(long)]
    origin: Option<String>,
    /// Offer permessage-deflate compression.
    #[arg(long)]
    compress: bool,
    /// Do not verify the server's TLS certificate (wss:// only; for tests).
    #[arg(short = 'k', long, conflicts_with = "cacert")]
    insecure: bool,
    /// Trust only the CA certificates in this PEM file (wss:// only).
    #[arg(long, value_name = "FILE")]
    cacert: Option<PathBuf>,
    /// Give up connecting after this many seconds.
    #[arg(long, value_name = "SECS", default_value_t = 10)]
    connect_timeout: u64,
}

const EXIT_STATUS_HELP: &str = "\
Exit status:
  0  the connection closed normally (close code 1000, or none)
  1  other errors (bad arguments, unreadable files, stdin that is not UTF-8 in text mode)
  3  could not connect (DNS, TCP, TLS, proxy, timeout)
  4  the server refused the WebSocket handshake (the HTTP status is printed)
  5  the server closed with a code other than 1000
  6  the connection failed: lost without a close handshake, or a protocol error";

/// Runs the client session.
pub(crate) async fn run(args: Args) -> anyhow::Result<ExitCode> {
    let connector = connector(&args)?;
    let (ws, response) = match connector.connect(&args.url).await {
        Ok(pair) => pair,
        Err(err) => return Ok(connect_failed(&args.url, &err)),
    };
    info!(
        protocol = response.protocol.as_deref().unwrap_or("none"),
        deflate = response.deflate.is_some(),
        "connected to {}",
        args.url
    );
    for (name, value) in &response.headers {
        info!("< {name}: {}", String::from_utf8_lossy(value));
    }
    let (rx, tx) = ws.split();
    let (first_tx, first_rx) = oneshot::channel();
    let printer = Printer {
        out: tokio::io::stdout(),
        base64: args.base64,
    };
    let mut reader = tokio::spawn(read_loop(rx, printer, first_tx));
    let stdin = spawn_stdin_reader(args.one_message);
    let outcome = tokio::select! {
        outcome = &mut reader => outcome??,
        written = write_loop(tx, stdin, args.binary, args.one_message.then_some(first_rx)) => {
            written?;
            match tokio::time::timeout(CLOSE_WAIT, &mut reader).await {
                Ok(outcome) => outcome??,
                Err(_) => bail!("the server did not finish the close handshake"),
            }
        }
    };
    outcome.exit()
}

fn connector(args: &Args) -> anyhow::Result<Connector> {
    let mut c = Connector::new();
    c.connect_timeout(Duration::from_secs(args.connect_timeout));
    for header in &args.headers {
        let (name, value) = header
            .split_once(':')
            .with_context(|| format!("header {header:?} is not 'Name: value'"))?;
        c.header(name.trim(), value.trim());
    }
    c.subprotocols(args.protocols.iter().cloned());
    c.origin(args.origin.clone());
    if args.compress {
        c.deflate(Some(DeflateConfig::default()));
    }
    if args.insecure {
        c.tls_roots(TlsRoots::Insecure);
    } else if let Some(path) = &args.cacert {
        let pem = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        c.tls_roots(TlsRoots::CustomPem(pem));
    }
    Ok(c)
}

/// Prints why the connection failed and returns the matching exit status.
fn connect_failed(url: &str, err: &ConnectError) -> ExitCode {
    if let ConnectError::Handshake(wsgate::proto::handshake::HandshakeError::Status {
        status,
        reason,
        body,
        ..
    }) = err
    {
        eprintln!("wsgate: {url}: server refused the WebSocket handshake: HTTP {status} {reason}");
        let body = String::from_utf8_lossy(body);
        for line in body.lines().filter(|l| !l.trim().is_empty()).take(5) {
            eprintln!("  {line}");
        }
        return ExitCode::from(EXIT_HANDSHAKE);
    }
    eprintln!("wsgate: {url}: {err}");
    match err {
        ConnectError::Handshake(_) => ExitCode::from(EXIT_HANDSHAKE),
        ConnectError::InvalidUrl(_) => ExitCode::FAILURE,
        _ => ExitCode::from(EXIT_CONNECT),
    }
}

/// How the session ended, as seen by the reading side.
#[derive(Debug)]
enum Outcome {
    /// The close handshake completed; the peer's code, if it sent one.
    Closed(Option<(u16, String)>),
    /// The connection failed.
    Failed(Error),
}

impl Outcome {
    fn exit(self) -> anyhow::Result<ExitCode> {
        match self {
            Self::Closed(None) => Ok(ExitCode::SUCCESS),
            Self::Closed(Some((code, _))) if code == CloseCode::NORMAL.as_u16() => {
                Ok(ExitCode::SUCCESS)
            }
            Self::Closed(Some((code, reason))) => {
                let name = CloseCode::new(code).name();
                eprintln!("wsgate: closed by the server with {code} ({name}): {reason:?}");
                Ok(ExitCode::from(EXIT_PEER_CLOSE))
            }
            Self::Failed(Error::Io(err)) if err.kind() == std::io::ErrorKind::BrokenPipe => {
                Err(err.into())
            }
            Self::Failed(err) => {
                eprintln!("wsgate: connection failed: {err}");
                Ok(ExitCode::from(EXIT_FAILED))
            }
        }
    }
}

/// Prints messages until the connection ends; signals `first` after the first one.
async fn read_loop(
    mut rx: ReadHalf<wsgate::MaybeTlsStream>,
    mut printer: Printer,
    first: oneshot::Sender<()>,
) -> anyhow::Result<Outcome> {
    let mut first = Some(first);
    let mut close = None;
    while let Some(event) = rx.recv().await {
        match event {
            Ok(Message::Close(frame)) => {
                close = frame.map(|f| (f.code.as_u16(), f.reason.as_str().to_owned()));
            }
            Ok(msg) if msg.is_data() => {
                printer.print(&msg).await?;
                if let Some(first) = first.take() {
                    let _ = first.send(());
                }
            }
            Ok(other) => debug!("received {other:?}"),
            Err(err) => return Ok(Outcome::Failed(err)),
        }
    }
    Ok(Outcome::Closed(close))
}

/// Sends stdin as messages; on EOF (or after the first reply with `-1`) closes with 1000.
async fn write_loop(
    mut tx: WriteHalf<wsgate::MaybeTlsStream>,
    mut stdin: mpsc::Receiver<anyhow::Result<Vec<u8>>>,
    binary: bool,
    first_reply: Option<oneshot::Receiver<()>>,
) -> anyhow::Result<()> {
    let mut line = 0usize;
    while let Some(chunk) = stdin.recv().await {
        line += 1;
        let msg = if binary {
            Message::Binary(Bytes::from(chunk?))
        } else {
            let text = String::from_utf8(chunk?).map_err(|_| {
                anyhow::anyhow!("stdin line {line} is not UTF-8 (use -b for binary)")
            })?;
            Message::text(text)
        };
        if tx.send(msg).await.is_err() {
            // The connection ended; the reader reports how.
            return std::future::pending().await;
        }
    }
    if let Some(first_reply) = first_reply {
        // With -1: wait for the reply; if the connection ends first, the reader reports.
        if first_reply.await.is_err() {
            return std::future::pending().await;
        }
    }
    debug!("stdin done, closing");
    if let Err(err) = tx.close(CloseCode::NORMAL, "").await {
        debug!("close: {err}");
    }
    Ok(())
}

/// Reads stdin on a plain thread (a blocking read must not hold up the runtime's
/// shutdown): one item per line without its line ending, or all of it with `whole`.
fn spawn_stdin_reader(whole: bool) -> mpsc::Receiver<anyhow::Result<Vec<u8>>> {
    let (tx, rx) = mpsc::channel(16);
    std::thread::spawn(move || {
        let stdin = std::io::stdin();
        let mut stdin = stdin.lock();
        if whole {
            let mut all = Vec::new();
            let item = stdin.read_to_end(&mut all).map(|_| strip_newline(all));
            let _ = tx.blocking_send(item.context("cannot read stdin"));
            return;
        }
        loop {
            let mut line = Vec::new();
            match stdin.read_until(b'\n', &mut line) {
                Ok(0) => return,
                Ok(_) => {
                    if tx.blocking_send(Ok(strip_newline(line))).is_err() {
                        return;
                    }
                }
                Err(err) => {
                    let _ = tx
                        .blocking_send(Err(anyhow::Error::from(err).context("cannot read stdin")));
                    return;
                }
            }
        }
    });
    rx
}

/// Removes one trailing `\n` or `\r\n`.
fn strip_newline(mut v: Vec<u8>) -> Vec<u8> {
    if v.last() == Some(&b'\n') {
        v.pop();
        if v.last() == Some(&b'\r') {
            v.pop();
        }
    }
    v
}

/// Writes one received message per line.
#[derive(Debug)]
struct Printer {
    out: Stdout,
    base64: bool,
}

impl Printer {
    async fn print(&mut self, msg: &Message) -> std::io::Result<()> {
        let mut line = match msg {
            Message::Text(text) => text.as_bytes().to_vec(),
            Message::Binary(data) if self.base64 => base64::engine::general_purpose::STANDARD
                .encode(data)
                .into_bytes(),
            Message::Binary(data) => hex(data).into_bytes(),
            _ => return Ok(()),
        };
        line.push(b'\n');
        self.out.write_all(&line).await?;
        self.out.flush().await
    }
}

fn hex(data: &[u8]) -> String {
    use std::fmt::Write as _;
    data.iter()
        .fold(String::with_capacity(data.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

const EXIT_CONNECT: u8 = 3;
const EXIT_HANDSHAKE: u8 = 4;
const EXIT_PEER_CLOSE: u8 = 5;
const EXIT_FAILED: u8 = 6;
/// How long to wait for the server's close frame after ours.
const CLOSE_WAIT: Duration = Duration::from_secs(10);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_one_line_ending() {
        assert_eq!(strip_newline(b"a\r\n".to_vec()), b"a");
        assert_eq!(strip_newline(b"a\n\n".to_vec()), b"a\n");
        assert_eq!(strip_newline(b"a".to_vec()), b"a");
    }

    #[test]
    fn hex_is_lowercase_pairs() {
        assert_eq!(hex(&[0, 1, 0xfe, 0xff]), "0001feff");
    }
}
