//! A git credential request as git writes it: `key=value` lines up to a
//! blank line or EOF, read with bounds (see gitcredentials(7) and
//! git-credential(1), "INPUT/OUTPUT FORMAT").

use std::io::{BufRead, Read};

use zeroize::Zeroizing;

/// The longest request line accepted, newline excluded.
pub const MAX_LINE: usize = 8 * 1024;
/// The most bytes of request read in all.
pub const MAX_INPUT: usize = 64 * 1024;

/// The parts of a request the helper looks at. A password in the request
/// is noted, never kept.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Request {
    pub protocol: Option<String>,
    /// As git sends it: `HOST` or `HOST:PORT` (`[V6]:PORT`).
    pub host: Option<String>,
    pub path: Option<String>,
    pub username: Option<String>,
    pub has_password: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProtocolError {
    #[error("a request line is longer than {MAX_LINE} bytes")]
    LineTooLong,
    #[error("the request is longer than {MAX_INPUT} bytes")]
    TooLong,
    #[error("request line {0} is not key=value")]
    NotKeyValue(usize),
    #[error("request line {0} has a NUL byte")]
    Nul(usize),
    #[error("the url= in the request has no scheme (want e.g. smtp://host:587)")]
    BadUrl,
    #[error("could not read the request: {0}")]
    Io(String),
}

/// Read one request: `key=value` lines until a blank line or EOF, with
/// the bounds above. Unknown keys are ignored; `url=` is split into its
/// parts as git does (it replaces what came before it).
pub fn read_request(input: &mut dyn BufRead) -> Result<Request, ProtocolError> {
    let mut req = Request::default();
    let mut total = 0usize;
    // Room for a whole line up front, so the buffer (which may hold a
    // password) is never reallocated and left behind unzeroed.
    let mut line = Zeroizing::new(Vec::with_capacity(MAX_LINE + 2));
    for number in 1.. {
        line.clear();
        let n = Read::take(&mut *input, (MAX_LINE + 2) as u64)
            .read_until(b'\n', &mut line)
            .map_err(|e| ProtocolError::Io(e.to_string()))?;
        if n == 0 {
            break;
        }
        total += n;
        if total > MAX_INPUT {
            return Err(ProtocolError::TooLong);
        }
        let mut content: &[u8] = &line;
        content = content.strip_suffix(b"\n").unwrap_or(content);
        content = content.strip_suffix(b"\r").unwrap_or(content);
        if content.len() > MAX_LINE {
            return Err(ProtocolError::LineTooLong);
        }
        if content.is_empty() {
            break;
        }
        if content.contains(&0) {
            return Err(ProtocolError::Nul(number));
        }
        let Some(eq) = content.iter().position(|&b| b == b'=') else {
            return Err(ProtocolError::NotKeyValue(number));
        };
        let (key, value) = (&content[..eq], &content[eq + 1..]);
        let text = || String::from_utf8_lossy(value).into_owned();
        match key {
            b"protocol" => req.protocol = Some(text()),
            b"host" => req.host = Some(text()),
            b"path" => req.path = Some(text()),
            b"username" => req.username = Some(text()),
            b"password" => req.has_password = true,
            b"url" => req = from_url(&String::from_utf8_lossy(value))?,
            _ => {}
        }
    }
    Ok(req)
}

