//! `--log FILE` / `ICLOUD_MAIL_SETUP_LOG`: the real binary, a real Dovecot
//! (IMAP LOGIN, SMTP AUTH PLAIN), a scripted server that runs AUTH LOGIN
//! to the end, and the real Secret Service. The log must show the steps
//! and hold no form of any password that was sent.

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::dovecot::Dovecot;
use common::fault::{Fault, FaultServer};
use common::keyring::{require_bus, unique_email};
use icloud_mail_setup::mail::wire::base64_into;
use zeroize::Zeroizing;

const GOOD: &str = "wqxz-kjhd-pmnt-rvbc";
const WRONG: &str = "zzyx-wvut-srqp-onml";

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_icloud-mail-setup")
}

fn run(args: &[&str], env: &[(&str, &Path)], stdin: &str) -> (i32, String) {
    let mut child = Command::new(bin())
        .args(args)
        .env_remove("ICLOUD_MAIL_SETUP_LOG")
        .envs(env.iter().map(|(k, v)| (*k, *v)))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let o = child.wait_with_output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    (o.status.code().unwrap_or(-1), text)
}

fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

fn b64(raw: &[u8]) -> String {
    let mut out = Zeroizing::new(Vec::with_capacity(raw.len() * 2 + 4));
    base64_into(raw, &mut out);
    String::from_utf8(out.to_vec()).unwrap()
}

/// Every form `password` can take in a protocol line or a paste.
fn forms(password: &str, usernames: &[&str]) -> Vec<String> {
    let bare = password.replace('-', "");
    let mut out = vec![
        password.to_string(),
        bare.clone(),
        password.to_uppercase(),
        bare.to_uppercase(),
        b64(password.as_bytes()),
        b64(bare.as_bytes()),
    ];
    for user in usernames {
        out.push(b64(format!("\0{user}\0{password}").as_bytes()));
        out.push(b64(format!("{user}\0{user}\0{password}").as_bytes()));
    }
    out
}

