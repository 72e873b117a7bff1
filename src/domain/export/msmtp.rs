//! `msmtp` (1.8 or later): sending through iCloud's SMTP.
//!
//! Installed into `$XDG_CONFIG_HOME/msmtp/config` (or `~/.msmtprc` when
//! that is the one in use): `account EMAIL` with STARTTLS on 587, `auth
//! on`, the SMTP login, and `passwordeval`.

use super::double_quoted;
use super::install::Placed;
use super::{AccountView, ExportError, header, sent_copy_note};

const CLIENT: &str = "msmtp";

/// Whether a msmtp config's `text` names a default account
/// (`account default : NAME`, or an account called `default`).
pub fn has_default(text: &str) -> bool {
    text.lines().any(|l| {
        let mut words = l.split_whitespace();
        words.next() == Some("account")
            && words.next().map(|w| w.trim_end_matches(':')) == Some("default")
    })
}

/// The `account` section for `view`; with `as_default`, followed by
/// `account default : EMAIL` (for a file that has no default yet).
pub fn render(view: &AccountView, as_default: bool) -> Result<String, ExportError> {
    let mut s = header(
        view,
        CLIENT,
        "msmtp 1.8 or later (passwordeval, tls_starttls, the XDG config path)",
    );
    s.push_str(&format!(
        "# Send with: msmtp -a {name} RECIPIENT < message\n\
         #\n\
         # msmtp only sends: it never files a copy of what it sends; your mail program does\n\
         # (neomutt: record, aerc: copy-to, both pointing at \"{sent}\").\n",
        name = view.email,
        sent = view.folders.sent,
    ));
    s.push_str(&sent_copy_note(
        "If you find two copies there, turn off your mail program's copy.",
    ));
    let starttls = view.smtp.security.says("off", "on");
    s.push_str(&format!(
        "\naccount {name}\n\
         host {host}\n\
         port {port}\n\
         tls on\n\
         tls_starttls {starttls}\n",
        name = view.email,
        host = view.smtp.host,
        port = view.smtp.port,
    ));
    if let Some(ca) = &view.ca_file {
        s.push_str(&format!(
            "# The CAs to trust for this server (instead of the system's).\n\
             tls_trust_file {}\n",
            double_quoted(CLIENT, "CA file", ca)?
        ));
    }
    s.push_str(&format!(
        "auth on\n\
         user {user}\n\
         passwordeval {cmd}\n\
         from {from}\n",
        user = double_quoted(CLIENT, "SMTP username", &view.smtp_user)?,
        cmd = double_quoted(CLIENT, "password command", &view.password_command())?,
        from = view.from,
    ));
    if as_default {
        // msmtp(1), "account default : account": what `msmtp RECIPIENT`
        // (and sendmail-style callers, which give no -a) send with.
        s.push_str(&format!(
            "# The file had no default account: this one is it (msmtp RECIPIENT < message).\n\
             account default : {}\n",
            view.email
        ));
    }
    Ok(s)
}

/// Refuse when an `account` of our name exists outside the block, or
/// when lines after the block would be read as part of our account.
pub fn check_placement(placed: &Placed, email: &str) -> Result<(), String> {
    for (n, line) in placed.lines_outside() {
        let mut words = line.split_whitespace();
        if words.next() == Some("account")
            && words.next().map(|w| w.trim_matches('"')) == Some(email)
        {
            return Err(format!(
                "line {n} (outside our block) already defines `account {email}`; remove or \
                 rename it, or export with --file to a separate file"
            ));
        }
    }
    if let Some((n, line)) = placed.lines_after().first()
        && !(line.starts_with("account ") || line.starts_with("defaults"))
    {
        return Err(format!(
            "line {n} after our block (`{line}`) would be read as part of account {email}; \
             move it above the block or under its own `account` line"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::export::install::{block, place};
    use crate::domain::export::tests::{apple_view, snapshot_both_views};

    snapshot_both_views!(|v| render(v, true), |v| render(v, false));

    #[test]
    fn a_default_is_added_only_to_a_file_without_one() {
        assert!(!has_default(""));
        assert!(!has_default(
            "account work\nhost x\n# account default : x\n"
        ));
        assert!(has_default("account work\naccount default : work\n"));
        assert!(has_default("account default\nhost x\n"));
        assert!(has_default("  account default: work\n"));
        let with = render(&apple_view(), true).unwrap();
        assert!(
            with.ends_with("account default : emily@icloud.com\n"),
            "{with}"
        );
        assert!(
            !render(&apple_view(), false)
                .unwrap()
                .contains("account default")
        );
    }

    #[test]
    fn an_account_of_the_same_name_or_lines_that_would_join_ours_are_refused() {
        let e = "emily@icloud.com";
        let p = place(
            "defaults\nauth on\naccount emily@icloud.com\n",
            e,
            &block(e, "x\n"),
        )
        .unwrap();
        assert!(
            check_placement(&p, e)
                .unwrap_err()
                .contains("already defines")
        );
        let text = format!("{}logfile ~/.msmtp.log\n", block(e, "x\n"));
        let p = place(&text, e, &block(e, "y\n")).unwrap();
        assert!(
            check_placement(&p, e)
                .unwrap_err()
                .contains("part of account")
        );
        let text = format!("{}\naccount work\nhost x\n", block(e, "x\n"));
        let p = place(&text, e, &block(e, "y\n")).unwrap();
        check_placement(&p, e).unwrap();
    }

    /// The refusal names the line of the file as it is, not of the longer
    /// file it would have written (issue 17).
    #[test]
    fn a_refusal_cites_the_line_of_the_file_as_it_is() {
        let e = "emily@icloud.com";
        // 4 lines: the old block (3), then a stray line (line 4).
        let text = format!("{}logfile ~/.msmtp.log\n", block(e, "x\n"));
        let long = "y\n".repeat(20);
        let p = place(&text, e, &block(e, &long)).unwrap();
        let why = check_placement(&p, e).unwrap_err();
        assert!(why.starts_with("line 4 after our block"), "{why}");
    }
}
