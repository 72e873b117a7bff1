//! What `?` explains on each step, for both front ends: the TUI's help
//! overlay and plain mode's `?` print these same sections. Facts from
//! shared/design/icloud.md; each section names the Apple support article
//! it rests on. Articles checked: 102654 (app-specific passwords: 2FA
//! needed, at most 25, revoking, a changed Apple Account password revokes
//! all), 102525 (iCloud Mail server settings for other mail apps), 102660
//! (two-factor authentication for Apple Account; not in icloud.md, found
//! and read through a search of Apple's support pages while writing this).
//! What the check does is read from this program's own code
//! (`account.rs`, `mail/imap.rs`), not from any article.

use crate::domain::mail::diagnosis::diagnose;
use crate::domain::mail::{ErrorKind, Protocol};

use super::model::*;

pub const APP_PASSWORDS_ARTICLE: &str = "https://support.apple.com/en-us/102654";
pub const MAIL_SETTINGS_ARTICLE: &str = "https://support.apple.com/en-us/102525";
pub const TWO_FACTOR_ARTICLE: &str = "https://support.apple.com/en-us/102660";

/// One topic: a heading, paragraphs, and the article to read more in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    pub title: String,
    pub paragraphs: Vec<String>,
    pub url: Option<&'static str>,
}

fn section(title: &str, paragraphs: &[&str], url: Option<&'static str>) -> Section {
    Section {
        title: title.to_string(),
        paragraphs: paragraphs.iter().map(|p| p.to_string()).collect(),
        url,
    }
}

/// The help for plain mode: the same, except that plain mode has no QR code
/// or copy key, so the links section says what it does instead.
pub fn plain(m: &Model) -> Vec<Section> {
    let tui_links = [links(), password_links()];
    help(m)
        .into_iter()
        .map(|s| {
            if tui_links.contains(&s) {
                plain_links()
            } else {
                s
            }
        })
        .collect()
}

/// The help for the step the model is on, most specific first.
pub fn help(m: &Model) -> Vec<Section> {
    match &m.screen {
        Screen::Welcome => vec![welcome(), links()],
        Screen::TwoFactor(_) => vec![two_factor(), menu_names(), links()],
        Screen::AppPassword { .. } => vec![
            apple_page(),
            menu_names(),
            not_there(),
            limit(),
            revoking(),
            links(),
        ],
        Screen::Account => vec![address(), custom_domain()],
        Screen::Password => vec![
            what_to_paste(),
            not_there(),
            limit(),
            revoking(),
            password_links(),
        ],
        Screen::Verify(v) => {
            let mut s = failures(m, v);
            s.push(the_check());
            s.push(failure_list());
            s
        }
        Screen::Save(_) | Screen::Done | Screen::Export(_) => vec![kept(), revoking()],
    }
}

/// The sections as lines of plain text: a heading, its paragraphs, and the
/// article's address alone on its line (so terminals make it a link).
pub fn text(sections: &[Section]) -> Vec<String> {
    let mut out = Vec::new();
    for (i, s) in sections.iter().enumerate() {
        if i > 0 {
            out.push(String::new());
        }
        out.push(s.title.clone());
        out.extend(s.paragraphs.iter().cloned());
        if let Some(url) = s.url {
            out.push("Apple's article:".into());
            out.push(url.to_string());
        }
    }
    out
}

fn welcome() -> Section {
    section(
        "What this program does",
        &[
            "It walks you through making an app-specific password for iCloud Mail, checks it \
             with a real login to iCloud's IMAP (port 993) and SMTP (port 587) servers, and \
             keeps it in your system keyring. Mail programs then ask for it with \
             `icloud-mail-setup password EMAIL`; it is never written to a config file.",
            "You need: your iCloud Mail address, two-factor authentication on your Apple \
             Account, and a browser signed in at account.apple.com (a phone will do).",
        ],
        Some(MAIL_SETTINGS_ARTICLE),
    )
}

fn links() -> Section {
    section(
        "The browser on another device",
        &[
            "Where a screen shows a link, you can open it here, show it as a QR code to scan \
             with a phone's camera, or copy it to the clipboard (with OSC 52, which works over \
             SSH and inside tmux with `set -g set-clipboard on`). The keys are listed below.",
        ],
        None,
    )
}

