//! `wsgate echo`: a conformance echo server on raw TCP.
//!
//! Every connection, whatever its path, gets the WebSocket handshake (permessage-deflate
//! when offered) and every text or binary message is sent back unchanged. Limits are
//! high (64 MiB messages, 16 MiB frames) because the Autobahn suite sends large
//! messages. One task per connection.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpStream;
use tracing::{debug, info, warn};
use wsgate::{Acceptor, Config, DeflateConfig, Limits, WebSocket};

use crate::shutdown;

/// Arguments of `wsgate echo`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Address to listen on (port 0 picks a free port; the real one is printed).
    #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:9001")]
    listen: String,
    /// Refuse permessage-deflate.
    #[arg(long)]
    no_compress: bool,
    /// With permessage-deflate, send messages shorter than this uncompressed. The
    /// default, 0, compresses every message: that exercises deflate on every case, and
    /// kosoku 0.1.0 mishandles uncompressed text messages on a deflate connection
    /// (cases 12.x.1 and 13.x.1 end in ERROR "Strings must be encoded before hashing").
    #[arg(long, value_name = "BYTES", default_value_t = 0)]
    compression_threshold: usize,
}

/// Runs the server until Ctrl-C or SIGTERM.
pub(crate) async fn run(args: Args) -> anyhow::Result<ExitCode> {
    let listener = super::bind(&args.listen).await?;
    // Shared, not cloned: each connection task then holds 8 bytes, not the whole acceptor.
    let acceptor = Arc::new(acceptor(&args));
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((tcp, peer)) => {
                    let acceptor = Arc::clone(&acceptor);
                    tokio::spawn(async move { serve_connection(&acceptor, tcp, peer).await });
                }
                Err(err) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    warn!("accept failed: {err}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            },
            () = shutdown::signal() => break,
        }
    }
    info!("stopped");
    Ok(ExitCode::SUCCESS)
}

fn acceptor(args: &Args) -> Acceptor {
    let mut limits = Limits::default();
    limits
        .max_message_size(MAX_MESSAGE_SIZE)
        .max_frame_size(MAX_FRAME_SIZE);
    let mut config = Config::default();
    config
        .limits(limits)
        .compression_threshold(args.compression_threshold);
    let mut acceptor = Acceptor::new();
    acceptor.config(config);
    acceptor.deflate((!args.no_compress).then(DeflateConfig::default));
    acceptor
}

async fn serve_connection(acceptor: &Acceptor, tcp: TcpStream, peer: SocketAddr) {
    let _ = tcp.set_nodelay(true);
    match acceptor.accept(tcp).await {
        Ok(mut ws) => {
            debug!(%peer, "connected");
            // By reference: an async fn that takes the socket by value keeps the argument
            // and its moved copy in separate slots of its state (~0.5 KiB more per idle
            // connection, docs/memory.md).
            echo(&mut ws, peer).await;
        }
        Err(err) => debug!(%peer, "handshake failed: {err}"),
    }
}

/// Sends every data message back until the connection ends. Pings are answered and
/// the close handshake is completed by the driver.
pub(crate) async fn echo<S>(ws: &mut WebSocket<S>, peer: SocketAddr)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    while let Some(event) = ws.recv().await {
        match event {
            Ok(msg) if msg.is_data() => {
                if let Err(err) = ws.send(msg).await {
                    debug!(%peer, "send failed: {err}");
                    break;
                }
            }
            Ok(_) => {}
            Err(err) => {
                debug!(%peer, "connection ended: {err}");
                break;
            }
        }
    }
    debug!(%peer, "disconnected");
}

const MAX_MESSAGE_SIZE: usize = 64 << 20;
const MAX_FRAME_SIZE: usize = 16 << 20;
