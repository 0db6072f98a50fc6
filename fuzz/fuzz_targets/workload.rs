//! A random workload over the async crate: a client and a server `WebSocket` (with or
//! without permessage-deflate, small limits) joined by an in-memory transport whose
//! read/write sizes and `Pending` returns come from the input. Steps from the input send
//! text, binary, pings, prepared and streamed messages, receive (whole or streamed),
//! flush, close, split, move the paused clock, and poll each future a bounded number of
//! times before dropping it (cancellation), sometimes on both sides at once.
//!
//! Invariants: no panic; every data message whose send completed arrives exactly once,
//! in order (payloads carry a sequence header and are compared whole), unless the
//! connection failed or the receiver discarded input by closing; nothing arrives that was
//! not sent; a send never fails because of a streamed message that was already ended;
//! a protocol error needs a cause (an oversized message, a timeout after the clock
//! moved); the heap stays under [`HEAP_LIMIT`] above where it started; every loop is
//! bounded, so the run ends.
#![no_main]

#[path = "workload/model.rs"]
mod model;
#[path = "workload/transport.rs"]
mod transport;

use bytes::Bytes;
use libfuzzer_sys::arbitrary::{Result as ArbResult, Unstructured};
use libfuzzer_sys::fuzz_target;
use model::Flow;
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::{Cell, RefCell};
use std::future::{Future, poll_fn};
use std::pin::pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::Poll;
use std::time::Duration;
use tokio::time::Instant;
use transport::End;
use wsgate::proto::PerMessageDeflate;
use wsgate::{
    CloseCode, Config, DataKind, Error, Limits, Message, PreparedMessage, ProtocolError,
    ReadHalf, Role, SendError, WebSocket, WriteHalf,
};

/// Largest message either side accepts.
const MAX_MESSAGE: usize = 16 << 10;
/// Largest frame either side accepts: an eighth more than a message, because a streamed
/// message that does not compress comes out of deflate (level 1: static Huffman codes)
/// up to 9/8 as long, and is still sent compressed (whole messages go out raw then).
const MAX_FRAME: usize = MAX_MESSAGE + MAX_MESSAGE / 8 + 64;
/// Most steps per input (each also consumes input bytes).
const MAX_STEPS: usize = 400;
/// Heap growth allowed during one input. Worst case by construction: two transmit
/// queues (write buffer ≤ 8 KiB + one message ≤ 20 KiB), two pipes (≤ 4 KiB), two
/// receive buffers and partial messages (≤ 2 × 16 KiB), split queues (64 commands + 32
/// events of ≤ 20 KiB per side ≈ 2 × 1.9 MiB), the model's copies of what is in flight,
/// four zlib contexts (≈ 4 × 300 KiB), and the runtime.
const HEAP_LIMIT: usize = 12 << 20;

fuzz_target!(|data: &[u8]| {
    let _ = run(data);
});

fn run(data: &[u8]) -> ArbResult<()> {
    let mut u = Unstructured::new(data);
    let knobs: u8 = u.arbitrary()?;
    let sizes: u8 = u.arbitrary()?;
    let tape_len = usize::from(u.arbitrary::<u8>()? & 63);
    let tape = u.bytes(tape_len)?;
    let base = LIVE.load(Ordering::Relaxed);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .expect("runtime");
    rt.block_on(async {
        let mut w = Workload::new(knobs, sizes, tape, base);
        let mut steps = 0;
        while steps < MAX_STEPS && !u.is_empty() {
            steps += 1;
            if w.step(&mut u).await.is_err() {
                break;
            }
            w.check_heap();
        }
        w.drain().await;
        w.check_heap();
    });
    Ok(())
}

/// One side of the connection.
enum Side {
    Whole(WebSocket<End>),
    Split {
        read: ReadHalf<End>,
        write: WriteHalf<End>,
    },
    Moving,
}

/// What the steps share: the expected messages towards each side and what happened.
struct Ctx {
    /// `flows[i]`: messages on their way to side `i` (0 = client, 1 = server).
    flows: [RefCell<Flow>; 2],
    errored: [Cell<bool>; 2],
    ended: [Cell<bool>; 2],
    start: Instant,
    seq: [Cell<u32>; 2],
}

