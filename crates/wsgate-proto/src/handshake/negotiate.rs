//! permessage-deflate negotiation (RFC 7692 §5 and §7.1): parameter validation, the
//! server's choice among offers, the client's offer and its check of the answer.
//!
//! Every window size 8..=15 is agreed to. zlib (and `flate2`) cannot compress raw
//! deflate with an 8-bit window, so a side whose own compressor was limited to 8 bits
//! sends its messages uncompressed (RSV1 clear), which RFC 7692 §6 allows and which is
//! valid for any window (see `crate::deflate`). Decompressing a peer's 8-bit stream
//! works with any larger window.

use super::extensions::{Extension, Param};
use crate::pmd::{DeflateConfig, PerMessageDeflate};

/// The extension token.
pub(crate) const NAME: &str = "permessage-deflate";
/// The smallest window RFC 7692 §7.1.2 allows.
const MIN_BITS: u8 = 8;
const MAX_BITS: u8 = 15;

/// The four parameters of one offer or answer, checked for RFC 7692 §7 syntax.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Params {
    pub(crate) server_no_context_takeover: bool,
    pub(crate) client_no_context_takeover: bool,
    /// `server_max_window_bits=N` (a value is mandatory).
    pub(crate) server_max_window_bits: Option<u8>,
    /// `client_max_window_bits[=N]`: `Some(None)` is the parameter without a value.
    pub(crate) client_max_window_bits: Option<Option<u8>>,
}

impl Params {
    /// Validates `params`: known names only, each at most once, valid values.
    ///
    /// # Errors
    /// A lowercase description naming the offending parameter.
    pub(crate) fn parse(params: &[Param]) -> Result<Self, String> {
        let mut out = Self::default();
        let mut seen = [false; 4];
        for p in params {
            let slot = match p.name.as_str() {
                "server_no_context_takeover" => 0,
                "client_no_context_takeover" => 1,
                "server_max_window_bits" => 2,
                "client_max_window_bits" => 3,
                other => return Err(format!("unknown parameter {other:?}")),
            };
            if std::mem::replace(&mut seen[slot], true) {
                return Err(format!("duplicate parameter {:?}", p.name));
            }
            out.set(slot, p)?;
        }
        Ok(out)
    }

    fn set(&mut self, slot: usize, p: &Param) -> Result<(), String> {
        let value = p.value.as_deref();
        match (slot, value) {
            (0 | 1, Some(_)) => return Err(format!("parameter {:?} takes no value", p.name)),
            (0, None) => self.server_no_context_takeover = true,
            (1, None) => self.client_no_context_takeover = true,
            (2, None) => return Err(format!("parameter {:?} needs a value", p.name)),
            (2, Some(v)) => self.server_max_window_bits = Some(window_bits(&p.name, v)?),
            (_, v) => {
                let bits = v.map(|v| window_bits(&p.name, v)).transpose()?;
                self.client_max_window_bits = Some(bits);
            }
        }
        Ok(())
    }

    /// Renders `permessage-deflate` with these parameters.
    pub(crate) fn render(&self) -> String {
        let mut s = String::from(NAME);
        if self.server_no_context_takeover {
            s.push_str("; server_no_context_takeover");
        }
        if self.client_no_context_takeover {
            s.push_str("; client_no_context_takeover");
        }
        if let Some(n) = self.server_max_window_bits {
            s.push_str(&format!("; server_max_window_bits={n}"));
        }
        match self.client_max_window_bits {
            Some(Some(n)) => s.push_str(&format!("; client_max_window_bits={n}")),
            Some(None) => s.push_str("; client_max_window_bits"),
            None => {}
        }
        s
    }
}

/// Server side: the first permessage-deflate offer that is valid and acceptable under
/// `cfg`, as the agreed parameters and the `Sec-WebSocket-Extensions` answer.
/// Invalid offers and other extensions are skipped (declined).
pub(crate) fn server_accept(
    cfg: &DeflateConfig,
    offers: &[Extension],
) -> Option<(PerMessageDeflate, String)> {
    offers
        .iter()
        .filter(|e| e.name == NAME)
        .filter_map(|e| Params::parse(&e.params).ok())
        .find_map(|offer| answer(cfg, &offer))
}

/// The answer to one valid offer, `None` to decline it.
fn answer(cfg: &DeflateConfig, offer: &Params) -> Option<(PerMessageDeflate, String)> {
    let ours = cfg.server_max_window_bits.clamp(MIN_BITS, MAX_BITS);
    let server_bits = offer.server_max_window_bits.map_or(ours, |n| n.min(ours));
    let ask = cfg.client_max_window_bits.clamp(MIN_BITS, MAX_BITS);
    let client_bits = offer
        .client_max_window_bits
        .map(|v| ask.min(v.unwrap_or(MAX_BITS)));
    let agreed = PerMessageDeflate {
        server_no_context_takeover: offer.server_no_context_takeover
            || cfg.server_no_context_takeover,
        client_no_context_takeover: offer.client_no_context_takeover
            || cfg.client_no_context_takeover,
        server_max_window_bits: server_bits,
        client_max_window_bits: client_bits.unwrap_or(MAX_BITS),
    };
    let response = Params {
        server_no_context_takeover: agreed.server_no_context_takeover,
        client_no_context_takeover: agreed.client_no_context_takeover,
        // Echo when asked (§7.1.2.1); announce a smaller window even unasked (allowed),
        // so that both ends record the same value.
        server_max_window_bits: (offer.server_max_window_bits.is_some() || server_bits < MAX_BITS)
            .then_some(server_bits),
        client_max_window_bits: client_bits.map(Some),
    };
    Some((agreed, response.render()))
}

