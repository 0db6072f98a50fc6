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

/// One `(path, Asset)` entry for `web/FILE`.
macro_rules! asset {
    ($path:literal, $file:literal, $content_type:expr) => {
        (
            $path,
            Asset {
                body: include_str!(concat!("../../../web/", $file)),
                content_type: $content_type,
            },
        )
    };
}

static ASSETS: &[(&str, Asset)] = &[
    asset!("/", "index.html", HTML),
    asset!("/echo", "echo.html", HTML),
    asset!("/echo.js", "echo.js", JS),
    asset!("/chat", "chat.html", HTML),
    asset!("/chat.js", "chat.js", JS),
    asset!("/push", "push.html", HTML),
    asset!("/push.js", "push.js", JS),
    asset!("/wsgate.js", "wsgate.js", JS),
    asset!("/style.css", "style.css", CSS),
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
