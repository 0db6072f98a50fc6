//! The JSON protocol on `/ws` (see `docs/protocol.md`): requests, replies, pushed
//! events, error codes, and the rules for channel names and presence names.
//!
//! ```text
//!  client ─► {"id":1,"op":"subscribe","channel":"chat:lobby","presence":{"name":"ann"},"history":20}
//!  server ─► {"id":1,"ok":true,"channel":"chat:lobby","offset":7,"history":[…],"members":[…]}
//!  server ─► {"channel":"chat:lobby","offset":8,"data":…}                   (a message)
//!  server ─► {"channel":"chat:lobby","presence":"join","member":{"id":"s4","name":"bob"}}
//!  server ─► {"id":2,"error":{"code":"forbidden","message":"…"}}            (a failed request)
//! ```

use serde::Deserialize;
use serde_json::{Map, Value, json};

/// One client request, after [`parse`].
#[derive(Debug, PartialEq)]
pub(crate) struct Request {
    /// The client's request id (a number or a string), echoed in the reply.
    pub(crate) id: Value,
    pub(crate) op: Op,
}

/// What the client asks for.
#[derive(Debug, PartialEq, Deserialize)]
#[serde(tag = "op", rename_all = "lowercase")]
pub(crate) enum Op {
    Subscribe {
        channel: String,
        #[serde(default)]
        presence: Option<PresenceInfo>,
        #[serde(default)]
        history: Option<usize>,
    },
    Unsubscribe {
        channel: String,
    },
    Publish {
        channel: String,
        data: Value,
    },
    Presence {
        channel: String,
    },
}

/// What a client tells others about itself when it joins a channel with presence.
#[derive(Debug, PartialEq, Deserialize)]
pub(crate) struct PresenceInfo {
    pub(crate) name: String,
}

/// The request ops, for the `unknown_op` error.
const OPS: [&str; 4] = ["subscribe", "unsubscribe", "publish", "presence"];

/// Why a request failed; its [`as_str`](Self::as_str) is the `code` clients match on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Code {
    /// The message is not JSON, or not a JSON object.
    BadJson,
    /// A field is missing or has the wrong type.
    BadRequest,
    /// `op` is not one of the known operations.
    UnknownOp,
    /// The channel name breaks the naming rules.
    BadChannel,
    /// The channel's namespace (before `:`) does not exist.
    UnknownNamespace,
    /// The namespace exists but does not allow this operation.
    Forbidden,
    /// The presence name breaks the naming rules.
    BadName,
    /// `subscribe` to a channel the session is already subscribed to.
    AlreadySubscribed,
    /// `unsubscribe` from a channel the session is not subscribed to.
    NotSubscribed,
    /// The session has as many subscriptions as allowed.
    TooManySubscriptions,
    /// The server tracks as many channels as allowed and none can be forgotten.
    TooManyChannels,
    /// A binary message (the protocol is text JSON only).
    Unsupported,
    /// More publishes than the per-connection rate allows.
    RateLimited,
}

impl Code {
    /// Every code, for the metrics.
    pub(crate) const ALL: [Code; 13] = [
        Code::BadJson,
        Code::BadRequest,
        Code::UnknownOp,
        Code::BadChannel,
        Code::UnknownNamespace,
        Code::Forbidden,
        Code::BadName,
        Code::AlreadySubscribed,
        Code::NotSubscribed,
        Code::TooManySubscriptions,
        Code::TooManyChannels,
        Code::Unsupported,
        Code::RateLimited,
    ];

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Code::BadJson => "bad_json",
            Code::BadRequest => "bad_request",
            Code::UnknownOp => "unknown_op",
            Code::BadChannel => "bad_channel",
            Code::UnknownNamespace => "unknown_namespace",
            Code::Forbidden => "forbidden",
            Code::BadName => "bad_name",
            Code::AlreadySubscribed => "already_subscribed",
            Code::NotSubscribed => "not_subscribed",
            Code::TooManySubscriptions => "too_many_subscriptions",
            Code::TooManyChannels => "too_many_channels",
            Code::Unsupported => "unsupported",
            Code::RateLimited => "rate_limited",
        }
    }

    /// The index of this code in [`ALL`](Self::ALL).
    pub(crate) fn index(self) -> usize {
        Self::ALL.iter().position(|c| *c == self).unwrap_or(0)
    }
}

/// A failed request: the code and a short lowercase message for people.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Error {
    pub(crate) code: Code,
    pub(crate) message: String,
}

