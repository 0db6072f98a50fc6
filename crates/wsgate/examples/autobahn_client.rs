//! Runs the Autobahn|Testsuite client cases against a `wstest -m fuzzingserver`:
//!
//! ```text
//! cargo run --release -p wsgate --example autobahn_client -- ws://127.0.0.1:9001 [--agent NAME] [--deflate]
//! ```

use std::time::Duration;
use wsgate::{Config, Connector, DeflateConfig, Limits, Message, ProxyMode};

struct Args {
    base: String,
    agent: String,
    deflate: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut args = std::env::args().skip(1);
    let mut parsed = Args {
        base: "ws://127.0.0.1:9001".into(),
        agent: "wsgate".into(),
        deflate: false,
    };
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--agent" => parsed.agent = args.next().ok_or("--agent needs a value")?,
            "--deflate" => parsed.deflate = true,
            s if s.starts_with("ws") => parsed.base = s.trim_end_matches('/').to_owned(),
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(parsed)
}

fn connector(deflate: bool) -> Connector {
    let mut limits = Limits::default();
    limits.max_frame_size(64 << 20).max_message_size(64 << 20);
    let mut config = Config::default();
    // Compress every message, however small and however incompressible: kosoku's case
    // 12/13 checker hashes an uncompressed text echo as `str` and errors ("Strings must
    // be encoded before hashing"), so the 64-byte default threshold would turn its
    // 16-byte cases into ERROR, and sending random text uncompressed (the default) its
    // 12.2/12.5 cases.
    config
        .limits(limits)
        .close_timeout(Duration::from_secs(5))
        .compression_threshold(0)
        .always_compress(true);
    let mut c = Connector::new();
    c.config(config).proxy(ProxyMode::None);
    if deflate {
        // Offer what Autobahn's own client offers: `client_no_context_takeover` (a
        // promise we keep: our compressor resets per message) and `client_max_window_bits`.
        // Section 13's server-side accept functions require both before they accept.
        let mut d = DeflateConfig::default();
        d.client_no_context_takeover(true);
        c.deflate(Some(d));
    }
    c
}

async fn case_count(c: &Connector, base: &str) -> Result<u32, Box<dyn std::error::Error>> {
    let (mut ws, _) = c.connect(&format!("{base}/getCaseCount")).await?;
    let mut count = None;
    while let Some(msg) = ws.recv().await {
        if let Message::Text(t) = msg? {
            count = Some(t.as_str().trim().parse()?);
        }
    }
    count.ok_or_else(|| "no case count".into())
}

/// Echoes every data message until the server closes.
async fn run_case(c: &Connector, url: &str) -> Result<(), wsgate::Error> {
    let (mut ws, _) = c
        .connect(url)
        .await
        .map_err(|e| wsgate::Error::Io(std::io::Error::other(e.to_string())))?;
    while let Some(msg) = ws.recv().await {
        let msg = msg?;
        if msg.is_data() {
            ws.send(msg).await?;
        }
    }
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = parse_args()?;
    let c = connector(args.deflate);
    let total = case_count(&c, &args.base).await?;
    eprintln!("{total} cases, agent {}", args.agent);
    for case in 1..=total {
        let url = format!("{}/runCase?case={case}&agent={}", args.base, args.agent);
        match run_case(&c, &url).await {
            Ok(()) => eprintln!("case {case}/{total}: done"),
            Err(e) => eprintln!("case {case}/{total}: {e}"),
        }
    }
    let url = format!("{}/updateReports?agent={}", args.base, args.agent);
    let (mut ws, _) = c.connect(&url).await?;
    while ws.recv().await.is_some() {}
    eprintln!("reports updated");
    Ok(())
}
