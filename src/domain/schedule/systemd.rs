//! The systemd user units: a oneshot service that runs the check and a
//! daily timer that starts it.

use super::{Job, NAME, WRITTEN_BY};

/// `icloud-mail-setup-check.service`
pub fn service_name() -> String {
    format!("{NAME}.service")
}

/// `icloud-mail-setup-check.timer`
pub fn timer_name() -> String {
    format!("{NAME}.timer")
}

/// The service unit that runs `job` once.
pub fn service(job: &Job) -> String {
    let exec: Vec<String> = std::iter::once(quote_program(&job.program))
        .chain(job.args.iter().map(|a| quote(a)))
        .collect();
    format!(
        "# {WRITTEN_BY}\n\
         [Unit]\n\
         Description=Check the iCloud Mail passwords kept by icloud-mail-setup\n\
         \n\
         [Service]\n\
         Type=oneshot\n\
         TimeoutStartSec=10min\n\
         # A test server, a CA file or a bug-report log a session exported\n\
         # never reach the daily check: it checks what is written here.\n\
         UnsetEnvironment=ICLOUD_MAIL_SETUP_CONFIG ICLOUD_MAIL_SETUP_IMAP \
         ICLOUD_MAIL_SETUP_SMTP ICLOUD_MAIL_SETUP_CA_FILE ICLOUD_MAIL_SETUP_LOG\n\
         ExecStart={}\n",
        exec.join(" ")
    )
}

/// The timer: daily, caught up after the machine was off
/// (`Persistent`), spread over an hour so that not every machine logs in
/// at midnight.
pub fn timer() -> String {
    format!(
        "# {WRITTEN_BY}\n\
         [Unit]\n\
         Description=Daily check of the iCloud Mail passwords kept by icloud-mail-setup\n\
         \n\
         [Timer]\n\
         OnCalendar=daily\n\
         Persistent=true\n\
         RandomizedDelaySec=1h\n\
         Unit={}\n\
         \n\
         [Install]\n\
         WantedBy=timers.target\n",
        service_name()
    )
}

/// One argument of an `ExecStart=` line (systemd.service, "Command
/// lines"): `%` starts a specifier and `$` a variable, so both are doubled;
/// a word with anything but plain characters goes in double quotes, inside
/// which `\` and `"` are backslash-escaped.
pub fn quote(word: &str) -> String {
    quoted(&word.replace('%', "%%").replace('$', "$$"))
}

/// The program of an `ExecStart=` line: like [`quote`], except that `$`
/// stays as it is: systemd expands variables in the arguments only, and
/// runs the program path as written (`systemd-analyze verify` confirms).
pub fn quote_program(path: &str) -> String {
    quoted(&path.replace('%', "%%"))
}

fn quoted(word: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "/._,:=+@%$-".contains(c);
    if !word.is_empty() && word.chars().all(plain) {
        return word.to_string();
    }
    let mut out = String::with_capacity(word.len() + 2);
    out.push('"');
    for c in word.chars() {
        if c == '\\' || c == '"' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn the_units_are_what_systemd_expects() {
        let job = Job::new(
            Path::new("/usr/bin/icloud-mail-setup"),
            Some(Path::new("/home/e/.config/mail/config.toml")),
        )
        .unwrap();
        // The whole unit, as systemd reads it (the snapshot), and the line
        // that matters most, spelled out.
        let unit = service(&job);
        insta::assert_snapshot!(unit);
        assert!(
            unit.ends_with(
                "\nExecStart=/usr/bin/icloud-mail-setup verify --scheduled --config \
                 /home/e/.config/mail/config.toml\n"
            ),
            "{unit}"
        );
        let t = timer();
        for line in [
            "OnCalendar=daily\n",
            "Persistent=true\n",
            "RandomizedDelaySec=1h\n",
            "Unit=icloud-mail-setup-check.service\n",
            "[Install]\nWantedBy=timers.target\n",
        ] {
            assert!(t.contains(line), "{line:?} in\n{t}");
        }
    }

    #[test]
    fn words_are_escaped_for_systemd() {
        assert_eq!(quote("/usr/bin/x"), "/usr/bin/x");
        assert_eq!(quote("/a b/x"), "\"/a b/x\"");
        assert_eq!(quote("/50%/x"), "/50%%/x");
        assert_eq!(quote("/$HOME/x"), "/$$HOME/x");
        assert_eq!(quote(r#"/a "q" \ & <b>'s/c"#), r#""/a \"q\" \\ & <b>'s/c""#);
        assert_eq!(quote(";"), "\";\"");
        assert_eq!(quote(""), "\"\"");
        assert_eq!(quote("/a b%c$d"), "\"/a b%%c$$d\"");
        assert_eq!(quote_program("/a b%c$d"), "\"/a b%%c$d\"");
        assert_eq!(quote_program("/usr/bin/x"), "/usr/bin/x");
    }
}
