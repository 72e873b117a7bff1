//! What keeps a secret out of the debug log.
//!
//! 1. By construction: a line that carries a password on the wire is
//!    logged as a placeholder (the callers pass the placeholder), and from
//!    then until the server's reply that answers it, only that reply's
//!    tag, status and response code are logged ([`reply_summary`]), never
//!    its free text: a server that echoes what it was sent cannot put it in
//!    the log.
//! 2. A last-line filter over the raw text of every line, before it is
//!    escaped or cut: every password in use is registered in the forms it
//!    can take ([`forms`]), and a line holding any of them, in any letter
//!    case, is replaced whole.

use zeroize::Zeroizing;

use super::Component;
use crate::sys::base64::encode_into as base64_into;

/// The shortest window of a password that is matched on its own: any
/// 8 characters of it (or of its form without hyphens) in a row.
pub const WINDOW: usize = 8;

/// The same for the base64 forms: 11 characters carry 8 bytes.
pub const B64_WINDOW: usize = 11;

/// Every form of `password` the filter looks for, lower-cased: as typed,
/// without hyphens, IMAP-quoted (`\` and `"` escaped), every
/// [`WINDOW`]-character window of those; and the base64 that encodes it
/// inside any SASL string (the password at each of the three byte
/// alignments, without padding), with every [`B64_WINDOW`]-character
/// window of that. Over-redaction is harmless; forms shorter than 4
/// characters are left out (they would redact ordinary lines and protect
/// nothing).
pub fn forms(password: &str) -> Vec<Zeroizing<String>> {
    let bare = Zeroizing::new(password.replace('-', ""));
    let mut quoted = Zeroizing::new(String::with_capacity(password.len() + 4));
    for c in password.chars() {
        if c == '"' || c == '\\' {
            quoted.push('\\');
        }
        quoted.push(c);
    }
    let mut out: Vec<Zeroizing<String>> = Vec::new();
    for text in [password, bare.as_str(), quoted.as_str()] {
        push_with_windows(&mut out, text, WINDOW);
    }
    for raw in [password, bare.as_str()] {
        for align in 0..3 {
            let core = base64_core(raw.as_bytes(), align);
            push_with_windows(&mut out, &core, B64_WINDOW);
        }
    }
    out
}

/// `text` and each of its `window`-character windows, lower-cased, into
/// `out` (without duplicates).
fn push_with_windows(out: &mut Vec<Zeroizing<String>>, text: &str, window: usize) {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut add = |s: &str| {
        if s.chars().count() < 4 {
            return;
        }
        let lower = Zeroizing::new(s.to_lowercase());
        if !out.iter().any(|o| o.as_str() == lower.as_str()) {
            out.push(lower);
        }
    };
    add(text);
    if chars.len() > window {
        for i in 0..=chars.len() - window {
            let start = chars[i].0;
            let end = chars.get(i + window).map_or(text.len(), |c| c.0);
            add(&text[start..end]);
        }
    }
}

/// The base64 characters that depend only on `raw`'s bytes when `raw`
/// starts `align` bytes into a 3-byte group of a longer string: what any
/// base64 of a string holding `raw` at that alignment contains.
fn base64_core(raw: &[u8], align: usize) -> Zeroizing<String> {
    let mut input = Zeroizing::new(vec![0u8; align]);
    input.extend_from_slice(raw);
    let mut encoded = Zeroizing::new(Vec::with_capacity(input.len().div_ceil(3) * 4));
    base64_into(&input, &mut encoded);
    // Character i covers bits 6i..6i+6 of the input.
    let first = (8 * align).div_ceil(6);
    let last = (8 * input.len()) / 6;
    let core = encoded.get(first..last.max(first)).unwrap_or_default();
    Zeroizing::new(String::from_utf8_lossy(core).into_owned())
}

/// Whether `text` holds any of `secrets` (lower-cased forms), letter case
/// ignored.
pub fn holds_secret(text: &str, secrets: &[Zeroizing<String>]) -> bool {
    if secrets.is_empty() {
        return false;
    }
    let lower = Zeroizing::new(text.to_lowercase());
    secrets.iter().any(|s| lower.contains(s.as_str()))
}