struct Workload {
    ctx: Ctx,
    sides: [Side; 2],
    probes: [transport::Probe; 2],
    base: usize,
}

enum Op {
    Send { kind: DataKind, data: Bytes, how: u8 },
    Ping(Bytes),
    Stream { kind: DataKind, chunks: Vec<Bytes>, finish: bool, retry: u8 },
    Recv,
    RecvStream,
    Flush,
    Close(u16),
    Split,
    Advance(u64),
    Idle,
}

impl std::fmt::Debug for Op {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let head = |d: &Bytes| String::from_utf8_lossy(&d[..d.len().min(8)]).into_owned();
        match self {
            Op::Send { kind, data, how } => write!(f, "Send({kind:?}, {} {}, how {how})", head(data), data.len()),
            Op::Ping(p) => write!(f, "Ping({})", p.len()),
            Op::Stream { kind, chunks, finish, retry } => {
                let lens: Vec<usize> = chunks.iter().map(Bytes::len).collect();
                let first = chunks.first().map(head).unwrap_or_default();
                write!(f, "Stream({kind:?}, {first} {lens:?}, finish {finish}, retry {retry})")
            }
            Op::Recv => f.write_str("Recv"),
            Op::RecvStream => f.write_str("RecvStream"),
            Op::Flush => f.write_str("Flush"),
            Op::Close(c) => write!(f, "Close({c})"),
            Op::Split => f.write_str("Split"),
            Op::Advance(ms) => write!(f, "Advance({ms} ms)"),
            Op::Idle => f.write_str("Idle"),
        }
    }
}

const CLOSE_CODES: [u16; 8] = [1000, 1001, 1008, 1011, 3000, 4999, 1005, 999];

impl Workload {
    fn new(knobs: u8, sizes: u8, tape: &[u8], base: usize) -> Self {
        let mut limits = Limits::default();
        limits.max_frame_size(MAX_FRAME).max_message_size(MAX_MESSAGE);
        let mut config = Config::default();
        config
            .limits(limits)
            .close_timeout(Duration::from_secs(1))
            .compression_threshold(if knobs & 32 != 0 { 0 } else { 48 })
            .compression_level(if knobs & 128 != 0 { 6 } else { 1 })
            .stream_chunk_size(if knobs & 64 != 0 { 7 } else { 1024 });
        if knobs & 16 != 0 {
            config
                .ping_interval(Some(Duration::from_millis(300)))
                .pong_timeout(Duration::from_millis(500));
        }
        let bits = if knobs & 8 != 0 { 9 } else { 15 };
        let deflate = (knobs & 1 != 0).then_some(PerMessageDeflate {
            server_no_context_takeover: knobs & 2 != 0,
            client_no_context_takeover: knobs & 4 != 0,
            server_max_window_bits: bits,
            client_max_window_bits: 24 - bits,
        });
        let cap = [64, 300, 1500, 4096][usize::from(sizes >> 6)];
        let (c, s) = transport::pair(tape, [cap, cap]);
        let probes = [c.probe(), s.probe()];
        let mut client = WebSocket::from_raw(c, Role::Client, &config, deflate);
        let mut server = WebSocket::from_raw(s, Role::Server, &config, deflate);
        client.set_write_buffer_size(64 << (sizes & 7));
        server.set_write_buffer_size(64 << ((sizes >> 3) & 7));
        Self {
            ctx: Ctx {
                flows: Default::default(),
                errored: Default::default(),
                ended: Default::default(),
                start: Instant::now(),
                seq: Default::default(),
            },
            sides: [Side::Whole(client), Side::Whole(server)],
            probes,
            base,
        }
    }

