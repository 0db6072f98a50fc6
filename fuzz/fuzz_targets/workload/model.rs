//! What each side should receive: the data messages the other side's completed sends
//! queued, in order. Received messages are matched against the front of the queue.

use std::collections::VecDeque;
use wsgate::DataKind;

/// One message queued towards a side.
#[derive(Debug)]
struct Entry {
    id: u64,
    kind: DataKind,
    data: Vec<u8>,
    /// May legitimately never arrive: a streamed message that was not finished with an
    /// `Ok` from `finish` (its end frame may have failed), or one still being written.
    uncertain: bool,
    /// Sent through a split half: `send` completed when the command was queued, so the
    /// driver task may still drop it if the connection closes first (only at the tail).
    via_split: bool,
}

/// Messages in one direction, towards one side.
#[derive(Debug, Default)]
pub struct Flow {
    entries: VecDeque<Entry>,
    next_id: u64,
    /// The receiver ran `close`, which discards what arrives meanwhile.
    pub lossy: bool,
    /// The sender tried a message over the receiver's limit (a 1009 failure is fine).
    pub oversize: bool,
}

impl Flow {
    /// A whole message whose send completed.
    pub fn push(&mut self, kind: DataKind, data: &[u8], via_split: bool) {
        self.push_entry(kind, data.to_vec(), false, via_split);
    }

    /// A streamed message was started; chunks follow with [`append`](Self::append).
    pub fn open_stream(&mut self, kind: DataKind) -> u64 {
        self.push_entry(kind, Vec::new(), true, false)
    }

    /// A chunk of stream `id` was queued.
    pub fn append(&mut self, id: u64, chunk: &[u8]) {
        if let Some(e) = self.entries.iter_mut().find(|e| e.id == id) {
            e.data.extend_from_slice(chunk);
        }
    }

    /// `finish` returned `Ok`: the message must arrive.
    pub fn finished(&mut self, id: u64) {
        if let Some(e) = self.entries.iter_mut().find(|e| e.id == id) {
            e.uncertain = false;
        }
    }

    /// A data message arrived: whole (`complete`) or the prefix read before the reader
    /// was dropped or failed. Panics on a message that was never sent, or on a loss.
    pub fn received(&mut self, kind: DataKind, data: &[u8], complete: bool) {
        while let Some(front) = self.entries.front() {
            let same = front.kind == kind
                && if complete {
                    front.data == data
                } else if data.is_empty() {
                    front.data.is_empty() || !front.uncertain
                } else {
                    front.data.starts_with(data)
                };
            if same {
                self.entries.pop_front();
                return;
            }
            if !(front.uncertain || self.lossy) {
                panic!(
                    "lost or reordered: expected {:?} {} bytes {:?}, got {:?} {} bytes {:?} (complete: {complete})",
                    front.kind,
                    front.data.len(),
                    head(&front.data),
                    kind,
                    data.len(),
                    head(data),
                );
            }
            self.entries.pop_front();
        }
        panic!(
            "a message that was never sent: {kind:?} {} bytes {:?}",
            data.len(),
            head(data)
        );
    }

    /// The peer's close frame arrived: everything it sent before must have arrived.
    pub fn drained(&mut self) {
        if !self.lossy {
            if let Some(e) = self.entries.iter().find(|e| !e.uncertain && !e.via_split) {
                panic!(
                    "lost before the close frame: {:?} {} bytes {:?} ({} queued)",
                    e.kind,
                    e.data.len(),
                    head(&e.data),
                    self.entries.len()
                );
            }
        }
        self.entries.clear();
    }

    /// Messages that must still arrive.
    pub fn owed(&self) -> usize {
        self.entries
            .iter()
            .filter(|e| !e.uncertain && !e.via_split)
            .count()
    }

    fn push_entry(&mut self, kind: DataKind, data: Vec<u8>, uncertain: bool, via_split: bool) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        self.entries.push_back(Entry {
            id,
            kind,
            data,
            uncertain,
            via_split,
        });
        id
    }
}

/// The sequence header at the start of a payload, for panic messages.
fn head(data: &[u8]) -> String {
    String::from_utf8_lossy(&data[..data.len().min(12)]).into_owned()
}
