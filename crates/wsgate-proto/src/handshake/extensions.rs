//! The `Sec-WebSocket-Extensions` grammar (RFC 6455 §9.1 with RFC 7230 lists):
//!
//! ```text
//! extension-list  = 1#extension             ; over any number of header lines
//! extension       = token *( OWS ";" OWS extension-param )
//! extension-param = token [ OWS "=" OWS ( token / quoted-string ) ]
//! ```
//!
//! A quoted value must be a token once unescaped (§9.1). Parsing is byte-based, never
//! panics, and allocates at most proportionally to the input (which the head limit bounds).

use super::headers::{is_ows, is_tchar};

/// One extension element: its name and parameters, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Extension {
    /// The extension token, e.g. `permessage-deflate`.
    pub(crate) name: String,
    /// Parameters as written; duplicates are kept for the caller to judge.
    pub(crate) params: Vec<Param>,
}

/// One `name[=value]` parameter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Param {
    /// The parameter token.
    pub(crate) name: String,
    /// The value, unquoted, if one was given.
    pub(crate) value: Option<String>,
}

/// Parses every header value in `values` as an extension list and concatenates them.
///
/// # Errors
/// A short lowercase description of the first syntax error.
pub(crate) fn parse<'a>(values: impl Iterator<Item = &'a [u8]>) -> Result<Vec<Extension>, String> {
    let mut out = Vec::new();
    for value in values {
        Cursor { s: value, i: 0 }.list(&mut out)?;
    }
    Ok(out)
}

/// A read position in one header value.
struct Cursor<'a> {
    s: &'a [u8],
    i: usize,
}

impl Cursor<'_> {
    /// `#extension`: empty elements are allowed, as RFC 7230 §7 asks of recipients.
    fn list(&mut self, out: &mut Vec<Extension>) -> Result<(), String> {
        loop {
            self.skip_ows();
            match self.peek() {
                None => return Ok(()),
                Some(b',') => self.i += 1,
                Some(_) => out.push(self.extension()?),
            }
        }
    }

    fn extension(&mut self) -> Result<Extension, String> {
        let name = self.token("extension name")?;
        let mut params = Vec::new();
        loop {
            self.skip_ows();
            match self.peek() {
                None => break,
                Some(b',') => {
                    self.i += 1;
                    break;
                }
                Some(b';') => {
                    self.i += 1;
                    params.push(self.param()?);
                }
                Some(b) => return Err(self.unexpected(b)),
            }
        }
        Ok(Extension { name, params })
    }

    fn param(&mut self) -> Result<Param, String> {
        self.skip_ows();
        let name = self.token("parameter name")?;
        self.skip_ows();
        if self.peek() != Some(b'=') {
            return Ok(Param { name, value: None });
        }
        self.i += 1;
        self.skip_ows();
        let value = match self.peek() {
            Some(b'"') => self.quoted()?,
            _ => self.token("parameter value")?,
        };
        Ok(Param {
            name,
            value: Some(value),
        })
    }

    fn token(&mut self, what: &str) -> Result<String, String> {
        let start = self.i;
        while self.peek().is_some_and(is_tchar) {
            self.i += 1;
        }
        match self.s.get(start..self.i) {
            Some(t) if !t.is_empty() => Ok(ascii(t)),
            _ => Err(format!("expected {what} at byte {start}")),
        }
    }

    /// A quoted-string whose unescaped content must be a token (RFC 6455 §9.1).
    fn quoted(&mut self) -> Result<String, String> {
        let start = self.i;
        self.i += 1;
        let mut value = Vec::new();
        loop {
            let b = self.next().ok_or_else(|| unterminated(start))?;
            match b {
                b'"' => break,
                b'\\' => value.push(self.next().ok_or_else(|| unterminated(start))?),
                _ => value.push(b),
            }
        }
        if value.is_empty() || !value.iter().all(|&b| is_tchar(b)) {
            return Err(format!("quoted value at byte {start} is not a token"));
        }
        Ok(ascii(&value))
    }

    fn unexpected(&self, b: u8) -> String {
        format!("unexpected byte {b:#04x} at byte {}", self.i)
    }

    fn skip_ows(&mut self) {
        while self.peek().is_some_and(is_ows) {
            self.i += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn next(&mut self) -> Option<u8> {
        let b = self.peek()?;
        self.i += 1;
        Some(b)
    }
}

fn unterminated(start: usize) -> String {
    format!("unterminated quoted value at byte {start}")
}

/// Token bytes are ASCII, so this conversion is lossless.
fn ascii(t: &[u8]) -> String {
    t.iter().map(|&b| char::from(b)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(v: &[&[u8]]) -> Result<Vec<Extension>, String> {
        parse(v.iter().copied())
    }

    fn ext(name: &str, params: &[(&str, Option<&str>)]) -> Extension {
        Extension {
            name: name.to_owned(),
            params: params
                .iter()
                .map(|(n, v)| Param {
                    name: (*n).to_owned(),
                    value: v.map(str::to_owned),
                })
                .collect(),
        }
    }

    #[test]
    fn chromium_offer() {
        let got = p(&[b"permessage-deflate; client_max_window_bits"]);
        let want = ext("permessage-deflate", &[("client_max_window_bits", None)]);
        assert_eq!(got, Ok(vec![want]));
    }

    #[test]
    fn lists_over_several_lines_with_quotes_and_tabs() {
        let got = p(&[
            b"foo, permessage-deflate;\tserver_max_window_bits = \"10\" ;x",
            b" ,bar;a=b, ",
        ]);
        assert_eq!(
            got,
            Ok(vec![
                ext("foo", &[]),
                ext(
                    "permessage-deflate",
                    &[("server_max_window_bits", Some("10")), ("x", None)]
                ),
                ext("bar", &[("a", Some("b"))]),
            ])
        );
    }

    #[test]
    fn escaped_quote_content() {
        let got = p(&[br#"e; a="1\0""#]);
        assert_eq!(got, Ok(vec![ext("e", &[("a", Some("10"))])]));
    }

    #[test]
    fn empty_input_is_empty_list() {
        assert_eq!(p(&[b"", b" , "]), Ok(vec![]));
    }

    #[test]
    fn syntax_errors() {
        for bad in [
            &b"; a"[..],
            b"e;",
            b"e; =1",
            b"e; a=",
            b"e; a=\"",
            b"e; a=\"1",
            b"e; a=\"\\",
            b"e; a=\"\"",
            b"e; a=\"1 2\"",
            b"e f",
            b"e; a b",
            b"e\xff",
            b"e; a=1=2",
        ] {
            assert!(p(&[bad]).is_err(), "{:?}", String::from_utf8_lossy(bad));
        }
    }
}
