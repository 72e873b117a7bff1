//! aerc (0.14 or later): one `[EMAIL]` section in `accounts.conf`.
//!
//! `source` and `outgoing` are URLs with the login in them (percent-
//! encoded); `source-cred-cmd` and `outgoing-cred-cmd` run the password
//! command, so the password never enters the file.

use super::install::Placed;
use super::{AccountView, ExportError, Security, header, sent_copy_note};

const CLIENT: &str = "aerc";

/// A value as aerc's INI reader keeps it: no line break, no `#` or `;`
/// (inline comments), no quote it would strip, no edge spaces.
fn value(field: &'static str, s: &str) -> Result<String, ExportError> {
    if s.chars().any(|c| c.is_control() || "#;\"'`".contains(c)) || s.trim() != s {
        return Err(ExportError::unsafe_value(
            CLIENT,
            field,
            s,
            "it has a control character, #, ;, a quote or edge spaces",
        ));
    }
    Ok(s.to_string())
}

/// `s` as a URL's user part: everything but unreserved characters
/// percent-encoded (the `@` of an address becomes `%40`).
pub(crate) fn url_user(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 4);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The `[EMAIL]` section for `view`, for the installed aerc version
/// (`None`: unknown, written for 0.14 and later alike).
pub fn render(view: &AccountView, aerc: Option<(u32, u32)>) -> Result<String, ExportError> {
    let f = &view.folders;
    // aerc before 0.15 reads `smtp://` as plain text, and sends over
    // STARTTLS only with `smtp-starttls = yes`; 0.15 made `smtp://` mean
    // STARTTLS and deprecated the option (its 0.15.0 changelog). Unknown:
    // the option is written, which 0.15 and later accept.
    let starttls_option =
        view.smtp.security == Security::StartTls && aerc.is_none_or(|v| v < (0, 15));
    let versions = match aerc {
        Some((major, minor)) if starttls_option => format!(
            "aerc {major}.{minor} as installed (before 0.15: smtp-starttls), read by 0.14 or later"
        ),
        Some((major, minor)) => {
            format!("aerc {major}.{minor} as installed (0.15 or later: smtp:// is STARTTLS)")
        }
        None => "aerc 0.14 or later (source-cred-cmd, outgoing-cred-cmd, smtp-starttls for 0.14)"
            .to_string(),
    };
    let mut s = header(view, CLIENT, &versions);
    s.push_str(&format!(
        "#\n\
         # Folders: copy-to (copies of sent mail) = {sent}, postpone = {drafts}, archive =\n\
         # {archive}. aerc has no setting for \"{trash}\" or {junk}: move mail there with\n\
         # :move \"{trash}\".\n\
         # aerc files a copy of what it sends in copy-to, as its own new-account wizard sets up.\n\
         # folders-sort lists iCloud's folders in this order at the top of the sidebar;\n\
         # check-mail looks for new mail in the folders not open every 5 minutes (the open\n\
         # one is kept up to date by the server) (aerc-accounts(5)).\n\
         #\n\
         # Login: our check proves the IMAP LOGIN command; aerc before 0.20 logs in with it,\n\
         # 0.20 and later use AUTHENTICATE PLAIN when the server offers it, and have no\n\
         # setting to choose. If iCloud refuses aerc while `icloud-mail-setup verify` passes,\n\
         # that is why.\n",
        sent = f.sent,
        drafts = f.drafts,
        archive = f.archive,
        trash = f.trash,
        junk = f.junk,
    ));
    s.push_str(&sent_copy_note(
        "If you find two copies of each sent message, remove the copy-to line.",
    ));
    if let Some(ca) = &view.ca_file {
        s.push_str(&format!(
            "# These servers need extra trust anchors, and aerc has no option for them: start\n\
             # aerc as SSL_CERT_FILE={} aerc (that file then replaces the system's CAs).\n",
            crate::sys::text::shell_quote(ca)
        ));
    }
    let source_scheme = view.imap.security.says("imaps", "imap");
    let outgoing_scheme = view.smtp.security.says("smtps", "smtp");
    let cmd = value("password command", &view.password_command())?;
    s.push_str(&format!(
        "[{name}]\n\
         source            = {source_scheme}://{imap_user}@{imap_host}:{imap_port}\n\
         source-cred-cmd   = {cmd}\n\
         outgoing          = {outgoing_scheme}://{smtp_user}@{smtp_host}:{smtp_port}\n\
         outgoing-cred-cmd = {cmd}\n",
        name = value("address", &view.email)?,
        imap_user = url_user(&view.imap_user),
        imap_host = view.imap.url_host(),
        imap_port = view.imap.port,
        smtp_user = url_user(&view.smtp_user),
        smtp_host = view.smtp.url_host(),
        smtp_port = view.smtp.port,
    ));
    if starttls_option {
        s.push_str("smtp-starttls     = yes\n");
    }
    s.push_str(&format!(
        "from              = {from}\n\
         default           = {inbox}\n\
         copy-to           = {sent}\n\
         postpone          = {drafts}\n\
         archive           = {archive}\n\
         folders-sort      = {inbox},{sent},{drafts},{archive},{junk},{trash}\n\
         check-mail        = 5m\n",
        from = value("address", &view.from)?,
        inbox = value("folder", f.inbox)?,
        sent = value("folder", f.sent)?,
        drafts = value("folder", f.drafts)?,
        archive = value("folder", f.archive)?,
        junk = value("folder", f.junk)?,
        trash = value("folder", f.trash)?,
    ));
    Ok(s)
}

