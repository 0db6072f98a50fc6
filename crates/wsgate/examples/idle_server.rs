//! The server half of the idle-memory measurement (`scripts/idle-memory`): an echo
//! server with the same shape as `wsgate echo` (a task per connection, `Acceptor::accept`,
//! then `recv` → `send` until the connection ends), loopback only.
//!
//! ```text
//! cargo run --release -p wsgate --example idle_server -- \
//!     [--listen 127.0.0.1:0] [--deflate] [--server-no-context-takeover] \
//!     [--client-no-context-takeover] [--hold-secs 600]
//! ```
//!
//! Prints `listening on ADDR` to stderr once bound, and the size of the per-connection
//! future (the tokio task's payload). Exits after `--hold-secs`. On `SIGUSR1` it prints
//! the live heap allocations by size (the allocator is the system one, counted), which
//! is how `docs/memory.md` breaks the per-connection cost down.

use std::alloc::{GlobalAlloc, Layout, System};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicIsize, Ordering::Relaxed};
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use wsgate::{Acceptor, Config, DeflateConfig};

#[derive(Debug)]
struct Args {
    listen: SocketAddr,
    deflate: bool,
    server_no_context_takeover: bool,
    client_no_context_takeover: bool,
    hold: Duration,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = parse_args()?;
    let listener = TcpListener::bind(args.listen).await?;
    let acceptor = acceptor(&args);
    eprintln!("listening on {}", listener.local_addr()?);
    print_sizes(&acceptor);
    tokio::spawn(report_on_signal());
    let accept_loop = async {
        loop {
            match listener.accept().await {
                Ok((tcp, _)) => {
                    tokio::spawn(serve(acceptor.clone(), Some(tcp)));
                }
                Err(e) => {
                    eprintln!("accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
    };
    let _ = tokio::time::timeout(args.hold, accept_loop).await;
    // Exit with the connections still open: no teardown of thousands of tasks, and a
    // heap profiler (heaptrack) reports what each connection held as "leaked".
    std::process::exit(0)
}

/// One connection: handshake, then echo data messages until it ends. `None` only
/// builds the future so that its size can be printed.
async fn serve(acceptor: Acceptor, tcp: Option<TcpStream>) {
    let Some(tcp) = tcp else { return };
    let _ = tcp.set_nodelay(true);
    let Ok(mut ws) = acceptor.accept(tcp).await else {
        return;
    };
    while let Some(Ok(msg)) = ws.recv().await {
        if msg.is_data() && ws.send(msg).await.is_err() {
            break;
        }
    }
}

fn print_sizes(acceptor: &Acceptor) {
    eprintln!(
        "per-connection future: {} bytes (WebSocket<TcpStream>: {}, Acceptor: {}, \
         accept future: {})",
        std::mem::size_of_val(&serve(acceptor.clone(), None)),
        std::mem::size_of::<wsgate::WebSocket<TcpStream>>(),
        std::mem::size_of::<Acceptor>(),
        accept_future_size(acceptor),
    );
}

fn accept_future_size(acceptor: &Acceptor) -> usize {
    fn size_of_some<F>(_: &Option<F>) -> usize {
        std::mem::size_of::<F>()
    }
    size_of_some(&None::<TcpStream>.map(|tcp| acceptor.accept(tcp)))
}

/// Prints the live heap allocations on each SIGUSR1.
async fn report_on_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let Ok(mut usr1) = signal(SignalKind::user_defined1()) else {
        return;
    };
    while usr1.recv().await.is_some() {
        ALLOC.report();
    }
}

fn acceptor(args: &Args) -> Acceptor {
    let mut config = Config::default();
    // Compress every message, as `wsgate echo` does, so the echo creates a compressor.
    config.compression_threshold(0);
    let mut acceptor = Acceptor::new();
    acceptor.config(config);
    let deflate = args.deflate.then(|| {
        let mut d = DeflateConfig::default();
        d.server_no_context_takeover(args.server_no_context_takeover)
            .client_no_context_takeover(args.client_no_context_takeover);
        d
    });
    acceptor.deflate(deflate);
    acceptor
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        deflate: false,
        server_no_context_takeover: false,
        client_no_context_takeover: false,
        hold: Duration::from_secs(600),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--listen" => args.listen = value()?.parse().map_err(|e| format!("--listen: {e}"))?,
            "--deflate" => args.deflate = true,
            "--server-no-context-takeover" => args.server_no_context_takeover = true,
            "--client-no-context-takeover" => args.client_no_context_takeover = true,
            "--hold-secs" => {
                let secs = value()?.parse().map_err(|e| format!("--hold-secs: {e}"))?;
                args.hold = Duration::from_secs(secs);
            }
            _ => return Err(format!("unknown flag {flag}")),
        }
    }
    if !args.listen.ip().is_loopback() {
        return Err("--listen must be a loopback address".into());
    }
    Ok(args)
}

/// The system allocator, counting live allocations by requested size (16-byte classes).
struct Counting {
    live: [AtomicIsize; CLASSES + 1],
    bytes: AtomicIsize,
    aligned: AtomicIsize,
}

#[global_allocator]
static ALLOC: Counting = Counting {
    live: [const { AtomicIsize::new(0) }; CLASSES + 1],
    bytes: AtomicIsize::new(0),
    aligned: AtomicIsize::new(0),
};

const CLASSES: usize = 4096;

impl Counting {
    fn count(&self, layout: Layout, sign: isize) {
        let class = (layout.size() / 16).min(CLASSES);
        self.live[class].fetch_add(sign, Relaxed);
        self.bytes.fetch_add(sign * layout.size() as isize, Relaxed);
        if layout.align() > 16 {
            self.aligned.fetch_add(sign, Relaxed);
        }
    }

    fn report(&self) {
        eprintln!(
            "live heap: {} bytes requested, {} allocations with align > 16",
            self.bytes.load(Relaxed),
            self.aligned.load(Relaxed)
        );
        for (class, n) in self.live.iter().enumerate() {
            let n = n.load(Relaxed);
            if n >= 100 && class == CLASSES {
                eprintln!("  {:>6}..       bytes: {n} live", class * 16);
            } else if n >= 100 {
                eprintln!(
                    "  {:>6}..{:<6} bytes: {n} live",
                    class * 16,
                    class * 16 + 15
                );
            }
        }
    }
}

// SAFETY: every call is forwarded to `System` unchanged; only counters are updated.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        self.count(layout, 1);
        // SAFETY: the caller's contract is passed on.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        self.count(layout, -1);
        // SAFETY: the caller's contract is passed on.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        self.count(layout, -1);
        self.count(
            Layout::from_size_align(new_size, layout.align()).unwrap_or(layout),
            1,
        );
        // SAFETY: the caller's contract is passed on.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}