    /// One step: an operation on one side, maybe one on the other at the same time,
    /// each polled at most the step's budget, then dropped.
    async fn step(&mut self, u: &mut Unstructured<'_>) -> ArbResult<()> {
        let me = usize::from(u.arbitrary::<bool>()?);
        let op = self.op(u, me)?;
        let peer_op = if u.ratio(1, 2)? { self.op(u, 1 - me)? } else { Op::Idle };
        let polls = match u.int_in_range(0..=7)? {
            0 => 0,
            1 | 2 => u.int_in_range(1..=16)?,
            3..=5 => u.int_in_range(17..=256)?,
            _ => 3000,
        };
        if trace() {
            eprintln!("step: side {me} {op:?} / peer {peer_op:?}, {polls} polls");
        }
        let mut ops = [Op::Idle, Op::Idle];
        ops[me] = op;
        ops[1 - me] = peer_op;
        for (i, op) in ops.iter().enumerate() {
            match op {
                Op::Split => self.split(i),
                Op::Advance(ms) => tokio::time::advance(Duration::from_millis(*ms)).await,
                _ => {}
            }
        }
        let [a, b] = ops;
        let ctx = &self.ctx;
        let [client, server] = &mut self.sides;
        let fa = run_op(ctx, client, 0, a);
        let fb = run_op(ctx, server, 1, b);
        drive(fa, fb, polls).await;
        Ok(())
    }

    fn op(&self, u: &mut Unstructured<'_>, me: usize) -> ArbResult<Op> {
        let kind = if u.arbitrary()? { DataKind::Text } else { DataKind::Binary };
        Ok(match u.int_in_range(0..=15)? {
            0..=2 => Op::Send {
                kind,
                data: self.payload(u, me, kind)?,
                how: u.arbitrary()?,
            },
            3 => {
                let len = if u.ratio(1, 16)? { 126 } else { u.int_in_range(0..=125)? };
                Op::Ping(Bytes::from(vec![b'p'; len]))
            }
            4 | 5 => {
                let data = self.payload(u, me, kind)?;
                let mut cuts = Vec::new();
                for _ in 0..u.int_in_range(0..=5)? {
                    cuts.push(u.int_in_range(0..=data.len())?);
                }
                cuts.sort_unstable();
                let mut chunks = Vec::new();
                let mut at = 0;
                for cut in cuts.into_iter().chain([data.len()]) {
                    chunks.push(data.slice(at..cut));
                    at = cut;
                }
                Op::Stream {
                    kind,
                    chunks,
                    finish: u.ratio(3, 4)?,
                    retry: u.int_in_range(0..=7)?,
                }
            }
            6..=8 => Op::Recv,
            9 | 10 => Op::RecvStream,
            11 => Op::Flush,
            12 => Op::Close(CLOSE_CODES[u.choose_index(CLOSE_CODES.len())?]),
            13 => Op::Split,
            14 => Op::Advance(u.int_in_range(1..=1500)?),
            _ => Op::Idle,
        })
    }

    /// `c000012|` or `s000012|` (side and sequence number), then filler up to a length
    /// chosen from the input: mostly small, sometimes near the limit, rarely over it.
    fn payload(&self, u: &mut Unstructured<'_>, me: usize, kind: DataKind) -> ArbResult<Bytes> {
        let len = match u.int_in_range(0..=63)? {
            0..=39 => u.int_in_range(0..=200)?,
            40..=55 => u.int_in_range(201..=2048)?,
            56..=62 => u.int_in_range(2049..=MAX_MESSAGE - 8)?,
            _ => u.int_in_range(MAX_MESSAGE + 1..=MAX_MESSAGE + 4096)?,
        };
        let seed: u8 = u.arbitrary()?;
        let seq = self.ctx.seq[me].get();
        self.ctx.seq[me].set(seq + 1);
        let mut out = format!("{}{seq:06}|", ['c', 's'][me]).into_bytes();
        let mut x = u32::from(seed) | 1;
        while out.len() < len {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            let r = (x >> 16) as u8;
            match kind {
                DataKind::Text if seed & 1 != 0 && r % 11 == 0 => out.extend("é".as_bytes()),
                DataKind::Text if seed & 2 != 0 && r % 17 == 0 => out.extend("€".as_bytes()),
                DataKind::Text if seed & 4 != 0 && r % 29 == 0 => out.extend("𝄞".as_bytes()),
                DataKind::Text => out.push(b'a' + r % (1 + seed % 26)),
                DataKind::Binary if seed & 1 != 0 => out.push(r),
                DataKind::Binary => out.push(seed ^ (out.len() as u8 & 3)),
            }
        }
        Ok(Bytes::from(out))
    }

