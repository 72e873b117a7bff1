//! isync's `mbsync` (1.4 or later): IMAP to a local Maildir.
//!
//! isync 1.5 renamed `SSLType` to `TLSType` (and still reads `SSLType`);
//! 1.4, which Debian 12 and Ubuntu 24.04 ship, knows only `SSLType` and
//! refuses the file with `TLSType` in it. So `TLSType` is written only
//! when the installed mbsync is 1.5 or later.
//!
//! Installed into `~/.mbsyncrc`. Four sections named after the account:
//! `IMAPAccount EMAIL` (server, login, `PassCmd`, `SSLType`/`TLSType`), `IMAPStore
//! EMAIL-remote`, `MaildirStore EMAIL-local` under `~/Mail/EMAIL/`, and
//! `Channel EMAIL` syncing every folder (`Patterns *`).

use super::double_quoted;
use super::install::Placed;
use super::{AccountView, ExportError, header, sent_copy_note};

const CLIENT: &str = "mbsync";

/// Where the Maildir folders go: `~/Mail/EMAIL/`.
pub fn maildir_root(view: &AccountView) -> String {
    maildir_root_of(&view.email)
}

/// [`maildir_root`] of an address.
pub fn maildir_root_of(email: &str) -> String {
    format!("~/Mail/{email}/")
}

/// The `~/.mbsyncrc` sections for `view`, for the installed isync
/// version (`None`: unknown, written for 1.4 and later alike).
pub fn render(view: &AccountView, isync: Option<(u32, u32)>) -> Result<String, ExportError> {
    let name = &view.email;
    let root = maildir_root(view);
    let f = &view.folders;
    let tls_type = isync.is_some_and(|v| v >= (1, 5));
    let versions = if tls_type {
        "isync (mbsync) 1.5 or later (TLSType; 1.4 knew it only as SSLType)"
    } else {
        "isync (mbsync) 1.4 or later (SSLType, which 1.5 renamed TLSType and still reads)"
    };
    let mut s = header(view, CLIENT, versions);
    s.push_str(&format!(
        "#\n\
         # iCloud's folders: {inbox}, \"{sent}\", {drafts}, \"{trash}\", {junk}, {archive}.\n\
         # All of them are synced (Patterns *) to Maildir folders of the same names under\n\
         # {root}; to sync fewer, list them: Patterns {inbox} \"{sent}\" {drafts}\n\
         # First run: mbsync {name} (`export mbsync --write` created {root};\n\
         # when you paste this yourself, mkdir -p {root} first: mbsync refuses a missing Path).\n\
         #\n\
         # mbsync only syncs: where a copy of sent mail goes is your mail program's choice.\n",
        inbox = f.inbox,
        sent = f.sent,
        drafts = f.drafts,
        trash = f.trash,
        junk = f.junk,
        archive = f.archive,
    ));
    s.push_str(&sent_copy_note(
        "If your mail program files one too, you will see two copies after a sync.",
    ));
    let keyword = if tls_type { "TLSType" } else { "SSLType" };
    let tls = view.imap.security.says("IMAPS", "STARTTLS");
    s.push_str(&format!(
        "\nIMAPAccount {name}\n\
         Host {host}\n\
         Port {port}\n\
         User {user}\n\
         PassCmd {cmd}\n\
         {keyword} {tls}\n\
         # iCloud: the IMAP LOGIN command works where AUTHENTICATE PLAIN has been refused.\n\
         AuthMechs LOGIN\n",
        host = view.imap.host,
        port = view.imap.port,
        user = double_quoted(CLIENT, "IMAP username", &view.imap_user)?,
        cmd = double_quoted(CLIENT, "password command", &view.password_command())?,
    ));
    if let Some(ca) = &view.ca_file {
        s.push_str(&format!(
            "# Extra trust anchors, used with the system's CAs (SystemCertificates stays on).\n\
             CertificateFile {}\n",
            double_quoted(CLIENT, "CA file", ca)?
        ));
    }
    s.push_str(&format!(
        "\nIMAPStore {name}-remote\n\
         Account {name}\n\
         \n\
         MaildirStore {name}-local\n\
         Path {path}\n\
         Inbox {inbox}\n\
         SubFolders Verbatim\n\
         \n\
         Channel {name}\n\
         Far :{name}-remote:\n\
         Near :{name}-local:\n\
         Patterns *\n\
         # Create Near: a folder new on iCloud appears here; one made only here is not\n\
         # created on iCloud (mbsync(1) Create; its default, None, skips both).\n\
         Create Near\n\
         # Expunge Both: what you delete on either side is removed from both at the next\n\
         # sync. mbsync's default, None, only marks it deleted; mbsync(1) RECOMMENDATIONS\n\
         # suggests Both once the setup works.\n\
         Expunge Both\n\
         # SyncState *: the sync state lives in each Maildir folder (.mbsyncstate), so\n\
         # deleting a folder here deletes its state too (mbsync(1) SyncState).\n\
         SyncState *\n\
         CopyArrivalDate yes\n\
         \n",
        path = double_quoted(CLIENT, "Maildir path", &root)?,
        inbox = double_quoted(CLIENT, "Maildir path", &format!("{root}{}", f.inbox))?,
    ));
    Ok(s)
}

