//! The pages `wsgate serve` shows, embedded at build time from the repository's `web/`.

/// One embedded file.
#[derive(Debug)]
pub(crate) struct Asset {
    pub(crate) body: &'static str,
    pub(crate) content_type: &'static str,
}

/// The asset served at `path`, if any.
pub(crate) fn asset(path: &str) -> Option<&'static Asset> {
    ASSETS.iter().find(|(p, _)| *p == path).map(|(_, a)| a)
}

const HTML: &str = "text/html; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";
const JS: &str = "text/javascript; charset=utf-8";

static ASSETS: &[(&str, Asset)] = &[
    (
        "/",
        Asset {
            body: include_str!("../../../web/index.html"),
            content_type: HTML,
        },
    ),
    (
        "/echo",
        Asset {
            body: include_str!("../../../web/echo.html"),
            content_type: HTML,
        },
    ),
    (
        "/echo.js",
        Asset {
            body: include_str!("../../../web/echo.js"),
            content_type: JS,
        },
    ),
    (
        "/chat",
        Asset {
            body: include_str!("../../../web/chat.html"),
            content_type: HTML,
        },
    ),
    (
        "/chat.js",
        Asset {
            body: include_str!("../../../web/chat.js"),
            content_type: JS,
        },
    ),
    (
        "/push",
        Asset {
            body: include_str!("../../../web/push.html"),
            content_type: HTML,
        },
    ),
    (
        "/push.js",
        Asset {
            body: include_str!("../../../web/push.js"),
            content_type: JS,
        },
    ),
    (
        "/wsgate.js",
        Asset {
            body: include_str!("../../../web/wsgate.js"),
            content_type: JS,
        },
    ),
    (
        "/style.css",
        Asset {
            body: include_str!("../../../web/style.css"),
            content_type: CSS,
        },
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_are_embedded() {
        let index = asset("/").map(|a| a.body).unwrap_or_default();
        assert!(index.contains("<title>wsgate</title>"));
        let echo = asset("/echo").map(|a| a.body).unwrap_or_default();
        assert!(echo.contains("/echo.js"));
        let chat = asset("/chat").map(|a| a.body).unwrap_or_default();
        assert!(chat.contains("/wsgate.js") && chat.contains("/chat.js"));
        let push = asset("/push").map(|a| a.body).unwrap_or_default();
        assert!(push.contains("/wsgate.js") && push.contains("/push.js"));
        assert!(asset("/nope").is_none());
    }
}