/// On the password step every letter goes into the field: the link is
/// opened or shown with Ctrl keys, and never copied here (the clipboard
/// may hold the password Apple shows only once).
fn password_links() -> Section {
    section(
        "The browser on another device",
        &[
            "In the password field letters are typed, not taken as keys: Ctrl-O opens \
             account.apple.com in this computer's browser and Ctrl-G shows it as a QR code to \
             scan with a phone. The link is not copied from this step, so that a password \
             already on your clipboard stays there.",
        ],
        None,
    )
}

fn plain_links() -> Section {
    section(
        "The browser on another device",
        &[
            "Where a step has a link, it is printed alone on its own line: select it (a \
             triple-click takes the whole line) or type it into a browser on another device, \
             such as a phone. `o` opens it in this computer's browser instead.",
        ],
        None,
    )
}

fn two_factor() -> Section {
    section(
        "Why two-factor authentication",
        &[
            "Apple gives app-specific passwords only to accounts protected by two-factor \
             authentication.",
            "Accounts created in recent years have it on from the start. If your account still \
             uses the old two-step verification, Apple will move you to two-factor \
             authentication when you turn it on.",
            "To turn it on: on a Mac, System Settings \u{2192} your name \u{2192} Sign-In & \
             Security \u{2192} Two-Factor Authentication; on an iPhone or iPad, Settings \
             \u{2192} your name \u{2192} Sign-In & Security; on the web, account.apple.com \
             \u{2192} Sign-In and Security \u{2192} Account Security. You confirm a trusted \
             phone number and type the code Apple sends.",
        ],
        Some(TWO_FACTOR_ARTICLE),
    )
}

fn menu_names() -> Section {
    section(
        "If a name on screen differs",
        &[
            "Apple renamed things over the years: \u{201c}Apple ID\u{201d} is now \
             \u{201c}Apple Account\u{201d}, appleid.apple.com is now account.apple.com, System \
             Preferences is now System Settings, and Password & Security is now Sign-In & \
             Security (Sign-In and Security on the web). Older guides send you through \
             \u{201c}View History\u{201d}; today App-Specific Passwords sits directly under \
             Sign-In and Security.",
            "If what you see matches none of these, look for the entry with the same meaning \
             (security, passwords) and carry on; the steps in between are the same.",
        ],
        None,
    )
}

fn apple_page() -> Section {
    section(
        "Apple's page, step by step",
        &[
            "Sign in at account.apple.com \u{2192} Sign-In and Security \u{2192} \
             App-Specific Passwords \u{2192} Generate an app-specific password. Type a label \
             (the suggested one names this program and this computer, so you can tell later \
             which password to revoke) and choose Create. Apple may ask for your Apple Account \
             password again.",
            "Apple shows the new password once, as four groups of four letters \
             (abcd-efgh-ijkl-mnop). Copy it, then choose Done. If you lose it, revoke it and \
             make another: it cannot be shown again.",
        ],
        Some(APP_PASSWORDS_ARTICLE),
    )
}

fn not_there() -> Section {
    section(
        "I don't see App-Specific Passwords",
        &[
            "Most likely two-factor authentication is off: app-specific passwords need it. \
             Turn it on (go back to the two-factor step), then reload the page.",
            "Or the account is a Managed Apple Account (one given by a school or a company): \
             it may not offer app-specific passwords. Ask whoever manages it.",
        ],
        Some(TWO_FACTOR_ARTICLE),
    )
}

fn limit() -> Section {
    section(
        "At most 25 app-specific passwords",
        &[
            "An Apple Account can have 25 active app-specific passwords. If Apple refuses to \
             make another, revoke one you no longer use (its label tells you which).",
        ],
        Some(APP_PASSWORDS_ARTICLE),
    )
}

fn revoking() -> Section {
    section(
        "What revoking does",
        &[
            "Revoke on the same page: App-Specific Passwords \u{2192} the label \u{2192} \
             Revoke (or Revoke All). A program using a revoked password is signed out: its \
             login fails exactly as with a wrong password, until you make a new one.",
            "Changing or resetting your Apple Account password revokes all your app-specific \
             passwords at once. Afterwards run this program again to make and store a new \
             one.",
        ],
        Some(APP_PASSWORDS_ARTICLE),
    )
}

fn address() -> Section {
    section(
        "Which address",
        &[
            "Your iCloud Mail address: @icloud.com, @me.com and @mac.com all use the same \
             servers (imap.mail.me.com, smtp.mail.me.com). The IMAP login is usually the part \
             before the @; the check tries the full address too if that is refused.",
            "An Apple Account whose name is another address (a Gmail one, say) still logs in \
             to iCloud Mail with its @icloud.com address: give that one.",
        ],
        Some(MAIL_SETTINGS_ARTICLE),
    )
}

