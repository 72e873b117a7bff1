//! NeoMutt (2022 or later): reading over IMAP and sending over SMTP.
//!
//! Installed into `$XDG_CONFIG_HOME/neomutt/neomuttrc` (or `~/.neomuttrc`
//! when that is the one in use). `imap_pass` and `smtp_pass` are set from
//! the password command by command substitution (backticks), which NeoMutt
//! documents for exactly this ("Command Substitution" in its manual, with
//! the example of a password manager): the command runs when NeoMutt reads
//! its config, the password stays in memory, never in a file. NeoMutt
//! 2023 added `account_command`, which would run at every login, but the
//! NeoMutt Debian 12 ships does not have it; backticks work in all.

use super::install::Placed;
use super::{AccountView, ExportError, header, sent_copy_note};

const CLIENT: &str = "neomutt";

/// `s` in single quotes, inside which NeoMutt interprets nothing; a value
/// with a `'` or a control character cannot be carried.
fn literal(field: &'static str, s: &str) -> Result<String, ExportError> {
    if s.contains('\'') || s.chars().any(char::is_control) {
        return Err(ExportError::unsafe_value(
            CLIENT,
            field,
            s,
            "it has a single quote or a control character",
        ));
    }
    Ok(format!("'{s}'"))
}

/// The password command in backticks inside double quotes: NeoMutt runs it
/// through the shell. Inside double quotes `\`, `"`, `$` and a backtick
/// would be NeoMutt's own syntax, so a command with one is refused.
fn substituted(cmd: &str) -> Result<String, ExportError> {
    if cmd.chars().any(|c| "\\\"$`".contains(c) || c.is_control()) {
        return Err(ExportError::unsafe_value(
            CLIENT,
            "password command",
            cmd,
            "it has a character NeoMutt would interpret inside double quotes",
        ));
    }
    Ok(format!("\"`{cmd}`\""))
}

/// The `set` lines for `view`.
pub fn render(view: &AccountView) -> Result<String, ExportError> {
    let f = &view.folders;
    let mut s = header(
        view,
        CLIENT,
        "NeoMutt 2022 or later (spool_file, smtp_user; GnuTLS builds for ssl_ca_certificates_file)",
    );
    s.push_str(
        "#\n\
         # The password: imap_pass and smtp_pass are the output of the password command in\n\
         # backticks (\"Command Substitution\" in the NeoMutt manual). NeoMutt runs it when it\n\
         # reads this file and keeps the password in memory only; after a new password is\n\
         # stored, restart NeoMutt.\n\
         # These settings are global: with several accounts, keep them in a file that an\n\
         # account-hook or folder-hook sources.\n\
         #\n",
    );
    s.push_str(&format!(
        "# Folders: record (copies of sent mail) = \"{sent}\", postponed = {drafts},\n\
         # trash = \"{trash}\"; save to {junk} or {archive} with s (=Junk, =Archive).\n\
         # mailboxes lists iCloud's folders for the sidebar and the new-mail check (c, then\n\
         # Tab); NeoMutt logs in as soon as it reads that line, even for -Q or a batch send.\n\
         # NeoMutt files a copy of what it sends in record (copy = yes, its default).\n\
         # header_cache keeps the headers of each folder in {cache} (a directory\n\
         # `export neomutt --write` creates; create it yourself when you paste this), so a\n\
         # large folder opens without fetching every header again.\n\
         # imap_authenticators = \"login\": the IMAP LOGIN command, which our check proves;\n\
         # NeoMutt would otherwise try AUTHENTICATE PLAIN first, which iCloud has refused\n\
         # where LOGIN works (and may drop the connection after).\n",
        sent = f.sent,
        drafts = f.drafts,
        trash = f.trash,
        junk = f.junk,
        archive = f.archive,
        cache = header_cache(view),
    ));
    s.push_str(&sent_copy_note(
        "If you find two copies of each sent message, set copy = no.",
    ));
    let imap_scheme = view.imap.security.says("imaps", "imap");
    let smtp_scheme = view.smtp.security.says("smtps", "smtp");
    let cmd = substituted(&view.password_command())?;
    let folder = format!(
        "{imap_scheme}://{}:{}/",
        view.imap.url_host(),
        view.imap.port
    );
    let smtp_url = format!(
        "{smtp_scheme}://{}:{}/",
        view.smtp.url_host(),
        view.smtp.port
    );
    let plus = |field, name: &str| literal(field, &format!("+{name}"));
    s.push_str(&format!(
        "\nset ssl_force_tls = yes\n\
         set ssl_starttls = yes\n\
         set imap_user = {imap_user}\n\
         set imap_pass = {cmd}\n\
         set imap_authenticators = \"login\"\n\
         set folder = {folder}\n\
         set spool_file = {inbox}\n\
         set record = {sent}\n\
         set postponed = {drafts}\n\
         set trash = {trash}\n\
         set smtp_url = {smtp_url}\n\
         set smtp_user = {smtp_user}\n\
         set smtp_pass = {cmd}\n\
         set from = {from}\n\
         set use_from = yes\n",
        imap_user = literal("IMAP username", &view.imap_user)?,
        folder = literal("IMAP server", &folder)?,
        inbox = plus("folder", f.inbox)?,
        sent = plus("folder", f.sent)?,
        drafts = plus("folder", f.drafts)?,
        trash = plus("folder", f.trash)?,
        smtp_url = literal("SMTP server", &smtp_url)?,
        smtp_user = literal("SMTP username", &view.smtp_user)?,
        from = literal("address", &view.from)?,
    ));
    if let Some(ca) = &view.ca_file {
        s.push_str(&format!(
            "# The CAs to trust for these servers (GnuTLS builds; with OpenSSL, append the\n\
             # CA to certificate_file instead).\n\
             set ssl_ca_certificates_file = {}\n",
            literal("CA file", ca)?
        ));
    }
    // Last: NeoMutt connects to the IMAP server as it reads `mailboxes`,
    // so everything about that connection must be set before.
    s.push_str(&format!(
        "set header_cache = {cache}\n\
         mailboxes {mailboxes}\n",
        cache = literal("header cache", &header_cache(view))?,
        mailboxes = mailboxes(f)?,
    ));
    Ok(s)
}

/// Where the header cache goes: a directory per account (NeoMutt keeps
/// one database per folder in an existing directory).
pub fn header_cache(view: &AccountView) -> String {
    format!("~/.cache/neomutt/{}/", view.email)
}

/// `'+INBOX' '+Sent Messages' ...`: every iCloud folder, INBOX first.
fn mailboxes(f: &super::Folders) -> Result<String, ExportError> {
    let names = [f.inbox, f.sent, f.drafts, f.archive, f.junk, f.trash];
    let quoted: Result<Vec<String>, ExportError> = names
        .iter()
        .map(|n| literal("folder", &format!("+{n}")))
        .collect();
    Ok(quoted?.join(" "))
}

/// A neomuttrc has no sections: any placement the markers allow is safe.
pub fn check_placement(_placed: &Placed, _email: &str) -> Result<(), String> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::export::tests::snapshot_both_views;

    snapshot_both_views!(render);

    #[test]
    fn what_neomutt_would_interpret_is_refused() {
        assert!(literal("x", "it's").is_err());
        assert!(substituted("icloud-mail-setup password 'a$b@x.com'").is_err());
        assert_eq!(
            substituted("icloud-mail-setup password a@b.com").unwrap(),
            "\"`icloud-mail-setup password a@b.com`\""
        );
    }
}
