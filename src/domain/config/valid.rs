//! The checks every field of the config gets as it is read: a bad value
//! is an error at its line (the parser adds it), never replaced by a
//! default.

use serde::Deserialize;
use serde::de::{Deserializer, Error};

fn printable(field: &str, s: &str) -> Result<(), String> {
    if s.chars().any(|c| {
        c.is_control() || crate::sys::text::is_bidi_control(c) || crate::sys::text::is_zero_width(c)
    }) {
        return Err(format!(
            "{field} `{}` has control or invisible characters",
            crate::sys::text::escape_for_terminal(s)
        ));
    }
    Ok(())
}

fn optional<'de, D: Deserializer<'de>>(
    d: D,
    check: impl FnOnce(String) -> Result<String, String>,
) -> Result<Option<String>, D::Error> {
    match Option::<String>::deserialize(d)? {
        Some(s) => check(s).map(Some).map_err(D::Error::custom),
        None => Ok(None),
    }
}

/// An address (`email`, `login`), lowercased as `Email::parse` makes it.
pub fn email<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let s = String::deserialize(d)?;
    crate::domain::account::Email::parse(&s)
        .map(|e| e.as_str().to_string())
        .map_err(|e| {
            D::Error::custom(format!(
                "`{}` is not an address: {e}",
                crate::sys::text::escape_for_terminal(&s)
            ))
        })
}

fn username(which: &str, s: String) -> Result<String, String> {
    printable(which, &s)?;
    if s.is_empty() || s.len() > crate::domain::account::MAX_EMAIL_LEN {
        return Err(format!("{which} `{s}` is empty or too long"));
    }
    Ok(s)
}

pub fn imap_username<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    optional(d, |s| username("IMAP username", s))
}

pub fn smtp_username<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    optional(d, |s| username("SMTP username", s))
}

pub fn label<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    optional(d, |s| {
        crate::domain::account::check_label(&s)
            .map_err(|e| format!("label `{}`: {e}", crate::sys::text::escape_for_terminal(&s)))
    })
}

pub fn timestamp<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    optional(d, |s| match humantime::parse_rfc3339_weak(&s) {
        Ok(_) => Ok(s),
        Err(_) => Err(format!(
            "`{}` is not an RFC 3339 time",
            crate::sys::text::escape_for_terminal(&s)
        )),
    })
}

pub fn check_result<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    const KNOWN: [&str; 6] = [
        "ok",
        "rejected",
        "network",
        "keyring",
        "no_password",
        "error",
    ];
    optional(d, |s| {
        if KNOWN.contains(&s.as_str()) {
            Ok(s)
        } else {
            Err(format!(
                "check_result `{}` is none of: {}",
                crate::sys::text::escape_for_terminal(&s),
                KNOWN.join(", ")
            ))
        }
    })
}

fn endpoint(field: &str, s: String) -> Result<String, String> {
    printable(field, &s)?;
    crate::domain::mail::Endpoint::parse(&s)
        .map(|_| s)
        .map_err(|e| format!("{field}: {}", crate::sys::text::escape_for_terminal(&e)))
}

pub fn imap_server<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    optional(d, |s| endpoint("imap_server", s))
}

pub fn smtp_server<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    optional(d, |s| endpoint("smtp_server", s))
}

pub fn ca_file<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    optional(d, |s| {
        printable("ca_file", &s)?;
        if !std::path::Path::new(&s).is_absolute() {
            return Err(format!("ca_file: `{s}` is not an absolute path"));
        }
        Ok(s)
    })
}

pub fn clients<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    let names = Vec::<String>::deserialize(d)?;
    for name in &names {
        name.parse::<crate::domain::export::Client>()
            .map_err(|e| D::Error::custom(format!("exported: {e}")))?;
    }
    Ok(names)
}
