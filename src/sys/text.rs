//! Text that leaves the program for a shell, a client config or a terminal.
//!
//! What a person may paste into a shell (the password command) is quoted for
//! POSIX `sh`, so an address can never run as code there. What came from
//! outside (a config file, a server, a command line) and goes to a terminal
//! has its non-printing characters shown as escapes, so it cannot move the
//! cursor, set the title, recolour the screen or reorder what is shown.

use std::borrow::Cow;

/// Bidirectional controls: they reorder how the text around them is shown,
/// so what a person reads is not what a program gets ("Trojan Source").
pub fn is_bidi_control(c: char) -> bool {
    matches!(
        c,
        '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}'
    )
}

/// Zero-width characters: invisible, and common in text copied from web
/// pages and chats.
pub fn is_zero_width(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{FEFF}')
}

/// Whose words a message uses: a POSIX shell's (Linux, macOS, the BSDs)
/// or Windows' (cmd and PowerShell). Wording that differs is written as a
/// function of it, so both are tested everywhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Platform {
    Unix,
    Windows,
}

impl Platform {
    /// The platform this program runs on.
    pub const HERE: Platform = if cfg!(windows) {
        Platform::Windows
    } else {
        Platform::Unix
    };
}

/// `s` as one word for the shell a person types commands into here: see
/// [`quote_for`].
pub fn shell_quote(s: &str) -> Cow<'_, str> {
    quote_for(Platform::HERE, s)
}

/// `s` as one word, as it is when it has only characters no shell treats
/// specially. Otherwise, on Unix in single quotes for POSIX `sh` (inside
/// which nothing is special), each `'` written as `'\''`; on Windows in
/// double quotes as a program's C runtime splits its command line
/// ([`windows_arg`]), which cmd and PowerShell pass on unchanged for the
/// addresses and paths quoted here.
pub fn quote_for(platform: Platform, s: &str) -> Cow<'_, str> {
    let plain = |c: char| c.is_ascii_alphanumeric() || "@%+=:,./_-".contains(c);
    if !s.is_empty() && s.chars().all(plain) {
        return Cow::Borrowed(s);
    }
    if platform == Platform::Windows {
        return Cow::Owned(windows_quoted(s));
    }
    let mut out = String::with_capacity(s.len() + 2);
    out.push('\'');
    for c in s.chars() {
        if c == '\'' {
            out.push_str("'\\''");
        } else {
            out.push(c);
        }
    }
    out.push('\'');
    Cow::Owned(out)
}

/// One argument as a Windows program's C runtime splits its command line
/// (CommandLineToArgvW): quoted when it has a space, tab or quote or is
/// empty; inside quotes, a `"` is `\"` and backslashes right before a
/// quote (or the closing quote) are doubled.
pub fn windows_arg(arg: &str) -> String {
    if !arg.is_empty() && !arg.contains([' ', '\t', '"']) {
        return arg.to_string();
    }
    windows_quoted(arg)
}

fn windows_quoted(arg: &str) -> String {
    let mut out = String::from("\"");
    let mut backslashes = 0;
    for c in arg.chars() {
        match c {
            '\\' => backslashes += 1,
            '"' => {
                out.push_str(&"\\".repeat(backslashes * 2 + 1));
                out.push('"');
                backslashes = 0;
            }
            c => {
                out.push_str(&"\\".repeat(backslashes));
                out.push(c);
                backslashes = 0;
            }
        }
    }
    out.push_str(&"\\".repeat(backslashes * 2));
    out.push('"');
    out
}

/// Whether a terminal would act on `c` or hide it: a control character
/// (C0, DEL, C1), a bidi control or a zero-width character.
pub fn acts_on_terminal(c: char) -> bool {
    c.is_control() || is_bidi_control(c) || is_zero_width(c)
}