/// `scheme://[user[:password]@]host[:port][/path]`, as git splits it;
/// user, host and path percent-decoded. The password part is not kept.
fn from_url(url: &str) -> Result<Request, ProtocolError> {
    let (scheme, rest) = url.split_once("://").ok_or(ProtocolError::BadUrl)?;
    if scheme.is_empty() {
        return Err(ProtocolError::BadUrl);
    }
    let (authority, path) = match rest.split_once('/') {
        Some((a, p)) => (a, Some(p)),
        None => (rest, None),
    };
    let (userinfo, host) = match authority.rsplit_once('@') {
        Some((u, h)) => (Some(u), h),
        None => (None, authority),
    };
    let (user, has_password) = match userinfo {
        Some(u) => match u.split_once(':') {
            Some((name, _)) => (Some(name), true),
            None => (Some(u), false),
        },
        None => (None, false),
    };
    Ok(Request {
        protocol: Some(scheme.to_string()),
        host: (!host.is_empty()).then(|| percent_decode(host)),
        path: path.filter(|p| !p.is_empty()).map(percent_decode),
        username: user.map(percent_decode),
        has_password,
    })
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
        {
            out.push((h * 16 + l) as u8);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `HOST`, `HOST:PORT` or `[V6]:PORT` into a lowercased host and the port
/// (`None` when absent). `None` when the port is not a number.
pub fn split_host(host: &str) -> Option<(String, Option<u16>)> {
    let (name, port) = if let Some(rest) = host.strip_prefix('[') {
        match rest.split_once(']') {
            Some((h, "")) => (h, None),
            Some((h, p)) => (h, Some(p.strip_prefix(':')?)),
            None => return None,
        }
    } else {
        match host.split_once(':') {
            // Bare IPv6 without brackets: all host.
            Some((_, p)) if p.contains(':') => (host, None),
            Some((h, p)) => (h, Some(p)),
            None => (host, None),
        }
    };
    let port = match port {
        Some(p) => Some(p.parse::<u16>().ok().filter(|&p| p != 0)?),
        None => None,
    };
    Some((name.to_ascii_lowercase(), port))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<Request, ProtocolError> {
        read_request(&mut s.as_bytes())
    }

    #[test]
    fn reads_what_git_send_email_sends() {
        let r = parse(
            "capability[]=authtype\nprotocol=smtp\nhost=smtp.mail.me.com:587\n\
             username=emily@icloud.com\n\nprotocol=ignored-after-blank\n",
        )
        .unwrap();
        assert_eq!(r.protocol.as_deref(), Some("smtp"));
        assert_eq!(r.host.as_deref(), Some("smtp.mail.me.com:587"));
        assert_eq!(r.username.as_deref(), Some("emily@icloud.com"));
        assert!(!r.has_password);
    }

    #[test]
    fn eof_without_blank_line_crlf_and_later_keys_win() {
        let r = parse("protocol=https\r\nprotocol=smtp\r\nhost=a=b").unwrap();
        assert_eq!(r.protocol.as_deref(), Some("smtp"));
        assert_eq!(r.host.as_deref(), Some("a=b"));
        assert_eq!(parse("").unwrap(), Request::default());
    }

    #[test]
    fn passwords_in_requests_are_noted_not_kept() {
        let r = parse("protocol=smtp\npassword=abcd-efgh-ijkl-mnop\n").unwrap();
        assert!(r.has_password);
        assert!(!format!("{r:?}").contains("abcd"));
    }

    #[test]
    fn url_is_split_like_git_does() {
        let r = parse("host=old\nurl=smtp://emily%40icloud.com@smtp.mail.me.com:587\n").unwrap();
        assert_eq!(r.protocol.as_deref(), Some("smtp"));
        assert_eq!(r.host.as_deref(), Some("smtp.mail.me.com:587"));
        assert_eq!(r.username.as_deref(), Some("emily@icloud.com"));
        assert_eq!(r.path, None);
        let r = parse("url=https://u:secret@example.com/a/b%20c\n").unwrap();
        assert_eq!(r.host.as_deref(), Some("example.com"));
        assert_eq!(r.path.as_deref(), Some("a/b c"));
        assert_eq!(r.username.as_deref(), Some("u"));
        assert!(r.has_password);
        assert!(!format!("{r:?}").contains("secret"));
        assert_eq!(parse("url=example.com\n"), Err(ProtocolError::BadUrl));
        // A stray % is kept as it is.
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz%4"), "%zz%4");
    }

    #[test]
    fn bounds_and_malformed_lines() {
        let long = format!("host={}\n", "a".repeat(MAX_LINE));
        assert_eq!(parse(&long), Err(ProtocolError::LineTooLong));
        // Exactly MAX_LINE bytes of line is fine.
        let ok = format!("host={}\n", "a".repeat(MAX_LINE - 5));
        assert!(parse(&ok).is_ok());
        let many = "x-unknown=1234567\n".repeat(MAX_INPUT / 18 + 1);
        assert_eq!(parse(&many), Err(ProtocolError::TooLong));
        assert_eq!(
            parse("protocol=smtp\nnonsense\n"),
            Err(ProtocolError::NotKeyValue(2))
        );
        assert_eq!(parse("host=a\0b\n"), Err(ProtocolError::Nul(1)));
        // An endless line without a newline stops at the bound.
        let mut endless = std::io::repeat(b'a');
        let mut reader = std::io::BufReader::new(&mut endless);
        assert_eq!(read_request(&mut reader), Err(ProtocolError::LineTooLong));
    }

    #[test]
    fn hosts_and_ports() {
        assert_eq!(
            split_host("SMTP.mail.me.com:587"),
            Some(("smtp.mail.me.com".into(), Some(587)))
        );
        assert_eq!(
            split_host("smtp.mail.me.com"),
            Some(("smtp.mail.me.com".into(), None))
        );
        assert_eq!(split_host("[::1]:1587"), Some(("::1".into(), Some(1587))));
        assert_eq!(split_host("[::1]"), Some(("::1".into(), None)));
        assert_eq!(split_host("::1"), Some(("::1".into(), None)));
        assert_eq!(split_host("h:x"), None);
        assert_eq!(split_host("h:0"), None);
        assert_eq!(split_host("[::1]x"), None);
    }
}