    /// Splits a whole side; a split side stays as it is.
    fn split(&mut self, i: usize) {
        self.sides[i] = match std::mem::replace(&mut self.sides[i], Side::Moving) {
            Side::Whole(ws) => {
                let (read, write) = ws.split();
                Side::Split { read, write }
            }
            other => other,
        };
    }

    /// Both sides receive until nothing is owed; then whatever is still owed to a side
    /// that is open, did not fail and did not discard was lost or is stuck. Not a side
    /// whose own outbound pipe is full: the driver stops reading while its write queue is
    /// over the write buffer size and cannot drain, so two sides that both have more
    /// queued than the pipes hold (or one whose peer failed and stopped reading) stall.
    async fn drain(&mut self) {
        for _ in 0..64 {
            let owed = |i: usize| self.ctx.flows[i].borrow().owed();
            if owed(0) == 0 && owed(1) == 0 {
                return;
            }
            let ctx = &self.ctx;
            let [client, server] = &mut self.sides;
            drive(run_op(ctx, client, 0, Op::Recv), run_op(ctx, server, 1, Op::Recv), 400).await;
        }
        for i in 0..2 {
            let flow = self.ctx.flows[i].borrow();
            let open = !self.ctx.errored[i].get() && !self.ctx.ended[i].get() && !flow.lossy;
            let open = open && !self.probes[i].outbound_full();
            assert!(
                !open || flow.owed() == 0,
                "{} messages stuck on their way to the {}",
                flow.owed(),
                ["client", "server"][i]
            );
        }
    }

    fn check_heap(&self) {
        let grown = LIVE.load(Ordering::Relaxed).saturating_sub(self.base);
        PEAK.fetch_max(grown, Ordering::Relaxed);
        assert!(grown <= HEAP_LIMIT, "heap grew by {grown} bytes");
    }
}

impl Side {
    /// The op's side is mid-split only inside `Workload::split`.
    fn is_moving(&self) -> bool {
        matches!(self, Side::Moving)
    }
}

/// Polls both futures (each until done) at most `polls + 1` times, then drops them.
async fn drive(a: impl Future<Output = ()>, b: impl Future<Output = ()>, polls: u32) {
    let (mut a, mut b) = (Some(pin!(a)), Some(pin!(b)));
    let mut left = polls;
    poll_fn(|cx| {
        if a.as_mut().is_some_and(|f| f.as_mut().poll(cx).is_ready()) {
            a = None;
        }
        if b.as_mut().is_some_and(|f| f.as_mut().poll(cx).is_ready()) {
            b = None;
        }
        if (a.is_none() && b.is_none()) || left == 0 {
            return Poll::Ready(());
        }
        left -= 1;
        cx.waker().wake_by_ref();
        Poll::Pending
    })
    .await
}

