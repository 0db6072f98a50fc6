//! An echo server on raw TCP: `cargo run -p wsgate --example echo_server -- [ADDR]`
//! (default 127.0.0.1:9001). Negotiates permessage-deflate; limits fit Autobahn's
//! fuzzingclient (64 MiB messages).

use wsgate::{Acceptor, Config, Limits};

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:9001".into());
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    eprintln!("echo server on ws://{}", listener.local_addr()?);
    let mut limits = Limits::default();
    limits.max_frame_size(64 << 20).max_message_size(64 << 20);
    let mut config = Config::default();
    config.limits(limits);
    let mut acceptor = Acceptor::new();
    acceptor.config(config);
    loop {
        let (tcp, peer) = listener.accept().await?;
        let _ = tcp.set_nodelay(true);
        let acceptor = acceptor.clone();
        tokio::spawn(async move {
            let mut ws = match acceptor.accept(tcp).await {
                Ok(ws) => ws,
                Err(e) => return eprintln!("{peer}: {e}"),
            };
            while let Some(msg) = ws.recv().await {
                match msg {
                    Ok(msg) if msg.is_data() => {
                        if ws.send(msg).await.is_err() {
                            break;
                        }
                    }
                    Ok(_) => {}
                    Err(e) => {
                        eprintln!("{peer}: {e}");
                        break;
                    }
                }
            }
        });
    }
}
