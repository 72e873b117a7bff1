//! himalaya (v2, the current release line): one `[accounts."EMAIL"]` table
//! in `config.toml`.
//!
//! v2 replaced v1's `backend.*` keys with `imap.*` and `smtp.*`; secrets
//! are `{ command = "..." }` (a string runs through `sh -c`), and
//! `mailbox.alias.*` maps the names himalaya knows (sent, drafts, trash...)
//! to the server's folders. Checked against himalaya's `config.sample.toml`
//! and `src/config.rs` (v2.1); Debian has no himalaya package to run.

use super::install::Placed;
use super::{AccountView, ExportError, Security, header, sent_copy_note};

const CLIENT: &str = "himalaya";

/// `s` as a TOML basic string (the toml crate's own escaping).
fn string(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

/// The `[accounts."EMAIL"]` table for `view`.
pub fn render(view: &AccountView) -> Result<String, ExportError> {
    let f = &view.folders;
    let mut s = header(
        view,
        CLIENT,
        "himalaya v2 (2.0 or later: imap.server, *.sasl.plain, mailbox.alias); v1 used backend.* keys",
    );
    s.push_str(&format!(
        "# Use it with: himalaya -a {name} envelope list (or add default = true below).\n\
         #\n\
         # himalaya v2 files no copy of what it sends (`messages send`); keep one with\n\
         # `himalaya -a {name} messages add --mailbox sent`.\n",
        name = view.email,
    ));
    s.push_str(&sent_copy_note("Check there before adding your own copy."));
    let imap_url = match view.imap.security {
        Security::ImplicitTls => format!("imaps://{}:{}", view.imap.url_host(), view.imap.port),
        Security::StartTls => format!("imap://{}:{}", view.imap.url_host(), view.imap.port),
    };
    let smtp_url = match view.smtp.security {
        Security::StartTls => format!("smtp://{}:{}", view.smtp.url_host(), view.smtp.port),
        Security::ImplicitTls => format!("smtps://{}:{}", view.smtp.url_host(), view.smtp.port),
    };
    let cmd = string(&view.password_command());
    s.push_str(&format!(
        "[accounts.{name}]\n\
         email = {from}\n\
         \n\
         imap.server = {imap_url}\n",
        name = string(&view.email),
        from = string(&view.from),
        imap_url = string(&imap_url),
    ));
    if view.imap.security == Security::StartTls {
        s.push_str("imap.starttls = true\n");
    }
    if let Some(ca) = &view.ca_file {
        s.push_str(&format!("imap.tls.cert = {}\n", string(ca)));
    }
    s.push_str(&format!(
        "imap.sasl.plain.username = {imap_user}\n\
         imap.sasl.plain.password.command = {cmd}\n\
         \n\
         smtp.server = {smtp_url}\n",
        imap_user = string(&view.imap_user),
        smtp_url = string(&smtp_url),
    ));
    if view.smtp.security == Security::StartTls {
        s.push_str("smtp.starttls = true\n");
    }
    if let Some(ca) = &view.ca_file {
        s.push_str(&format!("smtp.tls.cert = {}\n", string(ca)));
    }
    s.push_str(&format!(
        "smtp.sasl.plain.username = {smtp_user}\n\
         smtp.sasl.plain.password.command = {cmd}\n\
         \n\
         mailbox.alias.inbox = {inbox}\n\
         mailbox.alias.sent = {sent}\n\
         mailbox.alias.drafts = {drafts}\n\
         mailbox.alias.trash = {trash}\n\
         mailbox.alias.junk = {junk}\n\
         mailbox.alias.archive = {archive}\n",
        smtp_user = string(&view.smtp_user),
        inbox = string(f.inbox),
        sent = string(f.sent),
        drafts = string(f.drafts),
        trash = string(f.trash),
        junk = string(f.junk),
        archive = string(f.archive),
    ));
    Ok(s)
}

/// The file must be TOML with and without our block; outside the block
/// there must be no `accounts."EMAIL"`, and the block must add exactly
/// that table (nothing after it may fall into it).
pub fn check_placement(placed: &Placed, email: &str) -> Result<(), String> {
    let outside_text = format!("{}{}", placed.before, placed.after);
    let outside: toml::Table = outside_text
        .parse()
        .map_err(|e: toml::de::Error| format!("does not parse as TOML: {}", e.message().trim()))?;
    let has_ours = |t: &toml::Table| {
        t.get("accounts")
            .and_then(|a| a.as_table())
            .is_some_and(|a| a.contains_key(email))
    };
    if has_ours(&outside) {
        return Err(format!(
            "already has an account \"{email}\" outside our block; remove or rename it, or \
             export with --file to a separate file"
        ));
    }
    let mut new: toml::Table = placed.text().parse().map_err(|e: toml::de::Error| {
        format!(
            "would not parse as TOML with our block: {}",
            e.message().trim()
        )
    })?;
    if !has_ours(&new) {
        return Err("our block would not define the account (check the lines around it)".into());
    }
    if let Some(accounts) = new.get_mut("accounts").and_then(|a| a.as_table_mut()) {
        accounts.remove(email);
        if accounts.is_empty() && !outside.contains_key("accounts") {
            new.remove("accounts");
        }
    }
    if new != outside {
        return Err(format!(
            "lines after our block would become part of account \"{email}\"; move them above \
             the block or under their own table header"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::install::{block, place};
    use crate::export::tests::{apple_view, custom_view};

    #[test]
    fn apple_account() {
        insta::assert_snapshot!(render(&apple_view()).unwrap());
    }

    #[test]
    fn custom_domain_with_servers_and_ca() {
        insta::assert_snapshot!(render(&custom_view()).unwrap());
    }

    #[test]
    fn the_output_is_toml_with_the_keys_himalaya_reads() {
        let v = custom_view();
        let t: toml::Table = render(&v).unwrap().parse().unwrap();
        let a = &t["accounts"]["me@example.org"];
        assert_eq!(a["email"].as_str(), Some("me@example.org"));
        assert_eq!(
            a["imap"]["server"].as_str(),
            Some("imaps://mail.example.org:1993")
        );
        assert_eq!(
            a["imap"]["sasl"]["plain"]["password"]["command"].as_str(),
            Some("icloud-mail-setup password me@example.org")
        );
        assert_eq!(a["smtp"]["starttls"].as_bool(), Some(true));
        assert_eq!(
            a["smtp"]["tls"]["cert"].as_str(),
            Some("/etc/ssl/private ca/test.pem")
        );
        assert_eq!(
            a["mailbox"]["alias"]["sent"].as_str(),
            Some("Sent Messages")
        );
    }

    #[test]
    fn an_account_of_the_same_name_bad_toml_or_captured_keys_are_refused() {
        let e = "emily@icloud.com";
        let body = render(&apple_view()).unwrap();
        let b = block(e, &body);
        let p = place("[accounts.\"emily@icloud.com\"]\nemail = \"x\"\n", e, &b).unwrap();
        assert!(check_placement(&p, e).unwrap_err().contains("already has"));
        let p = place("[accounts\nx", e, &b).unwrap();
        assert!(
            check_placement(&p, e)
                .unwrap_err()
                .contains("does not parse")
        );
        let text = format!("{b}downloads-dir = \"~/x\"\n");
        let p = place(&text, e, &b).unwrap();
        assert!(check_placement(&p, e).unwrap_err().contains("become part"));
        let p = place(
            "downloads-dir = \"~/d\"\n[accounts.work]\nemail = \"w@x.org\"\n",
            e,
            &b,
        )
        .unwrap();
        check_placement(&p, e).unwrap();
    }
}
