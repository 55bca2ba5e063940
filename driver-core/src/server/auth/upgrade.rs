//! [`UpgradeRequest`]: what the HTTP request that opened a WebSocket said — its
//! headers (cookies included), path and query string — captured by the server before
//! the upgrade and handed to every [`ServerAuthorizer`](super::ServerAuthorizer) with
//! the session's `Hello`. Also the origin allow-list check ([`origin_allowed`]).
//!
//! The server keeps it only until the session's authorization is decided.

/// The upgrade request of one WebSocket connection.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UpgradeRequest {
    /// Header names lowercased, in request order (values that are not UTF-8 dropped).
    headers: Vec<(String, String)>,
    path: String,
    query: Option<String>,
}

impl UpgradeRequest {
    /// A request for `path` with the raw query string (without `?`), if any.
    pub fn new(path: impl Into<String>, query: Option<String>) -> Self {
        UpgradeRequest {
            headers: Vec::new(),
            path: path.into(),
            query,
        }
    }

    /// Adds a header (the name is lowercased).
    pub fn push_header(&mut self, name: &str, value: &str) {
        self.headers
            .push((name.to_ascii_lowercase(), value.to_owned()));
    }

    /// Every header, names lowercased, in request order.
    pub fn headers(&self) -> impl Iterator<Item = (&str, &str)> {
        self.headers.iter().map(|(n, v)| (n.as_str(), v.as_str()))
    }

    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The request path (e.g. `/sync`).
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The raw query string, without `?`.
    pub fn query(&self) -> Option<&str> {
        self.query.as_deref()
    }

    /// The first value of query parameter `name`, percent-decoded (`+` is a space);
    /// `None` if absent or not UTF-8 once decoded.
    pub fn query_param(&self, name: &str) -> Option<String> {
        self.query()?
            .split('&')
            .map(|pair| pair.split_once('=').unwrap_or((pair, "")))
            .find(|(k, _)| percent_decode(k).as_deref() == Some(name))
            .and_then(|(_, v)| percent_decode(v))
    }

    /// The value of cookie `name` from the `Cookie` headers (RFC 6265 §5.4), as sent.
    pub fn cookie(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n == "cookie")
            .flat_map(|(_, v)| v.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.trim_matches('"'))
    }

    /// The `Origin` header (browsers send it; native clients usually do not).
    pub fn origin(&self) -> Option<&str> {
        self.header("origin")
    }
}

/// Whether an upgrade with this `Origin` may proceed: always when the allow-list is
/// empty or the request has no `Origin` (a native client; browsers always send one),
/// otherwise only when it equals an entry (ASCII case-insensitive, a trailing `/`
/// ignored). A refused upgrade gets HTTP 403 and no WebSocket.
pub fn origin_allowed(allowed: &[String], origin: Option<&str>) -> bool {
    let Some(origin) = origin else { return true };
    let origin = origin.trim_end_matches('/');
    allowed.is_empty()
        || allowed
            .iter()
            .any(|a| a.trim_end_matches('/').eq_ignore_ascii_case(origin))
}

/// `%XX` and `+` decoding of a query component; `None` if the result is not UTF-8.
fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let hex = |at: usize| bytes.get(at).and_then(|d| (*d as char).to_digit(16));
        match (b, hex(i + 1), hex(i + 2)) {
            (b'%', Some(hi), Some(lo)) => {
                out.push(u8::try_from(hi * 16 + lo).unwrap_or(b'?'));
                i += 3;
            }
            (b'+', _, _) => {
                out.push(b' ');
                i += 1;
            }
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_query_and_headers_are_read() {
        let mut r = UpgradeRequest::new("/sync", Some("room=a%2Fb&token=x+y&flag".into()));
        r.push_header("Cookie", "theme=dark; session=\"abc\"");
        r.push_header("cookie", "other=1");
        r.push_header("Origin", "https://app.example");
        assert_eq!(r.cookie("session"), Some("abc"));
        assert_eq!(r.cookie("other"), Some("1"));
        assert_eq!(r.cookie("missing"), None);
        assert_eq!(r.query_param("room").as_deref(), Some("a/b"));
        assert_eq!(r.query_param("token").as_deref(), Some("x y"));
        assert_eq!(r.query_param("flag").as_deref(), Some(""));
        assert_eq!(r.query_param("nope"), None);
        assert_eq!(r.header("ORIGIN"), Some("https://app.example"));
        assert_eq!(r.path(), "/sync");
        assert_eq!(percent_decode("%zz%4%41").as_deref(), Some("%zz%4A"));
        assert_eq!(percent_decode("%ff"), None, "not UTF-8");
    }

    #[test]
    fn origins_follow_the_allow_list() {
        let list = vec!["https://app.example".to_owned()];
        assert!(origin_allowed(&list, None), "native clients send no Origin");
        assert!(origin_allowed(&list, Some("https://APP.example/")));
        assert!(!origin_allowed(&list, Some("https://evil.example")));
        assert!(!origin_allowed(&list, Some("null")));
        assert!(
            origin_allowed(&[], Some("https://evil.example")),
            "no list: all"
        );
    }
}