fn custom_domain() -> Section {
    section(
        "Your own domain (iCloud+)",
        &[
            "With a custom email domain (you@yourdomain.com) you send as that address, but \
             the login for IMAP and SMTP is the account's primary iCloud Mail address. Type \
             your domain's address first; a second field then asks for the iCloud one.",
        ],
        None,
    )
}

fn what_to_paste() -> Section {
    section(
        "What to paste",
        &[
            "The app-specific password Apple just showed: four groups of four lowercase \
             letters, like abcd-efgh-ijkl-mnop. Spaces around it are ignored and missing \
             hyphens are put back. It stays hidden unless you ask to see it, and is never \
             written to a file.",
            "Not your Apple Account password: mail programs sign in to iCloud Mail with an \
             app-specific password.",
            "The label is the one you typed at Apple; it is kept with the account (never the \
             password) so you know which one to revoke later.",
        ],
        Some(APP_PASSWORDS_ARTICLE),
    )
}

fn the_check() -> Section {
    section(
        "What the check does",
        &[
            "A login to IMAP (port 993, encrypted from the first byte) and one to SMTP (port \
             587, encrypted with STARTTLS before the password is sent), side by side. Nothing \
             is read or sent.",
            "SMTP logs in once, with the full address. IMAP may take up to three logins, each \
             on a new connection, and the next only if one is refused: the login name that \
             worked before (if any), the part of the address before the @, then the full \
             address. Only the login name varies; the password is never altered.",
        ],
        Some(MAIL_SETTINGS_ARTICLE),
    )
}

fn failure_list() -> Section {
    section(
        "What each failure means",
        &[
            "Rejected: the password is wrong, was revoked, or your Apple Account password \
             changed since it was made. Make a new one.",
            "Timed out, refused, could not look up: a network problem; the password was not \
             judged. Another network, or a retry, tells.",
            "Certificate not trusted, other server, STARTTLS missing or tampered with: \
             something on this network is in the way. The password was not sent; use another \
             network.",
            "Could not log anyone in just now: iCloud's side, for the moment. Your password may \
             be fine: do not revoke it; retry later.",
        ],
        None,
    )
}

/// One section per distinct failure on screen, with what to do.
fn failures(m: &Model, v: &VerifyState) -> Vec<Section> {
    let settings = m.flow.settings.as_ref().unwrap_or(&m.settings);
    let mut out: Vec<Section> = Vec::new();
    if v.missing_secret {
        out.push(section(
            "No stored password",
            &[
                "The keyring holds no password for this account (it was removed, or the \
               keyring was reset). Make a new app-specific password and store it.",
            ],
            Some(APP_PASSWORDS_ARTICLE),
        ));
    }
    for (proto, ep, line) in [
        (Protocol::Imap, &settings.imap, &v.imap),
        (Protocol::Smtp, &settings.smtp, &v.smtp),
    ] {
        let Some(kind) = line.error_kind() else {
            continue;
        };
        if kind == ErrorKind::Cancelled {
            continue;
        }
        let d = diagnose(proto, ep, kind);
        let title = format!("{}: {}", proto.label(), d.headline);
        if out.iter().any(|s| s.paragraphs.first() == Some(&d.advice)) {
            continue;
        }
        let mut paragraphs = vec![d.advice.clone()];
        let url = if kind == ErrorKind::PasswordRejected {
            paragraphs.push(
                "A rejection means iCloud refused this password: wrong (a typo, or your Apple \
                 Account password instead), revoked at account.apple.com, or revoked by a change \
                 of your Apple Account password. iCloud does not say which. A new app-specific \
                 password fixes all three."
                    .into(),
            );
            Some(APP_PASSWORDS_ARTICLE)
        } else {
            None
        };
        out.push(Section {
            title,
            paragraphs,
            url,
        });
    }
    out
}

fn kept() -> Section {
    section(
        "Where the password is now",
        &[
            "In your system keyring, under the account's address. Mail programs get it by \
             running `icloud-mail-setup password EMAIL`; config files hold only that command.",
            "To replace it later (after a revocation, or a new Apple Account password), run \
             this program again and choose the account.",
        ],
        None,
    )
}