#[test]
fn the_debug_log_shows_every_step_and_no_secret_in_any_form() {
    require_bus();
    let email = unique_email("dlog");
    let local = email.split('@').next().unwrap().to_string();
    let dovecot = Dovecot::start();
    dovecot.set_users(&[&local, &email], GOOD);
    let login_only = FaultServer::start(Fault::SmtpLoginOnly);
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    let log = dir.path().join("debug.log");
    // One anchor file trusting both Dovecot's CA and the scripted server's.
    let dovecot_ca = dovecot.settings().ca_file.unwrap();
    let cas = dir.path().join("cas.pem");
    std::fs::write(
        &cas,
        [
            std::fs::read(&dovecot_ca).unwrap(),
            std::fs::read(&login_only.ca_file).unwrap(),
        ]
        .concat(),
    )
    .unwrap();
    let imap = dovecot.settings().imap.to_string();
    let smtp = dovecot.settings().smtp.to_string();
    let base = ["--config", config.to_str().unwrap()];
    let servers = [
        "--imap",
        imap.as_str(),
        "--smtp",
        smtp.as_str(),
        "--ca-file",
        cas.to_str().unwrap(),
    ];
    let args = |rest: &[&str]| -> Vec<String> {
        base.iter()
            .chain(servers.iter())
            .chain(rest.iter())
            .map(|s| s.to_string())
            .collect()
    };
    let log_arg = log.to_str().unwrap();

    // A rejected password (both IMAP username forms tried), then the good
    // one pasted without hyphens in capitals, given by the variable.
    let a = args(&["--log", log_arg, "store", &email, "--password-stdin"]);
    let (code, out) = run(&strs(&a), &[], &format!("{WRONG}\n"));
    assert_eq!(code, 3, "{out}");
    let a = args(&["store", &email, "--password-stdin"]);
    let sloppy = format!("{}\n", GOOD.replace('-', "").to_uppercase());
    let (code, out) = run(&strs(&a), &[("ICLOUD_MAIL_SETUP_LOG", &log)], &sloppy);
    assert_eq!(code, 0, "{out}");
    // Read back from the keyring and checked again.
    let a = args(&["--log", log_arg, "verify", &email]);
    let (code, out) = run(&strs(&a), &[], "");
    assert_eq!(code, 0, "{out}");
    // SMTP through AUTH LOGIN, to its end.
    let fault_smtp = login_only.endpoint.to_string();
    let a = args(&[
        "--log",
        log_arg,
        "verify",
        &email,
        "--smtp",
        fault_smtp.as_str(),
    ]);
    let (code, out) = run(&strs(&a), &[], "");
    assert_eq!(code, 0, "{out}");
    assert!(login_only.saw_auth());

    let text = std::fs::read_to_string(&log).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&log).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{mode:o}");
    }
    // No secret in any form; and the placeholders alone kept it out: the
    // last-line filter never had to act.
    let users = [local.as_str(), email.as_str()];
    for secret in forms(GOOD, &users).iter().chain(&forms(WRONG, &users)) {
        assert!(
            !text.contains(secret.as_str()),
            "{secret} is in the log:\n{text}"
        );
        assert!(!text.to_lowercase().contains(&secret.to_lowercase()));
    }
    assert!(!text.contains("line redacted"), "{text}");
    // The steps are there, each line timestamped.
    for line in text.lines() {
        let time = line.split(' ').next().unwrap();
        assert!(
            time.len() == 24 && time.ends_with('Z') && time.as_bytes()[19] == b'.',
            "{line}"
        );
    }
    for step in [
        " cli icloud-mail-setup ",
        " net connecting to ",
        " tls localhost: TLSv1_3, TLS13_",
        " imap S: * OK ",
        &format!(" imap C: a1 LOGIN \"{local}\" <password redacted>"),
        &format!(" imap C: a1 LOGIN \"{email}\" <password redacted>"),
        " imap S: a1 NO [AUTHENTICATIONFAILED]",
        " imap S: a1 OK ",
        " smtp S: 220 ",
        " smtp C: EHLO localhost",
        " smtp C: STARTTLS",
        " smtp C: AUTH PLAIN <redacted>",
        " smtp S: 535 ",
        " smtp S: 235 ",
        " smtp C: AUTH LOGIN",
        " smtp S: 334 VXNlcm5hbWU6",
        " smtp C: <redacted>",
        " smtp S: 334 UGFzc3dvcmQ6",
        &format!(" keyring storing a password [{email}]"),
        &format!(" keyring reading a password [{email}]"),
        " config wrote ",
        " cli exit status ",
    ] {
        assert!(text.contains(step), "the log lacks {step:?}:\n{text}");
    }
}

#[test]
fn a_log_that_cannot_be_written_is_a_clear_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("no-such-dir").join("debug.log");
    let (code, out) = run(&["--log", bad.to_str().unwrap(), "list"], &[], "");
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("--log: cannot write the log to") && out.contains("No such file"),
        "{out}"
    );
    assert!(!out.contains("panicked"), "{out}");
    // The variable too, and a symlink is not followed.
    let target = dir.path().join("target");
    std::fs::write(&target, "").unwrap();
    let link = dir.path().join("link.log");
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let (code, out) = run(&["list"], &[("ICLOUD_MAIL_SETUP_LOG", &link)], "");
        assert_eq!(code, 2, "{out}");
        assert!(out.contains("symbolic link"), "{out}");
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "");
    }
}

#[test]
fn the_wizard_logs_its_effects() {
    let dir = tempfile::tempdir().unwrap();
    let log: PathBuf = dir.path().join("w.log");
    let config = dir.path().join("config.toml");
    let (code, out) = run(
        &[
            "--plain",
            "--config",
            config.to_str().unwrap(),
            "--log",
            log.to_str().unwrap(),
        ],
        &[],
        "",
    );
    assert_eq!(code, 1, "{out}");
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.contains(" wizard starting (line by line)"), "{text}");
    assert!(text.contains(" wizard effect "), "{text}");
}
