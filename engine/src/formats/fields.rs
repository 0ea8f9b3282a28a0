//! What the text readers share: splitting a line into fields, the typed columns that name
//! them, and writing one field as JSON members.
//!
//! A line is cut into [`Token`]s (byte ranges of the line) by one of three splitters: runs of
//! spaces (VPC Flow Logs, NLB), spaces with `"quoted fields"` (ALB, Classic ELB), or single
//! tabs (CloudFront). The tokens live in a vector the reader reuses, so reading a line
//! allocates nothing once the reader has warmed up. Each token is then written under its
//! [`Column`]'s name, as its [`Kind`] says.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use super::json::Object;

/// How a column's text becomes JSON. In every kind, `-` means the field is absent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A string, as written.
    Text,
    /// A number when the text is a plain decimal, else the text as a string.
    Number,
    /// A URL-encoded string (CloudFront): percent-decoded once, see
    /// [`percent_decode`].
    Encoded,
    /// `ip:port`: the string, plus members named `ip` and `port` for its two parts (split at
    /// the last colon, so IPv6 addresses work; brackets around the address are dropped).
    Endpoint {
        /// The name of the address member (`client_ip` for `client:port`).
        ip: &'static str,
        /// The name of the port member (`client_port` for `client:port`).
        port: &'static str,
    },
    /// An HTTP request line `METHOD URL PROTOCOL`: the string, plus `request_method`,
    /// `request_url` and `request_protocol` members.
    Request,
}

/// The fields of one kind of load balancer log line.
pub(crate) struct Layout {
    /// What the lines are called in error messages.
    pub(crate) name: &'static str,
    /// Every field known, in order.
    pub(crate) fields: &'static [(&'static str, Kind)],
    /// The fewest fields a line may have; lines stop early in older logs.
    pub(crate) min_fields: usize,
}

/// One named, typed field of a log layout.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Column {
    pub(crate) name: Cow<'static, str>,
    pub(crate) kind: Kind,
}

/// The ordered fields of a log line: a VPC flow log header, or CloudFront's `#Fields`.
///
/// Cheap to clone (shared), so that every reader of a file's chunks can start from the fields
/// found at the head of the file.
#[derive(Clone, PartialEq, Eq)]
pub struct Fields(pub(crate) Arc<[Column]>);

impl Fields {
    /// Fields named by `names`, typed by `kind_of`.
    pub(crate) fn new<'n>(
        names: impl IntoIterator<Item = &'n str>,
        kind_of: impl Fn(&str) -> Kind,
    ) -> Fields {
        Fields(
            names
                .into_iter()
                .map(|name| Column {
                    kind: kind_of(name),
                    name: Cow::Owned(name.to_owned()),
                })
                .collect(),
        )
    }

    /// The field names, in order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|column| &*column.name)
    }

    /// How many fields there are.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are no fields.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The fields as (name, kind) pairs.
    pub(crate) fn columns(&self) -> impl Iterator<Item = (&str, Kind)> {
        self.0.iter().map(|column| (&*column.name, column.kind))
    }

    /// The position of the field called `name`.
    pub(crate) fn position(&self, name: &str) -> Option<usize> {
        self.0.iter().position(|column| column.name == name)
    }
}

impl fmt::Debug for Fields {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.names()).finish()
    }
}

/// A field of a line: `line[start..end]`; `escaped` when it was quoted and holds a backslash.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Token {
    pub(crate) start: usize,
    pub(crate) end: usize,
    pub(crate) escaped: bool,
}

impl Token {
    fn new(start: usize, end: usize) -> Token {
        Token {
            start,
            end,
            escaped: false,
        }
    }

    /// The token's text in `line`.
    pub(crate) fn text(self, line: &[u8]) -> &[u8] {
        &line[self.start..self.end]
    }
}

/// Splits `line` at runs of spaces (and tabs) into `tokens`.
pub(crate) fn split_spaces(line: &[u8], tokens: &mut Vec<Token>) {
    tokens.clear();
    let mut start = None;
    for (at, &byte) in line.iter().enumerate() {
        match (byte == b' ' || byte == b'\t', start) {
            (true, Some(from)) => {
                tokens.push(Token::new(from, at));
                start = None;
            }
            (false, None) => start = Some(at),
            _ => {}
        }
    }
    if let Some(from) = start {
        tokens.push(Token::new(from, line.len()));
    }
}

/// Splits `line` at single tabs into `tokens` (empty fields kept).
pub(crate) fn split_tabs(line: &[u8], tokens: &mut Vec<Token>) {
    tokens.clear();
    let mut start = 0;
    for at in memchr::memchr_iter(b'\t', line) {
        tokens.push(Token::new(start, at));
        start = at + 1;
    }
    tokens.push(Token::new(start, line.len()));
}

/// A quoted field that never closes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Unterminated {
    /// Where its opening quote is.
    pub(crate) at: usize,
}