/// Client side: the offer `cfg` describes.
pub(crate) fn client_offer(cfg: &DeflateConfig) -> Params {
    let client = cfg.client_max_window_bits.clamp(MIN_BITS, MAX_BITS);
    let server = cfg.server_max_window_bits.clamp(MIN_BITS, MAX_BITS);
    Params {
        server_no_context_takeover: cfg.server_no_context_takeover,
        client_no_context_takeover: cfg.client_no_context_takeover,
        server_max_window_bits: (server < MAX_BITS).then_some(server),
        client_max_window_bits: Some((client < MAX_BITS).then_some(client)),
    }
}

/// Client side: checks the server's answer `params` to our `offer` (RFC 7692 §5.1,
/// §7.1) and returns the agreed parameters.
///
/// # Errors
/// Why the client must fail the connection.
pub(crate) fn client_check(offer: &Params, params: &[Param]) -> Result<PerMessageDeflate, String> {
    let got = Params::parse(params)?;
    let server_bits = match (got.server_max_window_bits, offer.server_max_window_bits) {
        (Some(n), Some(asked)) if n > asked => {
            return Err(format!(
                "server_max_window_bits={n} exceeds the requested {asked}"
            ));
        }
        (n, _) => n.unwrap_or(MAX_BITS),
    };
    let offered = offer.client_max_window_bits;
    let client_bits = match (got.client_max_window_bits, offered) {
        (Some(_), None) => return Err("client_max_window_bits was not offered".into()),
        (Some(None), _) => return Err("client_max_window_bits needs a value".into()),
        (Some(Some(n)), Some(ours)) => n.min(ours.unwrap_or(MAX_BITS)),
        (None, ours) => ours.flatten().unwrap_or(MAX_BITS),
    };
    Ok(PerMessageDeflate {
        server_no_context_takeover: got.server_no_context_takeover,
        client_no_context_takeover: got.client_no_context_takeover
            || offer.client_no_context_takeover,
        server_max_window_bits: server_bits,
        client_max_window_bits: client_bits,
    })
}

/// Parses `v` as a window size: a decimal 8..=15 without leading zeros (§7.1.2).
fn window_bits(name: &str, v: &str) -> Result<u8, String> {
    match v.parse::<u8>() {
        Ok(n @ 8..=15) if !v.starts_with('0') && !v.starts_with('+') => Ok(n),
        _ => Err(format!("invalid {name} value {v:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(list: &[(&str, Option<&str>)]) -> Vec<Param> {
        list.iter()
            .map(|(n, v)| Param {
                name: (*n).to_owned(),
                value: v.map(str::to_owned),
            })
            .collect()
    }

    #[test]
    fn parses_all_four() {
        let got = Params::parse(&params(&[
            ("server_no_context_takeover", None),
            ("client_no_context_takeover", None),
            ("server_max_window_bits", Some("10")),
            ("client_max_window_bits", None),
        ]));
        let want = Params {
            server_no_context_takeover: true,
            client_no_context_takeover: true,
            server_max_window_bits: Some(10),
            client_max_window_bits: Some(None),
        };
        assert_eq!(got, Ok(want));
        assert_eq!(
            want.render(),
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover; \
             server_max_window_bits=10; client_max_window_bits"
        );
    }

    #[test]
    fn rejects_invalid_params() {
        for bad in [
            &[("x", None)][..],
            &[("server_no_context_takeover", Some("1"))],
            &[("client_no_context_takeover", Some("true"))],
            &[("server_max_window_bits", None)],
            &[("server_max_window_bits", Some("7"))],
            &[("server_max_window_bits", Some("16"))],
            &[("server_max_window_bits", Some("010"))],
            &[("client_max_window_bits", Some("+9"))],
            &[("client_max_window_bits", Some("99999999999"))],
            &[
                ("client_max_window_bits", None),
                ("client_max_window_bits", None),
            ],
        ] {
            assert!(Params::parse(&params(bad)).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn window_bit_values() {
        for n in 8..=15u8 {
            assert_eq!(window_bits("b", &n.to_string()), Ok(n));
        }
    }

    #[test]
    fn server_accepts_an_eight_bit_server_window() {
        let offer = Params {
            server_max_window_bits: Some(8),
            ..Params::default()
        };
        let (agreed, answer) = answer(&DeflateConfig::default(), &offer).unwrap_or_default();
        assert_eq!(agreed.server_max_window_bits, 8);
        assert_eq!(answer, "permessage-deflate; server_max_window_bits=8");
    }

    #[test]
    fn client_offer_defaults_to_chromium_form() {
        let offer = client_offer(&DeflateConfig::default());
        assert_eq!(offer.render(), "permessage-deflate; client_max_window_bits");
    }

    #[test]
    fn client_refuses_unoffered_client_window() {
        let got = client_check(
            &Params::default(),
            &params(&[("client_max_window_bits", Some("10"))]),
        );
        assert_eq!(
            got,
            Err("client_max_window_bits was not offered".to_owned())
        );
    }
}
