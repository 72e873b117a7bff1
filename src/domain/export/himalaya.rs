//! himalaya: one `[accounts."EMAIL"]` table in `config.toml`, in the keys
//! of the installed version.
//!
//! v2 (the current release line, and what is written when no himalaya is
//! installed) replaced v1's `backend.*` keys with `imap.*` and `smtp.*`;
//! secrets are `{ command = "..." }` (a string runs through `sh -c`);
//! `imap.sasl.login` sends the IMAP `LOGIN` command, the one our check
//! proves; `mailbox.alias.*` maps the names himalaya knows (sent, drafts,
//! trash...) to the server's folders. Checked against himalaya's
//! `config.sample.toml` and `src/config.rs` (v2.1).
//!
//! v1 (1.x) reads `backend.*` and `message.send.backend.*` with
//! `auth.cmd`, and `folder.aliases.*`; it has no setting for the IMAP
//! login method (its library picks one from the server's capabilities).
//! Checked against the v1.0 README and the v2 migration notes.
//! Debian has no himalaya package: none of this was run here.

use super::install::Placed;
use super::{AccountView, ExportError, Security, header, sent_copy_note};

const CLIENT: &str = "himalaya";

/// `s` as a TOML basic string (the toml crate's own escaping).
fn string(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

/// Whether a himalaya config's `text` has any account (`[accounts.*]`).
pub fn has_accounts(text: &str) -> bool {
    text.parse::<toml::Table>().ok().is_some_and(|t| {
        t.get("accounts")
            .and_then(|a| a.as_table())
            .is_some_and(|a| !a.is_empty())
    })
}

/// The `[accounts."EMAIL"]` table for `view`, for the installed himalaya
/// version (`None`: unknown, written for v2). `only`: no other account is
/// configured, so this one is the default.
pub fn render(
    view: &AccountView,
    version: Option<(u32, u32)>,
    only: bool,
) -> Result<String, ExportError> {
    let v1 = version.is_some_and(|(major, _)| major < 2);
    let versions = match version {
        Some((major, minor)) if v1 => {
            format!("himalaya {major}.{minor} as installed (v1: backend.*, message.send.backend.*)")
        }
        Some((major, minor)) => format!(
            "himalaya {major}.{minor} as installed (v2: imap.server, imap.sasl.login, mailbox.alias)"
        ),
        None => "himalaya v2 (2.0 or later: imap.server, imap.sasl.login, mailbox.alias); \
                 v1 used backend.* keys"
            .to_string(),
    };
    let mut s = header(view, CLIENT, &versions);
    if only {
        s.push_str("# The only account in this file, so the default (default = true).\n");
    } else {
        s.push_str(&format!(
            "# Use it with: himalaya -a {name} envelope list (or add default = true below).\n",
            name = view.email
        ));
    }
    s.push_str(&format!(
        "#\n\
         # himalaya files no copy of what it sends (`messages send`); keep one with\n\
         # `himalaya -a {name} messages add --mailbox sent`.\n",
        name = view.email,
    ));
    s.push_str(&sent_copy_note("Check there before adding your own copy."));
    let cmd = string(&view.password_command());
    s.push_str(&format!(
        "[accounts.{name}]\n\
         email = {from}\n",
        name = string(&view.email),
        from = string(&view.from),
    ));
    if only {
        s.push_str("default = true\n");
    }
    s.push('\n');
    if v1 {
        render_v1(view, &cmd, &mut s);
        return Ok(s);
    }
    let imap_url = view.imap.security.says(
        format!("imaps://{}:{}", view.imap.url_host(), view.imap.port),
        format!("imap://{}:{}", view.imap.url_host(), view.imap.port),
    );
    let smtp_url = view.smtp.security.says(
        format!("smtps://{}:{}", view.smtp.url_host(), view.smtp.port),
        format!("smtp://{}:{}", view.smtp.url_host(), view.smtp.port),
    );
    s.push_str(&format!(
        "imap.server = {imap_url}\n",
        imap_url = string(&imap_url),
    ));
    if view.imap.security == Security::StartTls {
        s.push_str("imap.starttls = true\n");
    }
    if let Some(ca) = &view.ca_file {
        s.push_str(&format!("imap.tls.cert = {}\n", string(ca)));
    }
    s.push_str(&format!(
        "# sasl.login: the IMAP LOGIN command, which our check proves (iCloud has refused\n\
         # AUTHENTICATE PLAIN where LOGIN works).\n\
         imap.sasl.login.username = {imap_user}\n\
         imap.sasl.login.password.command = {cmd}\n\
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
    let f = &view.folders;
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

/// himalaya v1's keys (after the `email` line): `backend.*` for IMAP,
/// `message.send.backend.*` for SMTP, `folder.aliases.*`.
fn render_v1(view: &AccountView, cmd: &str, s: &mut String) {
    let encryption = |sec: Security| sec.says("tls", "start-tls");
    if view.ca_file.is_some() {
        s.push_str(
            "# These servers need extra trust anchors, and himalaya v1 has no option for\n\
             # them: add the CA file to the system's trust store.\n",
        );
    }
    s.push_str(
        "# himalaya v1 has no setting for the IMAP login method: it chooses from what the\n\
         # server offers (our check proves the IMAP LOGIN command).\n",
    );
    for (prefix, server, user) in [
        ("backend", &view.imap, &view.imap_user),
        ("message.send.backend", &view.smtp, &view.smtp_user),
    ] {
        let kind = if prefix == "backend" { "imap" } else { "smtp" };
        s.push_str(&format!(
            "{prefix}.type = {kind}\n\
             {prefix}.host = {host}\n\
             {prefix}.port = {port}\n\
             {prefix}.encryption.type = {enc}\n\
             {prefix}.login = {user}\n\
             {prefix}.auth.type = \"password\"\n\
             {prefix}.auth.cmd = {cmd}\n\
             \n",
            kind = string(kind),
            host = string(&server.host),
            port = server.port,
            enc = string(encryption(server.security)),
            user = string(user),
        ));
    }
    let f = &view.folders;
    s.push_str(&format!(
        "folder.aliases.inbox = {}\n\
         folder.aliases.sent = {}\n\
         folder.aliases.drafts = {}\n\
         folder.aliases.trash = {}\n",
        string(f.inbox),
        string(f.sent),
        string(f.drafts),
        string(f.trash),
    ));
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
    use crate::domain::export::install::{block, place};
    use crate::domain::export::tests::{apple_view, custom_view, snapshot_both_views};

    snapshot_both_views!(|v| render(v, None, true), |v| render(
        v,
        Some((2, 1)),
        false
    ));

    #[test]
    fn version_1_gets_its_own_keys() {
        let t: toml::Table = render(&apple_view(), Some((1, 0)), false)
            .unwrap()
            .parse()
            .unwrap();
        let a = &t["accounts"]["emily@icloud.com"];
        assert_eq!(a["backend"]["type"].as_str(), Some("imap"));
        assert_eq!(a["backend"]["host"].as_str(), Some("imap.mail.me.com"));
        assert_eq!(a["backend"]["port"].as_integer(), Some(993));
        assert_eq!(a["backend"]["encryption"]["type"].as_str(), Some("tls"));
        assert_eq!(a["backend"]["login"].as_str(), Some("emily"));
        assert_eq!(
            a["backend"]["auth"]["cmd"].as_str(),
            Some("icloud-mail-setup password -- emily@icloud.com")
        );
        let send = &a["message"]["send"]["backend"];
        assert_eq!(send["encryption"]["type"].as_str(), Some("start-tls"));
        assert_eq!(send["login"].as_str(), Some("emily@icloud.com"));
        assert_eq!(
            a["folder"]["aliases"]["sent"].as_str(),
            Some("Sent Messages")
        );
        assert!(a.get("imap").is_none() && a.get("default").is_none());
    }

    #[test]
    fn the_only_account_is_the_default() {
        assert!(!has_accounts(""));
        assert!(!has_accounts("downloads-dir = \"~/d\"\n"));
        assert!(has_accounts("[accounts.work]\nemail = \"w@x.org\"\n"));
        let t: toml::Table = render(&apple_view(), None, true).unwrap().parse().unwrap();
        assert_eq!(
            t["accounts"]["emily@icloud.com"]["default"].as_bool(),
            Some(true)
        );
        let t: toml::Table = render(&apple_view(), None, false).unwrap().parse().unwrap();
        assert!(t["accounts"]["emily@icloud.com"].get("default").is_none());
    }

    #[test]
    fn the_output_is_toml_with_the_keys_himalaya_reads() {
        let v = custom_view();
        let t: toml::Table = render(&v, None, false).unwrap().parse().unwrap();
        let a = &t["accounts"]["me@example.org"];
        assert_eq!(a["email"].as_str(), Some("me@example.org"));
        assert_eq!(
            a["imap"]["server"].as_str(),
            Some("imaps://mail.example.org:1993")
        );
        assert_eq!(
            a["imap"]["sasl"]["login"]["password"]["command"].as_str(),
            Some("icloud-mail-setup password -- me@example.org")
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
        let body = render(&apple_view(), None, true).unwrap();
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