/// Polls `fut` at most `polls + 1` times; `None` if it was dropped unfinished.
async fn poll_some<F: Future>(fut: F, polls: u8) -> Option<F::Output> {
    let mut fut = pin!(fut);
    let mut left = polls;
    poll_fn(|cx| match fut.as_mut().poll(cx) {
        Poll::Ready(v) => Poll::Ready(Some(v)),
        Poll::Pending if left == 0 => Poll::Ready(None),
        Poll::Pending => {
            left -= 1;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    })
    .await
}

async fn run_op(ctx: &Ctx, side: &mut Side, me: usize, op: Op) {
    debug_assert!(!side.is_moving());
    match side {
        Side::Whole(ws) => whole_op(ctx, ws, me, op).await,
        Side::Split { read, write } => split_op(ctx, read, write, me, op).await,
        Side::Moving => {}
    }
}

async fn whole_op(ctx: &Ctx, ws: &mut WebSocket<End>, me: usize, op: Op) {
    let to_peer = &ctx.flows[1 - me];
    match op {
        Op::Send { kind, data, how } => {
            let msg = message(kind, &data);
            to_peer.borrow_mut().oversize |= data.len() > MAX_MESSAGE;
            let res = match how % 3 {
                0 => ws.send(msg).await,
                1 => ws.feed(msg).await,
                _ => ws.send_prepared(&PreparedMessage::new(msg)).await,
            };
            match res {
                Ok(()) => to_peer.borrow_mut().push(kind, &data, false),
                Err(e) => send_failed(ctx, me, &e),
            }
        }
        Op::Ping(p) => {
            let res = ws.send(Message::Ping(p.clone())).await;
            ping_result(ctx, me, p.len(), res);
        }
        Op::Stream { kind, chunks, finish, retry } => {
            to_peer.borrow_mut().oversize |= chunks.iter().map(Bytes::len).sum::<usize>() > MAX_MESSAGE;
            let mut w = ws.send_stream(kind).await;
            let id = to_peer.borrow_mut().open_stream(kind);
            for chunk in chunks {
                // Cancel and retry the write until it completes; yield in between so
                // that the step's poll budget still bounds the loop.
                let res = loop {
                    if let Some(res) = poll_some(w.write(chunk.clone()), retry).await {
                        break res;
                    }
                    tokio::task::yield_now().await;
                };
                match res {
                    Ok(()) => to_peer.borrow_mut().append(id, &chunk),
                    Err(e) => return send_failed(ctx, me, &e),
                }
            }
            if finish {
                match w.finish().await {
                    Ok(()) => to_peer.borrow_mut().finished(id),
                    Err(e) => send_failed(ctx, me, &e),
                }
            }
        }
        Op::Recv => {
            let item = ws.recv().await;
            received(ctx, me, item);
        }
        Op::RecvStream => recv_stream(ctx, ws, me).await,
        Op::Flush => {
            let _ = ws.flush().await;
        }
        Op::Close(code) => {
            let code = CloseCode::new(code);
            ctx.flows[me].borrow_mut().lossy |= code.is_sendable();
            match ws.close(code, "bye").await {
                Err(Error::Send(SendError::InvalidCloseCode(_))) => assert!(!code.is_sendable()),
                Err(e) => recv_failed(ctx, me, &e),
                Ok(()) => assert!(code.is_sendable() || ws.state() != wsgate::proto::State::Open),
            }
        }
        Op::Split | Op::Advance(_) | Op::Idle => {}
    }
}

async fn split_op(
    ctx: &Ctx,
    read: &mut ReadHalf<End>,
    write: &mut WriteHalf<End>,
    me: usize,
    op: Op,
) {
    let to_peer = &ctx.flows[1 - me];
    let (kind, data, how) = match op {
        Op::Send { kind, data, how } => (kind, data, how),
        Op::Stream { kind, chunks, .. } => (kind, chunks.concat().into(), 3),
        Op::Ping(p) => {
            let res = write.send(Message::Ping(p.clone())).await;
            return ping_result(ctx, me, p.len(), res);
        }
        Op::Recv | Op::RecvStream => {
            let item = read.recv().await;
            return received(ctx, me, item);
        }
        Op::Flush => {
            let _ = write.flush().await;
            return;
        }
        Op::Close(code) => {
            let code = CloseCode::new(code);
            return match write.close(code, "").await {
                Err(Error::Send(SendError::InvalidCloseCode(_))) => assert!(!code.is_sendable()),
                Err(e) => panic!("split close failed: {e}"),
                Ok(()) => {}
            };
        }
        Op::Split | Op::Advance(_) | Op::Idle => return,
    };
    to_peer.borrow_mut().oversize |= data.len() > MAX_MESSAGE;
    let msg = message(kind, &data);
    let res = match how % 4 {
        0 | 1 => write.send(msg).await,
        2 => write.send_prepared(&PreparedMessage::new(msg)).await,
        _ => write.sender().send(msg).await,
    };
    match res {
        Ok(()) => to_peer.borrow_mut().push(kind, &data, true),
        Err(e) => send_failed(ctx, me, &e),
    }
}

/// A streamed receive; the prefix read so far is checked when the reader goes away,
/// whether it finished, failed or was cancelled.
async fn recv_stream(ctx: &Ctx, ws: &mut WebSocket<End>, me: usize) {
    let mut reader = match ws.recv_stream().await {
        None => return received(ctx, me, None),
        Some(Err(e)) => return received(ctx, me, Some(Err(e))),
        Some(Ok(reader)) => reader,
    };
    let mut got = Partial {
        flow: &ctx.flows[me],
        kind: reader.kind(),
        data: Vec::new(),
        complete: false,
    };
    while let Some(chunk) = reader.next_chunk().await {
        match chunk {
            Ok(c) => got.data.extend_from_slice(c.as_ref()),
            Err(Error::Closed) => return,
            Err(e) => return recv_failed(ctx, me, &e),
        }
        assert!(got.data.len() <= MAX_MESSAGE, "streamed message over the limit");
    }
    got.complete = true;
}

struct Partial<'a> {
    flow: &'a RefCell<Flow>,
    kind: DataKind,
    data: Vec<u8>,
    complete: bool,
}