impl Error {
    pub(crate) fn new(code: Code, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    /// `{"code":…,"message":…}`, the `error` member of replies and HTTP API errors.
    pub(crate) fn to_json(&self) -> Value {
        json!({ "code": self.code.as_str(), "message": self.message })
    }
}

/// Parses one text message. On error, also returns the request id when it could be
/// read, so that the error reply can carry it.
pub(crate) fn parse(text: &str) -> Result<Request, (Value, Error)> {
    let value: Value = serde_json::from_str(text).map_err(|e| {
        (
            Value::Null,
            Error::new(Code::BadJson, format!("invalid json: {e}")),
        )
    })?;
    let Value::Object(object) = value else {
        return Err((
            Value::Null,
            Error::new(Code::BadJson, "expected a json object"),
        ));
    };
    let id = request_id(&object);
    let op = match object.get("op") {
        Some(Value::String(op)) if OPS.contains(&op.as_str()) => op.clone(),
        Some(Value::String(op)) => {
            let message = format!("unknown op {:?}; ops: {}", truncate(op, 32), OPS.join(", "));
            return Err((id, Error::new(Code::UnknownOp, message)));
        }
        _ => return Err((id, Error::new(Code::BadRequest, "missing string field op"))),
    };
    match serde_json::from_value::<Op>(Value::Object(object)) {
        Ok(op) => Ok(Request { id, op }),
        Err(e) => Err((id, Error::new(Code::BadRequest, format!("{op}: {e}")))),
    }
}

/// `{"id":…,"ok":true, …fields}`.
pub(crate) fn ok_reply(id: &Value, fields: Value) -> String {
    let mut object = Map::new();
    object.insert("id".into(), id.clone());
    object.insert("ok".into(), Value::Bool(true));
    if let Value::Object(fields) = fields {
        object.extend(fields);
    }
    Value::Object(object).to_string()
}

/// `{"id":…,"error":{"code":…,"message":…}}`.
pub(crate) fn error_reply(id: &Value, error: &Error) -> String {
    json!({ "id": id, "error": error.to_json() }).to_string()
}

/// `{"channel":…,"offset":…,"data":…}` with `data` already serialized.
pub(crate) fn message_event(channel: &str, offset: u64, data_json: &str) -> String {
    let channel = Value::from(channel);
    format!(r#"{{"channel":{channel},"offset":{offset},"data":{data_json}}}"#)
}

/// `{"channel":…,"presence":"join"|"leave","member":{…}}`.
pub(crate) fn presence_event(channel: &str, event: &str, member: &Value) -> String {
    json!({ "channel": channel, "presence": event, "member": member }).to_string()
}

/// What a namespace allows clients on `/ws` to do. The HTTP API and the server may
/// publish to every namespace.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Namespace {
    pub(crate) name: &'static str,
    /// Clients may publish.
    pub(crate) publish: bool,
    /// Clients may join with presence and list members.
    pub(crate) presence: bool,
}

/// The namespaces: `chat:` rooms (clients publish, presence) and `push:` feeds (the
/// server and the HTTP API publish, clients only listen).
pub(crate) const NAMESPACES: [Namespace; 2] = [
    Namespace {
        name: "chat",
        publish: true,
        presence: true,
    },
    Namespace {
        name: "push",
        publish: false,
        presence: false,
    },
];

/// Checks a channel name, `namespace:name`: at most [`MAX_CHANNEL`] bytes, a known
/// namespace, and a non-empty name of ASCII letters, digits, `-`, `_` and `.`.
pub(crate) fn channel(name: &str) -> Result<Namespace, Error> {
    if name.len() > MAX_CHANNEL {
        let message = format!("channel names have at most {MAX_CHANNEL} bytes");
        return Err(Error::new(Code::BadChannel, message));
    }
    let Some((ns, rest)) = name.split_once(':') else {
        return Err(Error::new(
            Code::BadChannel,
            "channel names look like chat:lobby",
        ));
    };
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
    if rest.is_empty() || !rest.chars().all(allowed) {
        let message = "channel names after the namespace use a-z, A-Z, 0-9, '-', '_', '.'";
        return Err(Error::new(Code::BadChannel, message));
    }
    NAMESPACES
        .iter()
        .find(|n| n.name == ns)
        .copied()
        .ok_or_else(|| {
            let known: Vec<_> = NAMESPACES.iter().map(|n| n.name).collect();
            let message = format!(
                "unknown namespace {:?}; namespaces: {}",
                truncate(ns, 32),
                known.join(", ")
            );
            Error::new(Code::UnknownNamespace, message)
        })
}

/// Checks a presence name: 1 to [`MAX_NAME`] characters, no control characters,
/// trimmed.
pub(crate) fn member_name(name: &str) -> Result<String, Error> {
    let name = name.trim();
    let count = name.chars().count();
    if count == 0 || count > MAX_NAME || name.chars().any(char::is_control) {
        let message = format!("names have 1 to {MAX_NAME} characters and no control characters");
        return Err(Error::new(Code::BadName, message));
    }
    Ok(name.to_owned())
}

/// The id of a request, when it is a number or a string (of at most 64 bytes).
fn request_id(object: &Map<String, Value>) -> Value {
    match object.get("id") {
        Some(id @ Value::Number(_)) => id.clone(),
        Some(Value::String(s)) if s.len() <= 64 => Value::String(s.clone()),
        _ => Value::Null,
    }
}

/// At most `max` characters of `s`, for error messages.
fn truncate(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

/// The longest channel name in bytes.
pub(crate) const MAX_CHANNEL: usize = 64;
/// The longest presence name in characters.
pub(crate) const MAX_NAME: usize = 32;

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    fn code(text: &str) -> (Value, Code) {
        match parse(text) {
            Err((id, e)) => (id, e.code),
            Ok(r) => panic!("parsed {r:?}"),
        }
    }

    #[test]
    fn parses_each_op() {
        let r = parse(
            r#"{"id":1,"op":"subscribe","channel":"chat:a","presence":{"name":"ann"},"history":5}"#,
        )
        .unwrap();
        assert_eq!(r.id, json!(1));
        let presence = Some(PresenceInfo { name: "ann".into() });
        let op = Op::Subscribe {
            channel: "chat:a".into(),
            presence,
            history: Some(5),
        };
        assert_eq!(r.op, op);
        let r =
            parse(r#"{"id":"x","op":"publish","channel":"chat:a","data":{"t":[1,2]}}"#).unwrap();
        assert_eq!(r.id, json!("x"));
        assert!(matches!(r.op, Op::Publish { data, .. } if data == json!({"t":[1,2]})));
        let r = parse(r#"{"op":"unsubscribe","channel":"chat:a","extra":true}"#).unwrap();
        assert_eq!(r.id, Value::Null);
        assert!(parse(r#"{"op":"presence","channel":"chat:a"}"#).is_ok());
        let r = parse(r#"{"op":"publish","channel":"chat:a","data":null}"#).unwrap();
        assert!(matches!(
            r.op,
            Op::Publish {
                data: Value::Null,
                ..
            }
        ));
    }

    #[test]
    fn bad_input_gets_a_code_and_keeps_the_id() {
        assert_eq!(code("not json"), (Value::Null, Code::BadJson));
        assert_eq!(code("[1,2]"), (Value::Null, Code::BadJson));
        assert_eq!(
            code(r#"{"id":3,"op":"shout"}"#),
            (json!(3), Code::UnknownOp)
        );
        assert_eq!(code(r#"{"id":4}"#), (json!(4), Code::BadRequest));
        assert_eq!(
            code(r#"{"id":5,"op":"publish","channel":"chat:a"}"#),
            (json!(5), Code::BadRequest)
        );
        assert_eq!(
            code(r#"{"id":6,"op":"subscribe","channel":7}"#),
            (json!(6), Code::BadRequest)
        );
        assert_eq!(
            code(r#"{"id":[1],"op":"nope"}"#),
            (Value::Null, Code::UnknownOp)
        );
    }

    #[test]
    fn channel_names_are_checked() {
        assert_eq!(channel("chat:lobby").map(|n| n.name), Ok("chat"));
        assert!(channel("push:ticker").is_ok_and(|n| !n.publish));
        let bad = |name: &str| channel(name).err().map(|e| e.code);
        assert_eq!(bad("lobby"), Some(Code::BadChannel));
        assert_eq!(bad("chat:"), Some(Code::BadChannel));
        assert_eq!(bad("chat:a b"), Some(Code::BadChannel));
        assert_eq!(bad("chat:a:b"), Some(Code::BadChannel));
        assert_eq!(
            bad(&format!("chat:{}", "a".repeat(60))),
            Some(Code::BadChannel)
        );
        assert_eq!(bad("admin:x"), Some(Code::UnknownNamespace));
    }

    #[test]
    fn member_names_are_checked() {
        assert_eq!(member_name("  ann "), Ok("ann".to_owned()));
        assert!(member_name("").is_err());
        assert!(member_name("a\nb").is_err());
        assert!(member_name(&"é".repeat(33)).is_err());
        assert!(member_name(&"é".repeat(32)).is_ok());
    }

    #[test]
    fn replies_and_events_are_json() {
        let reply: Value =
            serde_json::from_str(&ok_reply(&json!(1), json!({"offset": 2}))).unwrap();
        assert_eq!(reply, json!({"id":1,"ok":true,"offset":2}));
        let e = Error::new(Code::Forbidden, "no");
        let reply: Value = serde_json::from_str(&error_reply(&json!("a"), &e)).unwrap();
        assert_eq!(
            reply,
            json!({"id":"a","error":{"code":"forbidden","message":"no"}})
        );
        let event: Value = serde_json::from_str(&message_event("chat:\"x", 9, "[1]")).unwrap();
        assert_eq!(event, json!({"channel":"chat:\"x","offset":9,"data":[1]}));
        assert_eq!(Code::ALL.iter().map(|c| c.index()).sum::<usize>(), 78);
    }
}