/// Splits `line` at spaces into `tokens`, where a field that starts with `"` runs to the next
/// `"` that is not escaped by a backslash and is followed by a space or the end of the line.
/// A quoted token is the text between the quotes.
pub(crate) fn split_quoted(line: &[u8], tokens: &mut Vec<Token>) -> Result<(), Unterminated> {
    tokens.clear();
    let mut at = 0;
    while at < line.len() {
        match line[at] {
            b' ' => at += 1,
            b'"' => {
                let open = at;
                let mut escaped = false;
                let mut pos = open + 1;
                let close = loop {
                    match line.get(pos) {
                        None => return Err(Unterminated { at: open }),
                        Some(b'\\') => {
                            escaped = true;
                            pos += 2;
                        }
                        Some(b'"') if matches!(line.get(pos + 1), None | Some(b' ')) => break pos,
                        Some(_) => pos += 1,
                    }
                };
                tokens.push(Token {
                    start: open + 1,
                    end: close,
                    escaped,
                });
                at = close + 1;
            }
            _ => {
                let end = memchr::memchr(b' ', &line[at..]).map_or(line.len(), |n| at + n);
                tokens.push(Token::new(at, end));
                at = end;
            }
        }
    }
    Ok(())
}

/// The text of a quoted field with `\"` and `\\` unescaped (other backslashes kept), into
/// `scratch`.
fn unescape_quoted<'s>(text: &[u8], scratch: &'s mut Vec<u8>) -> &'s [u8] {
    scratch.clear();
    let mut bytes = text.iter();
    while let Some(&byte) = bytes.next() {
        match (byte, bytes.as_slice().first()) {
            (b'\\', Some(&next @ (b'"' | b'\\'))) => {
                scratch.push(next);
                bytes.next();
            }
            _ => scratch.push(byte),
        }
    }
    scratch
}

/// Decodes `%XX` escapes in `text` once, into `scratch`. Returns `text` itself when it has no
/// `%`, and when the decoded bytes are not UTF-8 (a JSON string must be).
///
/// CloudFront URL-encodes field values when it writes them, including the `%` of a value the
/// client had percent-encoded itself (a client's `%2C` is logged as `%252C`). One decoding
/// therefore gives the value as the client sent it: spaces in user agents come back, and a
/// client's own escapes stay as the client wrote them.
pub(crate) fn percent_decode<'t>(text: &'t [u8], scratch: &'t mut Vec<u8>) -> &'t [u8] {
    if memchr::memchr(b'%', text).is_none() {
        return text;
    }
    scratch.clear();
    let hex = |byte: u8| char::from(byte).to_digit(16);
    let mut at = 0;
    while at < text.len() {
        let byte = text[at];
        let escape = (byte == b'%')
            .then(|| Some((hex(*text.get(at + 1)?)?, hex(*text.get(at + 2)?)?)))
            .flatten();
        match escape {
            Some((high, low)) => {
                scratch.push((high * 16 + low) as u8);
                at += 3;
            }
            None => {
                scratch.push(byte);
                at += 1;
            }
        }
    }
    if std::str::from_utf8(scratch).is_ok() {
        scratch
    } else {
        text
    }
}

/// Working space for unescaping and decoding field text, reused from line to line.
#[derive(Default)]
pub(crate) struct Scratch {
    unescaped: Vec<u8>,
    decoded: Vec<u8>,
}

/// Writes one field, `token` of `line`, named `name`, as the member(s) its `kind` calls for.
pub(crate) fn write_field(
    object: &mut Object<'_>,
    (name, kind): (&str, Kind),
    line: &[u8],
    token: Token,
    scratch: &mut Scratch,
) {
    let raw = token.text(line);
    if raw == b"-" {
        return;
    }
    let text = if token.escaped {
        unescape_quoted(raw, &mut scratch.unescaped)
    } else {
        raw
    };
    match kind {
        Kind::Text => object.string(name, text),
        Kind::Number => object.number(name, text),
        Kind::Encoded => object.string(name, percent_decode(text, &mut scratch.decoded)),
        Kind::Endpoint { ip, port } => {
            object.string(name, text);
            write_endpoint(object, (ip, port), text);
        }
        Kind::Request => {
            object.string(name, text);
            write_request(object, text);
        }
    }
}

/// Writes the address and port members named `names` for `ip:port` (see [`Kind::Endpoint`]).
fn write_endpoint(object: &mut Object<'_>, names: (&str, &str), text: &[u8]) {
    let Some(colon) = text.iter().rposition(|&b| b == b':') else {
        return;
    };
    let (ip, port) = (&text[..colon], &text[colon + 1..]);
    let ip = ip
        .strip_prefix(b"[")
        .and_then(|ip| ip.strip_suffix(b"]"))
        .unwrap_or(ip);
    if ip.is_empty() || port.is_empty() || !port.iter().all(u8::is_ascii_digit) {
        return;
    }
    object.string(names.0, ip);
    object.number(names.1, port);
}

