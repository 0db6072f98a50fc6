//! Messages encoded once and sent to many connections (broadcast).

use crate::message::Message;

/// A data message framed once, for sending the same bytes to many connections with
/// [`crate::Connection::send_prepared`]. Cheap to clone (reference-counted).
#[derive(Clone, Debug)]
pub struct PreparedMessage {
    _todo: (),
}

impl PreparedMessage {
    /// Frames `msg` (text or binary) for the server role. The compressed form is
    /// made lazily, once, the first time a connection whose negotiated parameters
    /// allow sharing it asks for it.
    pub fn new(msg: Message) -> Self {
        let _ = msg;
        todo!()
    }

    /// The message this was prepared from.
    pub fn message(&self) -> &Message {
        todo!()
    }
}
