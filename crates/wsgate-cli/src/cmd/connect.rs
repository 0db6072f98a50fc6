//! `wsgate connect URL`: a command-line WebSocket client.
//!
//! ```text
//!   stdin ─► reader thread ─► lines (or all of it with -1) ─► WriteHalf::send
//!   stdout ◄─ text as is, binary as hex/base64, one message per line ◄─ ReadHalf::recv
//! ```
//!
//! EOF on stdin, or Ctrl-C, sends Close (1000, or `--close-code`) and waits for the
//! server's Close. With `--jsonrpc` each line `method params` becomes a JSON-RPC 2.0
//! request with ids 1, 2, … The exit status says how the session ended (see
//! `EXIT_STATUS_HELP`).

use std::io::{BufRead as _, Read as _};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
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
    #[arg(long, conflicts_with = "hex")]
    base64: bool,
    /// Print received binary messages as hex (the default).
    #[arg(long)]
    hex: bool,
    /// Send each line `method params` as a JSON-RPC 2.0 request: `{"jsonrpc":"2.0",
    /// "id":N,"method":"method","params":params}` with ids 1, 2, …; params that are not
    /// a JSON array or object are wrapped in `[...]` (none: `[]`).
    #[arg(long, conflicts_with_all = ["binary", "one_message"])]
    jsonrpc: bool,
    /// Send a ping every SECS seconds (the connection fails if no pong comes back).
    #[arg(long, value_name = "SECS")]
    ping_interval: Option<f64>,
    /// The close code sent on EOF or Ctrl-C.
    #[arg(long, value_name = "CODE", default_value_t = 1000, value_parser = parse_close_code)]
    close_code: u16,
    /// The close reason sent on EOF or Ctrl-C (at most 123 bytes).
    #[arg(long, value_name = "TEXT", default_value = "")]
    close_reason: String,
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
  0  the connection closed normally (close code 1000, or none; or after Ctrl-C)
  1  other errors (bad arguments, unreadable files, stdin that is not UTF-8 in text mode)
  3  could not connect (DNS, TCP, TLS, proxy, timeout)
  4  the server refused the WebSocket handshake (the HTTP status and body are printed)
  5  the server closed with a code other than 1000
  6  the connection failed: lost without a close handshake (1006), or a protocol error";