/// Writes `request_method`, `request_url` and `request_protocol` from a request line. The URL
/// is everything between the first and the last space, so URLs with spaces survive; parts that
/// are empty or `-` are absent.
fn write_request(object: &mut Object<'_>, text: &[u8]) {
    if text.iter().all(|&b| b == b'-' || b == b' ') {
        return;
    }
    let (method, rest) = match memchr::memchr(b' ', text) {
        Some(space) => (&text[..space], &text[space + 1..]),
        None => (text, &b""[..]),
    };
    let (url, protocol) = match memchr::memrchr(b' ', rest) {
        Some(space) => (&rest[..space], &rest[space + 1..]),
        None => (rest, &b""[..]),
    };
    for (name, part) in [
        ("request_method", method),
        ("request_url", url),
        ("request_protocol", protocol),
    ] {
        if !part.is_empty() && part != b"-" {
            object.string(name, part);
        }
    }
}

/// Whether `text` starts like an ISO 8601 time: `YYYY-MM-DDTHH:MM`.
pub(crate) fn is_iso_time(text: &[u8]) -> bool {
    let digits = |range: std::ops::Range<usize>| text[range].iter().all(u8::is_ascii_digit);
    text.len() >= 16
        && digits(0..4)
        && text[4] == b'-'
        && digits(5..7)
        && text[7] == b'-'
        && digits(8..10)
        && text[10] == b'T'
        && digits(11..13)
        && text[13] == b':'
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(line: &str, tokens: &[Token]) -> Vec<String> {
        tokens
            .iter()
            .map(|t| String::from_utf8_lossy(t.text(line.as_bytes())).into_owned())
            .collect()
    }

    #[test]
    fn splits_quoted_fields() {
        let line = r#"a "b c" "d \"e\" f" "" "g"h" i"#;
        let mut tokens = Vec::new();
        split_quoted(line.as_bytes(), &mut tokens).unwrap();
        assert_eq!(
            texts(line, &tokens),
            ["a", "b c", r#"d \"e\" f"#, "", r#"g"h"#, "i"]
        );
        assert!(tokens[2].escaped && !tokens[1].escaped);
        let mut scratch = Vec::new();
        assert_eq!(
            unescape_quoted(tokens[2].text(line.as_bytes()), &mut scratch),
            br#"d "e" f"#
        );
        assert_eq!(
            split_quoted(br#"a "never closed"#, &mut tokens),
            Err(Unterminated { at: 2 })
        );
    }

    #[test]
    fn splits_spaces_and_tabs() {
        let mut tokens = Vec::new();
        split_spaces(b"  a  b c ", &mut tokens);
        assert_eq!(texts("  a  b c ", &tokens), ["a", "b", "c"]);
        split_tabs(b"a\t\tb", &mut tokens);
        assert_eq!(texts("a\t\tb", &tokens), ["a", "", "b"]);
    }

    #[test]
    fn decodes_percent_escapes_once() {
        let mut scratch = Vec::new();
        assert_eq!(
            percent_decode(b"Mozilla/5.0%20(X11)", &mut scratch),
            b"Mozilla/5.0 (X11)"
        );
        assert_eq!(percent_decode(b"a%252Cb", &mut scratch), b"a%2Cb");
        assert_eq!(percent_decode(b"100%", &mut scratch), b"100%");
        assert_eq!(percent_decode(b"%zz%4", &mut scratch), b"%zz%4");
        assert_eq!(percent_decode(b"%C3%A9", &mut scratch), "é".as_bytes());
        // Not UTF-8 once decoded: kept as written.
        assert_eq!(percent_decode(b"%FF", &mut scratch), b"%FF");
    }

    const CLIENT: Kind = Kind::Endpoint {
        ip: "client_ip",
        port: "client_port",
    };

    fn members(kind: Kind, name: &'static str, text: &str) -> String {
        let mut out = Vec::new();
        let mut object = Object::open(&mut out);
        let token = Token::new(0, text.len());
        write_field(
            &mut object,
            (name, kind),
            text.as_bytes(),
            token,
            &mut Scratch::default(),
        );
        object.close();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn endpoints_and_requests_are_split() {
        assert_eq!(
            members(CLIENT, "client:port", "[2001:db8::1]:443"),
            r#"{"client:port":"[2001:db8::1]:443","client_ip":"2001:db8::1","client_port":443}"#
        );
        assert_eq!(
            members(CLIENT, "client:port", "2001:db8::1:80"),
            r#"{"client:port":"2001:db8::1:80","client_ip":"2001:db8::1","client_port":80}"#
        );
        assert_eq!(members(CLIENT, "client:port", "-"), "{}");
        assert_eq!(
            members(Kind::Request, "request", "GET http://h/a b HTTP/1.1"),
            r#"{"request":"GET http://h/a b HTTP/1.1","request_method":"GET","request_url":"http://h/a b","request_protocol":"HTTP/1.1"}"#
        );
        assert_eq!(
            members(Kind::Request, "request", "- - - "),
            r#"{"request":"- - - "}"#
        );
        assert_eq!(
            members(Kind::Request, "request", "- http://h:80-/ "),
            r#"{"request":"- http://h:80-/ ","request_url":"http://h:80-/"}"#
        );
    }
}