/// Refuse when a section named like ours exists outside the block, or
/// when lines after the block would be read as part of our section.
pub fn check_placement(placed: &Placed, email: &str) -> Result<(), String> {
    for (n, line) in placed.lines_outside() {
        if section_name(line).is_some_and(|s| s.eq_ignore_ascii_case(email)) {
            return Err(format!(
                "line {n} (outside our block) already has an account [{email}]; remove or \
                 rename it, or export with --file to a separate file"
            ));
        }
    }
    if let Some((n, line)) = placed.lines_after().first()
        && section_name(line).is_none()
    {
        return Err(format!(
            "line {n} after our block (`{line}`) would be read as part of account [{email}]; \
             move it above the block or into its own section"
        ));
    }
    Ok(())
}

/// `NAME` of a `[NAME]` line.
fn section_name(line: &str) -> Option<&str> {
    Some(line.strip_prefix('[')?.strip_suffix(']')?.trim())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::export::install::{block, place};
    use crate::domain::export::tests::{apple_view, snapshot_both_views};

    snapshot_both_views!(|v| render(v, None), |v| render(v, Some((0, 20))));

    #[test]
    fn smtp_starttls_is_written_for_aerc_before_0_15_only() {
        let has = |v| {
            render(&apple_view(), v)
                .unwrap()
                .contains("\nsmtp-starttls     = yes\n")
        };
        assert!(has(None));
        assert!(has(Some((0, 14))));
        assert!(!has(Some((0, 15))));
        assert!(!has(Some((1, 0))));
        assert!(
            render(&apple_view(), Some((0, 14)))
                .unwrap()
                .contains("aerc 0.14 as installed")
        );
    }

    #[test]
    fn logins_are_percent_encoded() {
        assert_eq!(url_user("emily@icloud.com"), "emily%40icloud.com");
        assert_eq!(url_user("a+b_c.d-e"), "a%2Bb_c.d-e");
    }

    #[test]
    fn a_section_of_the_same_name_or_stray_keys_after_the_block_are_refused() {
        let e = "emily@icloud.com";
        let p = place("[Emily@iCloud.com]\nsource = x\n", e, &block(e, "x\n")).unwrap();
        assert!(check_placement(&p, e).unwrap_err().contains("already has"));
        let text = format!("{}from = x\n[work]\n", block(e, "x\n"));
        let p = place(&text, e, &block(e, "y\n")).unwrap();
        assert!(
            check_placement(&p, e)
                .unwrap_err()
                .contains("part of account")
        );
        let p = place("[work]\nsource = x\n", e, &block(e, "x\n")).unwrap();
        check_placement(&p, e).unwrap();
    }
}
