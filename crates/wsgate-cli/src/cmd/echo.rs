//! `wsgate echo`: a conformance echo server on raw TCP.
//!
//! Every connection, whatever its path, gets the WebSocket handshake (permessage-deflate
//! when offered) and every text or binary message is sent back unchanged. Limits are
//! high (64 MiB messages, 16 MiB frames) because the Autobahn suite sends large
//! messages. One task per connection.

use std::process::ExitCode;
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
    /// With permessage-deflate, compress messages even when that makes them larger
    /// (random or already compressed data). By default they are sent uncompressed;
    /// kosoku 0.1.0 errors on such uncompressed text echoes in sections 12 and 13.
    #[arg(long)]
    always_compress: bool,
}

/// Runs the server until Ctrl-C or SIGTERM.
pub(crate) async fn run(args: Args) -> anyhow::Result<ExitCode> {
    let listener = super::bind(&args.listen).await?;
    let acceptor = acceptor(&args);
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((tcp, peer)) => {
                    debug!(%peer, "accepted");
                    // The task is this future and nothing else: no wrapper holding a
                    // second copy of its arguments (docs/memory.md).
                    tokio::spawn(serve_connection(acceptor.clone(), tcp));
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
        .compression_threshold(args.compression_threshold)
        .always_compress(args.always_compress);
    let mut acceptor = Acceptor::new();
    acceptor.config(config);
    acceptor.deflate((!args.no_compress).then(DeflateConfig::default));
    acceptor
}

/// One connection's task. It holds only what an idle connection needs: `Acceptor`
/// clones are pointers to shared settings, and the peer's address is looked up for the
/// log lines that want it instead of being kept (docs/memory.md).
async fn serve_connection(acceptor: Acceptor, tcp: TcpStream) {
    let _ = tcp.set_nodelay(true);
    let mut ws = match acceptor.accept(tcp).await {
        Ok(ws) => ws,
        Err(err) => {
            debug!("handshake failed: {err}");
            return;
        }
    };
    debug!(peer = ?ws.get_ref().peer_addr(), "connected");
    // By reference: an async fn that takes the socket by value keeps the argument and
    // its moved copy in separate slots of its state (docs/memory.md).
    echo(&mut ws).await;
}

/// Sends every data message back until the connection ends. Pings are answered and
/// the close handshake is completed by the driver.
async fn echo(ws: &mut WebSocket<TcpStream>) {
    loop {
        let msg = match ws.recv().await {
            Some(Ok(msg)) => msg,
            Some(Err(err)) => {
                debug!(peer = ?ws.get_ref().peer_addr(), "connection ended: {err}");
                return;
            }
            None => break,
        };
        if !msg.is_data() {
            continue;
        }
        if let Err(err) = ws.send(msg).await {
            debug!(peer = ?ws.get_ref().peer_addr(), "send failed: {err}");
            return;
        }
    }
    debug!(peer = ?ws.get_ref().peer_addr(), "disconnected");
}

const MAX_MESSAGE_SIZE: usize = 64 << 20;
const MAX_FRAME_SIZE: usize = 16 << 20;
#[cfg(test)]
mod tests {
    /// The task of an idle connection fits tokio's 640-byte task cell (docs/memory.md):
    /// a larger future costs 128 bytes more per connection.
    #[cfg(target_pointer_width = "64")]
    #[tokio::test]
    async fn the_connection_task_is_small() -> std::io::Result<()> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let _client = tokio::net::TcpStream::connect(listener.local_addr()?).await?;
        let (tcp, _) = listener.accept().await?;
        let task = super::serve_connection(wsgate::Acceptor::new(), tcp);
        let size = std::mem::size_of_val(&task);
        assert!(size <= 528, "the connection future grew to {size} bytes");
        Ok(())
    }
}
