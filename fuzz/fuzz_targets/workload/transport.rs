//! An in-memory duplex transport whose read and write sizes, `Pending` returns and
//! flush stalls come from a tape of fuzz input bytes. `Pending` because of the tape
//! wakes the task at once (a slow socket); `Pending` because the pipe is empty or full
//! parks the waker until the other end moves bytes (a real socket).

use std::collections::VecDeque;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// One end of the pipe pair. Reads `pipes[inbound]`, writes the other one.
#[derive(Debug)]
pub struct End {
    shared: Arc<Mutex<Shared>>,
    inbound: usize,
}

#[derive(Debug)]
struct Shared {
    pipes: [Pipe; 2],
    tape: Vec<u8>,
    pos: usize,
}

#[derive(Debug, Default)]
struct Pipe {
    buf: VecDeque<u8>,
    cap: usize,
    /// The writer shut down or went away: the reader sees EOF once `buf` is empty.
    eof: bool,
    /// The reader went away: writes fail.
    reader_gone: bool,
    reader: Option<Waker>,
    writer: Option<Waker>,
}

/// Two connected ends; `caps[i]` bounds the bytes buffered towards end `i`.
pub fn pair(tape: &[u8], caps: [usize; 2]) -> (End, End) {
    let pipe = |cap: usize| Pipe {
        cap: cap.max(1),
        ..Pipe::default()
    };
    let shared = Arc::new(Mutex::new(Shared {
        pipes: [pipe(caps[0]), pipe(caps[1])],
        tape: tape.to_vec(),
        pos: 0,
    }));
    let a = End {
        shared: shared.clone(),
        inbound: 0,
    };
    (a, End { shared, inbound: 1 })
}

/// Looks at an end's pipes without being a transport (it survives `split`).
#[derive(Debug)]
pub struct Probe {
    shared: Arc<Mutex<Shared>>,
    inbound: usize,
}

impl Probe {
    /// Whether the pipe out of this end is full (the peer is not reading).
    pub fn outbound_full(&self) -> bool {
        let s = self.shared.lock().unwrap_or_else(|e| e.into_inner());
        let pipe = &s.pipes[1 - self.inbound];
        pipe.buf.len() >= pipe.cap
    }
}

impl End {
    pub fn probe(&self) -> Probe {
        Probe {
            shared: self.shared.clone(),
            inbound: self.inbound,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Shared> {
        // A poisoned lock means an assertion already failed on this thread.
        self.shared.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Shared {
    /// The next tape byte; the tape repeats with a shift per lap so it never cycles short.
    fn decide(&mut self) -> u8 {
        if self.tape.is_empty() {
            return 0xff;
        }
        let i = self.pos;
        self.pos = self.pos.wrapping_add(1);
        let lap = (i / self.tape.len()) as u8;
        self.tape[i % self.tape.len()].wrapping_add(lap.wrapping_mul(97))
    }
}

/// One tape byte in eight stalls the operation.
fn stalls(b: u8) -> bool {
    b & 7 == 0
}

/// How many bytes one read or write may move.
fn size(b: u8) -> usize {
    match b >> 6 {
        0 => 1 + usize::from((b >> 3) & 7),
        1 => 37,
        2 => 700,
        _ => usize::MAX,
    }
}

fn stall(cx: &Context<'_>) -> Poll<io::Result<()>> {
    cx.waker().wake_by_ref();
    Poll::Pending
}

impl AsyncRead for End {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let mut s = self.lock();
        let b = s.decide();
        if stalls(b) {
            return stall(cx);
        }
        let pipe = &mut s.pipes[self.inbound];
        if pipe.buf.is_empty() {
            if pipe.eof {
                return Poll::Ready(Ok(()));
            }
            pipe.reader = Some(cx.waker().clone());
            return Poll::Pending;
        }
        let n = size(b).min(buf.remaining()).min(pipe.buf.len());
        let (front, back) = pipe.buf.as_slices();
        let from_front = n.min(front.len());
        buf.put_slice(&front[..from_front]);
        buf.put_slice(&back[..n - from_front]);
        pipe.buf.drain(..n);
        let writer = pipe.writer.take();
        drop(s);
        if let Some(w) = writer {
            w.wake();
        }
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for End {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.poll_write_vectored(cx, &[io::IoSlice::new(data)])
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let mut s = self.lock();
        let b = s.decide();
        let pipe = &mut s.pipes[1 - self.inbound];
        if pipe.reader_gone || pipe.eof {
            return Poll::Ready(Err(io::ErrorKind::BrokenPipe.into()));
        }
        if stalls(b) {
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        let space = pipe.cap.saturating_sub(pipe.buf.len());
        if space == 0 {
            pipe.writer = Some(cx.waker().clone());
            return Poll::Pending;
        }
        let mut left = size(b).min(space);
        let mut n = 0;
        for buf in bufs {
            let take = buf.len().min(left);
            pipe.buf.extend(&buf[..take]);
            n += take;
            left -= take;
            if left == 0 {
                break;
            }
        }
        assert!(pipe.buf.len() <= pipe.cap);
        let reader = pipe.reader.take();
        drop(s);
        if let Some(w) = reader {
            w.wake();
        }
        Poll::Ready(Ok(n))
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let b = self.lock().decide();
        if stalls(b) { stall(cx) } else { Poll::Ready(Ok(())) }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let mut s = self.lock();
        if stalls(s.decide()) {
            return stall(cx);
        }
        let pipe = &mut s.pipes[1 - self.inbound];
        pipe.eof = true;
        let reader = pipe.reader.take();
        drop(s);
        if let Some(w) = reader {
            w.wake();
        }
        Poll::Ready(Ok(()))
    }
}

impl Drop for End {
    fn drop(&mut self) {
        let mut s = self.lock();
        let inbound = self.inbound;
        s.pipes[1 - inbound].eof = true;
        s.pipes[inbound].reader_gone = true;
        let wakers = [
            s.pipes[1 - inbound].reader.take(),
            s.pipes[inbound].writer.take(),
        ];
        drop(s);
        for w in wakers.into_iter().flatten() {
            w.wake();
        }
    }
}