/// `s` with every character a terminal would act on or hide
/// ([`acts_on_terminal`]) shown as an escape: C0 controls (ESC, and line
/// breaks too: this is for one-line values), DEL and C1 controls as
/// `\xNN` or `\u{NNNN}`, as are bidi and zero-width characters.
/// Everything else is unchanged.
pub fn escape_for_terminal(s: &str) -> Cow<'_, str> {
    if !s.chars().any(acts_on_terminal) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if !acts_on_terminal(c) {
            out.push(c);
        } else if c.is_ascii() {
            out.push_str(&format!("\\x{:02x}", c as u32));
        } else {
            out.push_str(&format!("\\u{{{:04x}}}", c as u32));
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_words_are_left_alone() {
        for s in ["emily@icloud.com", "a+b=c:d,e/f_g-h.i%j", "ABC123"] {
            assert!(matches!(shell_quote(s), Cow::Borrowed(_)), "{s}");
        }
        let unix = |s| quote_for(Platform::Unix, s).into_owned();
        assert_eq!(unix(""), "''");
        assert_eq!(unix("a b"), "'a b'");
        assert_eq!(unix("a'b"), r"'a'\''b'");
        assert_eq!(unix("$(reboot)"), "'$(reboot)'");
    }

    #[test]
    fn windows_gets_double_quotes_not_posix_ones() {
        let win = |s| quote_for(Platform::Windows, s).into_owned();
        assert_eq!(win("emily@icloud.com"), "emily@icloud.com");
        assert_eq!(win(""), r#""""#);
        assert_eq!(win(r"C:\My Files\c.toml"), r#""C:\My Files\c.toml""#);
        assert_eq!(win("it's"), r#""it's""#);
        assert_eq!(win("R&D"), r#""R&D""#);
        assert_eq!(win(r#"a"b"#), r#""a\"b""#);
        assert_eq!(win("o'brien@icloud.com"), r#""o'brien@icloud.com""#);
    }

    #[test]
    fn windows_arguments_are_quoted_for_the_c_runtime() {
        assert_eq!(windows_arg("verify"), "verify");
        assert_eq!(
            windows_arg(r"C:\dir with space\"),
            r#""C:\dir with space\\""#
        );
        assert_eq!(windows_arg(r#"a\"b"#), r#""a\\\"b""#);
    }

    #[cfg(unix)]
    #[test]
    fn quoted_words_come_back_unchanged_from_sh() {
        for s in [
            "a'b",
            "",
            "''",
            "a b",
            "$(touch /nonexistent/x)",
            "`id`",
            "a;b|c&d",
            "\\",
            "!#~*?[]{}<>\"",
            "line\nbreak",
            "caf\u{e9}",
            "emily@icloud.com",
        ] {
            let out = std::process::Command::new("/bin/sh")
                .arg("-c")
                .arg(format!("printf %s {}", shell_quote(s)))
                .output()
                .expect("run /bin/sh");
            assert!(out.status.success(), "{s:?}");
            assert_eq!(String::from_utf8(out.stdout).unwrap(), s, "{s:?}");
        }
    }

    #[test]
    fn escape_sequences_and_bidi_overrides_are_neutralised() {
        assert!(matches!(
            escape_for_terminal("emily@icloud.com é ✓"),
            Cow::Borrowed(_)
        ));
        let shown = escape_for_terminal("a\u{1b}[2J\u{1b}]0;pwned\u{7}b\r\n\t\u{7f}");
        assert_eq!(shown, r"a\x1b[2J\x1b]0;pwned\x07b\x0d\x0a\x09\x7f");
        assert!(!shown.chars().any(char::is_control));
        assert_eq!(escape_for_terminal("\u{9b}31m"), r"\u{009b}31m");
        let shown = escape_for_terminal("user\u{202e}moc.duolci\u{202c}@x\u{200b}\u{feff}");
        assert_eq!(shown, r"user\u{202e}moc.duolci\u{202c}@x\u{200b}\u{feff}");
        for c in [
            '\u{61c}', '\u{200e}', '\u{200f}', '\u{2066}', '\u{2069}', '\u{2060}',
        ] {
            assert!(
                escape_for_terminal(&c.to_string()).starts_with("\\u{"),
                "{c:?}"
            );
        }
    }
}