/// Runs the client session.
pub(crate) async fn run(args: Args) -> anyhow::Result<ExitCode> {
    if args.close_reason.len() > 123 {
        bail!("--close-reason is longer than 123 bytes");
    }
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
    let we_closed = Arc::new(AtomicBool::new(false));
    let input = Input {
        lines: stdin,
        encoding: Encoding::of(&args),
        first_reply: args.one_message.then_some(first_rx),
        close: (CloseCode::new(args.close_code), args.close_reason.clone()),
        we_closed: Arc::clone(&we_closed),
    };
    let outcome = tokio::select! {
        // When we started the close, the server's close frame echoes our code; the
        // reader may see it before `close` returns.
        outcome = &mut reader => match outcome?? {
            Outcome::Closed(_) if we_closed.load(Ordering::Relaxed) => Outcome::Closed(None),
            outcome => outcome,
        },
        written = write_loop(tx, input) => {
            written?;
            match tokio::time::timeout(CLOSE_WAIT, &mut reader).await {
                Ok(Ok(Ok(Outcome::Closed(_)))) => Outcome::Closed(None),
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
    if let Some(secs) = args.ping_interval {
        let every = Duration::try_from_secs_f64(secs)
            .ok()
            .filter(|d| !d.is_zero())
            .context("--ping-interval must be a positive number of seconds")?;
        let mut config = wsgate::Config::default();
        config.ping_interval(Some(every));
        c.config(config);
    }
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
            Self::Failed(err) if err.close_code() == Some(CloseCode::ABNORMAL) => {
                eprintln!("wsgate: connection failed: {err} (1006, abnormal closure)");
                Ok(ExitCode::from(EXIT_FAILED))
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

/// What the writing side sends: stdin's lines, how to encode them, and how to close.
#[derive(Debug)]
struct Input {
    lines: mpsc::Receiver<anyhow::Result<Vec<u8>>>,
    encoding: Encoding,
    /// With `-1`: signalled after the first reply.
    first_reply: Option<oneshot::Receiver<()>>,
    close: (CloseCode, String),
    /// Set once our close frame is about to go out.
    we_closed: Arc<AtomicBool>,
}

/// How a line of stdin becomes a message.
#[derive(Debug)]
enum Encoding {
    Text,
    Binary,
    /// A JSON-RPC 2.0 request; the id of the next one.
    JsonRpc(u64),
}

impl Encoding {
    fn of(args: &Args) -> Self {
        match (args.binary, args.jsonrpc) {
            (true, _) => Self::Binary,
            (false, true) => Self::JsonRpc(1),
            (false, false) => Self::Text,
        }
    }

    /// The message for stdin line number `line`; `None` (after a warning) to skip it.
    fn encode(&mut self, chunk: Vec<u8>, line: usize) -> anyhow::Result<Option<Message>> {
        if let Self::Binary = self {
            return Ok(Some(Message::Binary(Bytes::from(chunk))));
        }
        let text = String::from_utf8(chunk)
            .map_err(|_| anyhow::anyhow!("stdin line {line} is not UTF-8 (use -b for binary)"))?;
        let Self::JsonRpc(id) = self else {
            return Ok(Some(Message::text(text)));
        };
        if text.trim().is_empty() {
            return Ok(None);
        }
        match jsonrpc_request(&text, *id) {
            Ok(request) => {
                *id += 1;
                Ok(Some(Message::text(request)))
            }
            Err(why) => {
                eprintln!("wsgate: line {line} not sent: {why}");
                Ok(None)
            }
        }
    }
}

/// `method params` → a JSON-RPC 2.0 request with `id` (websocat's `--jsonrpc`).
fn jsonrpc_request(line: &str, id: u64) -> Result<String, String> {
    let line = line.trim();
    let (method, params) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
    let params = params.trim();
    let params = if params.is_empty() {
        "[]".to_owned()
    } else if params.starts_with('[') || params.starts_with('{') {
        params.to_owned()
    } else {
        format!("[{params}]")
    };
    let params: serde_json::Value =
        serde_json::from_str(&params).map_err(|e| format!("params are not JSON: {e}"))?;
    let method = serde_json::Value::from(method);
    Ok(format!(
        r#"{{"jsonrpc":"2.0","id":{id},"method":{method},"params":{params}}}"#
    ))
}

/// Sends stdin as messages; on EOF or Ctrl-C (or after the first reply with `-1`)
/// closes with the chosen code.
async fn write_loop(mut tx: WriteHalf<wsgate::MaybeTlsStream>, input: Input) -> anyhow::Result<()> {
    let Input {
        mut lines,
        mut encoding,
        first_reply,
        close,
        we_closed,
    } = input;
    let mut line = 0usize;
    let interrupted = crate::shutdown::signal();
    tokio::pin!(interrupted);
    let mut stdin_open = true;
    while stdin_open {
        let chunk = tokio::select! {
            chunk = lines.recv() => chunk,
            () = &mut interrupted => {
                debug!("interrupted, closing");
                break;
            }
        };
        let Some(chunk) = chunk else {
            stdin_open = false;
            continue;
        };
        line += 1;
        let Some(msg) = encoding.encode(chunk?, line)? else {
            continue;
        };
        if tx.send(msg).await.is_err() {
            // The connection ended; the reader reports how.
            return std::future::pending().await;
        }
    }
    if let Some(first_reply) = first_reply.filter(|_| !stdin_open) {
        // With -1: wait for the reply; if the connection ends first, the reader reports.
        if first_reply.await.is_err() {
            return std::future::pending().await;
        }
    }
    debug!("closing with {}", close.0.as_u16());
    we_closed.store(true, Ordering::Relaxed);
    if let Err(err) = tx.close(close.0, &close.1).await {
        debug!("close: {err}");
    }
    Ok(())
}

/// Reads stdin on a plain thread (a blocking read must not hold up the runtime's
/// shutdown): one item per line without its line ending, or all of it with `whole`.
pub(crate) fn spawn_stdin_reader(whole: bool) -> mpsc::Receiver<anyhow::Result<Vec<u8>>> {
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
pub(crate) struct Printer {
    pub(crate) out: Stdout,
    /// Binary as base64 instead of hex.
    pub(crate) base64: bool,
}

impl Printer {
    /// Prints a data message (text as is, binary as hex or base64) and a newline.
    pub(crate) async fn print(&mut self, msg: &Message) -> std::io::Result<()> {
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

/// A close code we may send (1000–1003, 1007–1014, 3000–4999).
fn parse_close_code(s: &str) -> Result<u16, String> {
    let code: u16 = s
        .parse()
        .map_err(|_| format!("{s:?} is not a close code"))?;
    if CloseCode::new(code).is_sendable() {
        Ok(code)
    } else {
        Err(format!("{code} may not be sent in a close frame"))
    }
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
    fn jsonrpc_lines_become_requests() {
        let req = |line, id| jsonrpc_request(line, id).unwrap_or_else(|e| e);
        assert_eq!(
            req("ping", 1),
            r#"{"jsonrpc":"2.0","id":1,"method":"ping","params":[]}"#
        );
        assert_eq!(
            req("add 1, 2", 7),
            r#"{"jsonrpc":"2.0","id":7,"method":"add","params":[1,2]}"#
        );
        assert_eq!(
            req("  sub {\"a\": \"b\"} ", 2),
            r#"{"jsonrpc":"2.0","id":2,"method":"sub","params":{"a":"b"}}"#
        );
        assert!(req("m not json", 1).starts_with("params are not JSON"));
    }

    #[test]
    fn close_codes_must_be_sendable() {
        assert_eq!(parse_close_code("4000"), Ok(4000));
        assert!(parse_close_code("1006").is_err());
        assert!(parse_close_code("999").is_err());
        assert!(parse_close_code("x").is_err());
    }

    #[test]
    fn hex_is_lowercase_pairs() {
        assert_eq!(hex(&[0, 1, 0xfe, 0xff]), "0001feff");
    }
}