/// A server's reply line shown without its free text: for IMAP the tag,
/// the status and a response code of plain letters
/// (`a1 NO [AUTHENTICATIONFAILED] <text omitted>`), for SMTP the code and
/// the enhanced status code (`535 5.7.8 <text omitted>`).
pub fn reply_summary(component: Component, line: &str) -> String {
    let line = line.trim_end();
    // How much of the line is shown (a prefix), and that prefix.
    let mut shown = 0;
    if component == Component::Smtp {
        let code = line
            .get(..3)
            .is_some_and(|c| c.bytes().all(|b| b.is_ascii_digit()));
        if code {
            shown = 3;
            let sep = line.get(3..4);
            if matches!(sep, Some(" " | "-")) {
                let status = line[4..].split(' ').next().unwrap_or("");
                let parts: Vec<&str> = status.split('.').collect();
                if parts.len() == 3
                    && parts.iter().all(|p| {
                        !p.is_empty() && p.len() <= 3 && p.bytes().all(|b| b.is_ascii_digit())
                    })
                {
                    shown = 4 + status.len();
                }
            }
        }
    } else {
        let tag_ok = |t: &str| {
            t == "*" || t == "+" || (t.len() <= 8 && t.bytes().all(|b| b.is_ascii_alphanumeric()))
        };
        let status_ok = |s: &str| s.len() <= 12 && s.bytes().all(|b| b.is_ascii_uppercase());
        let code_ok = |c: &str| {
            c.len() <= 34
                && c.len() > 2
                && c.starts_with('[')
                && c.ends_with(']')
                && c[1..c.len() - 1]
                    .bytes()
                    .all(|b| b.is_ascii_uppercase() || b == b'-')
        };
        let checks: [&dyn Fn(&str) -> bool; 3] = [&tag_ok, &status_ok, &code_ok];
        let mut at = 0;
        for (word, ok) in line.split(' ').zip(checks) {
            if word.is_empty() || !ok(word) {
                break;
            }
            at += word.len();
            shown = at;
            at += 1;
        }
    }
    let mut out = line[..shown].to_string();
    if shown < line.len() {
        if shown > 0 {
            out.push(' ');
        }
        out.push_str("<text omitted>");
    }
    out
}

/// Whether `line` is the last line of a reply (an IMAP tagged status, an
/// SMTP line without the `-` of a continuation).
pub fn ends_reply(component: Component, line: &str) -> bool {
    if component == Component::Smtp {
        line.as_bytes().get(3) != Some(&b'-')
    } else {
        !(line.starts_with("* ") || line.starts_with('+'))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(raw: &[u8]) -> String {
        crate::sys::base64::encode(raw).to_string()
    }

    const PW: &str = "abcd-efgh-ijkl-mnop";

    #[test]
    fn every_form_and_piece_of_a_password_is_caught() {
        let secrets = forms(PW);
        let mut lines = vec![
            PW.to_string(),
            PW.to_uppercase(),
            "abcdefghijklmnop".into(),
            // A cut echo: any 8 characters in a row.
            "a1 NO \"you\" \"abcd-efgh-ij".into(),
            "xx efgh-ijk".into(),
        ];
        // The password inside SASL strings at each alignment, with and
        // without padding, whole and cut at either end.
        for prefix in [
            "\0u\0",
            "\0us\0",
            "\0use\0",
            "u@x\0u@x\0",
            "\0me@icloud.com\0",
        ] {
            let full = b64(format!("{prefix}{PW}").as_bytes());
            lines.push(format!("535 5.7.8 {full}"));
            lines.push(format!("535 5.7.8 {}", full.trim_end_matches('=')));
            lines.push(format!("535 {}", &full[..full.len() - 8]));
            lines.push(format!("535 {}", &full[full.len() - 16..]));
        }
        lines.push(b64(PW.as_bytes()));
        for line in &lines {
            assert!(holds_secret(line, &secrets), "not caught: {line:?}");
        }
        for fine in [
            "* OK ready",
            "a1 NO [AUTHENTICATIONFAILED] failed",
            "235 2.7.0 ok",
        ] {
            assert!(!holds_secret(fine, &secrets), "{fine}");
        }
    }

    #[test]
    fn a_password_with_quotes_and_backslashes_is_caught_raw_and_quoted() {
        let pw = "pa\"ss\\wo\"rd-x";
        let secrets = forms(pw);
        assert!(holds_secret(&format!("a1 NO {pw}"), &secrets));
        assert!(holds_secret("a1 NO \"pa\\\"ss\\\\wo\\\"rd-x\"", &secrets));
    }

    #[test]
    fn a_reply_after_credentials_keeps_only_its_tag_status_and_code() {
        let cases = [
            (
                Component::Imap,
                "a1 NO [AUTHENTICATIONFAILED] you sent abcd",
                "a1 NO [AUTHENTICATIONFAILED] <text omitted>",
            ),
            (Component::Imap, "a1 OK", "a1 OK"),
            (Component::Imap, "* BYE abcd-efgh", "* BYE <text omitted>"),
            (
                Component::Imap,
                "a1 NO [abcd-efgh] x",
                "a1 NO <text omitted>",
            ),
            (Component::Imap, "abcd-efgh-ijkl NO x", "<text omitted>"),
            (
                Component::Smtp,
                "535 5.7.8 Error: abcd",
                "535 5.7.8 <text omitted>",
            ),
            (
                Component::Smtp,
                "535-5.7.8 Error:",
                "535-5.7.8 <text omitted>",
            ),
            (Component::Smtp, "334 VXNlcm5hbWU6", "334 <text omitted>"),
            (Component::Smtp, "235", "235"),
            (Component::Smtp, "abcd-efgh", "<text omitted>"),
        ];
        for (c, line, want) in cases {
            assert_eq!(reply_summary(c, line), want, "{line}");
        }
        assert!(!ends_reply(Component::Smtp, "535-5.7.8 x"));
        assert!(ends_reply(Component::Smtp, "535 5.7.8 x"));
        assert!(!ends_reply(Component::Imap, "* BYE x"));
        assert!(ends_reply(Component::Imap, "a1 NO x"));
    }
}
