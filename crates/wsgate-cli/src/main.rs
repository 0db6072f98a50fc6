//! The `wsgate` command: a WebSocket server with a web UI (`serve`), a conformance echo
//! server (`echo`), a command-line client (`connect`) and server (`listen`), and a load
//! generator (`bench`).
//!
//! ```text
//!   main ─► run ─► Cli (clap) ─► cmd::{serve, echo, connect, listen, bench}::run ─► wsgate (tokio)
//! ```
//!
//! `main` maps the outcome to the exit status: a broken pipe on stdout is success, any
//! other error is printed as `wsgate: ...` with status 1; `connect` has its own statuses
//! for connection, handshake and close failures (see `wsgate connect --help`), and
//! `bench` one for a run with errors.

mod cmd;
mod logging;
mod shutdown;
mod web;

use clap::{ArgAction, Parser, Subcommand};
use std::io;
use std::process::ExitCode;

/// mimalloc instead of glibc's malloc: it packs tokio's 128-byte-aligned task cells and
/// socket registrations without the padding glibc's `memalign` leaves around each.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// WebSocket server and client.
#[derive(Debug, Parser)]
#[command(name = "wsgate", version, propagate_version = true)]
struct Cli {
    /// More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides.
    #[arg(short, long, action = ArgAction::Count, global = true)]
    verbose: u8,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the web pages and the WebSocket endpoints on one port.
    Serve(cmd::serve::Args),
    /// Run a WebSocket echo server on raw TCP (for Autobahn and interop tests).
    Echo(cmd::echo::Args),
    /// Connect to a WebSocket: stdin lines are sent, messages are printed.
    Connect(cmd::connect::Args),
    /// Accept WebSocket clients: their messages are printed, stdin lines are sent to them.
    Listen(cmd::listen::Args),
    /// Load-test a WebSocket server: echo throughput, handshake rate, idle memory, fan-out.
    Bench(cmd::bench::Args),
}

fn main() -> ExitCode {
    match run() {
        Ok(code) => code,
        Err(err) if is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("wsgate: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> anyhow::Result<ExitCode> {
    let cli = Cli::parse();
    let quiet_by_default = matches!(
        cli.command,
        Command::Connect(_) | Command::Listen(_) | Command::Bench(_)
    );
    logging::init(cli.verbose, quiet_by_default);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        match cli.command {
            Command::Serve(args) => cmd::serve::run(args).await,
            Command::Echo(args) => cmd::echo::run(args).await,
            Command::Connect(args) => cmd::connect::run(args).await,
            Command::Listen(args) => cmd::listen::run(args).await,
            Command::Bench(args) => cmd::bench::run(args).await,
        }
    })
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain()
        .filter_map(|e| e.downcast_ref::<io::Error>())
        .any(|e| e.kind() == io::ErrorKind::BrokenPipe)
}