/// The section names this export defines.
fn names(email: &str) -> [(&'static str, String); 4] {
    [
        ("imapaccount", email.to_string()),
        ("imapstore", format!("{email}-remote")),
        ("maildirstore", format!("{email}-local")),
        ("channel", email.to_string()),
    ]
}

/// Refuse when a section outside the block has one of our names (mbsync
/// would see it twice).
pub fn check_placement(placed: &Placed, email: &str) -> Result<(), String> {
    let ours = names(email);
    for (n, line) in placed.lines_outside() {
        let mut words = line.split_whitespace();
        let (Some(key), Some(arg)) = (words.next(), words.next()) else {
            continue;
        };
        let key = key.to_ascii_lowercase();
        let arg = arg.trim_matches('"');
        let clash = ours
            .iter()
            .any(|(k, v)| v == arg && (*k == key || (key == "group" && *k == "channel")));
        if clash {
            return Err(format!(
                "line {n} (outside our block) already defines `{line}`; remove or rename \
                 that section, or export with --file to a separate file"
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::export::install::{block, place};
    use crate::domain::export::tests::{apple_view, snapshot_both_views};

    snapshot_both_views!(|v| render(v, Some((1, 4))), |v| render(v, None));

    #[test]
    fn isync_1_5_gets_its_new_keyword() {
        let old = render(&apple_view(), Some((1, 4))).unwrap();
        assert!(old.contains("\nSSLType IMAPS\n") && !old.contains("\nTLSType"));
        assert_eq!(render(&apple_view(), None).unwrap(), old);
        let new = render(&apple_view(), Some((1, 5))).unwrap();
        assert!(new.contains("\nTLSType IMAPS\n") && !new.contains("\nSSLType"));
    }

    #[test]
    fn quoting_escapes_what_isync_unescapes() {
        assert_eq!(
            double_quoted(CLIENT, "x", "a \"b\" \\c").unwrap(),
            r#""a \"b\" \\c""#
        );
        assert!(double_quoted(CLIENT, "x", "a\nb").is_err());
    }

    #[test]
    fn a_section_of_the_same_name_outside_the_block_is_refused() {
        let e = "emily@icloud.com";
        let existing = "IMAPAccount other\nHost x\n\nChannel emily@icloud.com\nFar :a:\n";
        let p = place(existing, e, &block(e, "x\n")).unwrap();
        let err = check_placement(&p, e).unwrap_err();
        assert!(err.contains("Channel emily@icloud.com"), "{err}");
        let fine = place("IMAPAccount other\n", e, &block(e, "x\n")).unwrap();
        check_placement(&fine, e).unwrap();
    }
}