impl Drop for Partial<'_> {
    fn drop(&mut self) {
        if trace() {
            eprintln!("  streamed {:?} {} bytes, complete: {}", self.kind, self.data.len(), self.complete);
        }
        if !std::thread::panicking() {
            self.flow
                .borrow_mut()
                .received(self.kind, &self.data, self.complete);
        }
    }
}

fn received(ctx: &Ctx, me: usize, item: Option<Result<Message, Error>>) {
    if trace() {
        eprintln!("  side {me} received {:?}", item.as_ref().map(|r| r.as_ref().map(|m| (m.len(), m.is_data()))));
    }
    let flow = &ctx.flows[me];
    match item {
        Some(Ok(Message::Text(t))) => {
            assert!(t.len() <= MAX_MESSAGE);
            flow.borrow_mut().received(DataKind::Text, t.as_bytes(), true);
        }
        Some(Ok(Message::Binary(b))) => {
            assert!(b.len() <= MAX_MESSAGE);
            flow.borrow_mut().received(DataKind::Binary, &b, true);
        }
        Some(Ok(Message::Close(_))) => flow.borrow_mut().drained(),
        Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
        Some(Err(e)) => recv_failed(ctx, me, &e),
        None => {
            if !ctx.errored[me].get() {
                flow.borrow_mut().drained();
            }
            ctx.ended[me].set(true);
        }
    }
}

fn recv_failed(ctx: &Ctx, me: usize, e: &Error) {
    ctx.errored[me].set(true);
    if let Error::Protocol(p) = e {
        let clock_moved = Instant::now() > ctx.start;
        let explained = match p {
            ProtocolError::MessageTooLarge | ProtocolError::FrameTooLarge => {
                ctx.flows[me].borrow().oversize
            }
            ProtocolError::Timeout => clock_moved,
            _ => false,
        };
        assert!(explained, "unexpected protocol error at side {me}: {e}");
    }
}

fn send_failed(ctx: &Ctx, me: usize, e: &Error) {
    match e {
        Error::Send(SendError::MessageInProgress | SendError::NoMessageInProgress) => {
            panic!("send failed at side {me} with no streamed message open: {e}")
        }
        Error::Send(SendError::InvalidUtf8) => {
            panic!("streamed text in order was rejected at side {me}: {e}")
        }
        Error::Io(_) => ctx.errored[me].set(true),
        _ => {}
    }
}

fn ping_result(ctx: &Ctx, me: usize, len: usize, res: Result<(), Error>) {
    match res {
        Err(Error::Send(SendError::ControlFrameTooLong)) => assert!(len > 125),
        Err(e) => send_failed(ctx, me, &e),
        Ok(()) => assert!(len <= 125, "a {len}-byte ping was accepted"),
    }
}

fn message(kind: DataKind, data: &Bytes) -> Message {
    match kind {
        DataKind::Text => {
            Message::text(String::from_utf8(data.to_vec()).expect("payloads are utf-8"))
        }
        DataKind::Binary => Message::binary(data.clone()),
    }
}

/// `WORKLOAD_TRACE=1` prints the steps (for reproducing a crash).
fn trace() -> bool {
    static ON: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *ON.get_or_init(|| std::env::var_os("WORKLOAD_TRACE").is_some())
}

/// Live heap bytes, and the most any input grew them.
static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

struct Counting;

// SAFETY: forwards to `System` unchanged; only counts the bytes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size(), Ordering::Relaxed);
        // SAFETY: same layout contract as ours.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size(), Ordering::Relaxed);
        // SAFETY: same layout contract as ours.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: `ptr` came from `System` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(new_size, Ordering::Relaxed);
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: `ptr` came from `System` with this layout.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;
