//! `doctor [EMAIL] [--json]`: everything between the person and working
//! mail, each problem with the one command that fixes it.
//!
//! Per account (the one named, else every one): the keyring answers; the
//! stored password is accepted (one IMAP login, the daily check's own
//! [`super::scheduled::check_one`]); every exported client's config still
//! holds our block and it is what `export` would write now (an edited
//! block, or a client upgrade that changes the syntax); the password
//! command, run by `sh` under `PATH=/usr/bin:/bin` as cron would, prints a
//! password; mbsync's Maildir exists; git hands the password to no other
//! helper. Whether the daily check is active is said for information only.
//!
//! Exit: 0 all well, 3 a password rejected, 5 the keyring unreachable, 1
//! any other problem. Nothing is changed and nothing is recorded.

use std::io::Write;
use std::path::Path;
use std::time::Duration;

use serde::Serialize;

use crate::app::cli::DoctorArgs;
use crate::app::context::Context;
use crate::app::error::{Error, Outcome};
use crate::app::exit::Exit;
use crate::app::output::{self, shown};
use crate::domain::config::AccountEntry;
use crate::domain::export::{self, AccountView, Client, Paths, install};
use crate::domain::invocation::Invocation;
use crate::domain::storage::CheckResult;
use crate::sys::text::shell_quote;

/// How long the password command may take under cron's PATH.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(15);

/// One thing looked at, and how it stands. Its texts are kept as they
/// came (paths, server and program messages) and escaped where printed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub check: &'static str,
    pub ok: bool,
    pub detail: String,
    /// The command that fixes it, when it is not ok.
    pub fix: Option<String>,
}

fn good(check: &'static str, detail: impl Into<String>) -> Finding {
    Finding {
        check,
        ok: true,
        detail: detail.into(),
        fix: None,
    }
}

fn bad(check: &'static str, detail: impl Into<String>, fix: impl Into<String>) -> Finding {
    Finding {
        check,
        ok: false,
        detail: detail.into(),
        fix: Some(fix.into()),
    }
}

/// One account's findings, as `--json` gives them.
#[derive(Serialize)]
struct AccountReport {
    email: String,
    ok: bool,
    checks: Vec<Finding>,
}

/// `doctor --json`.
#[derive(Serialize)]
struct Report<'a> {
    accounts: &'a [AccountReport],
    daily_check: &'a str,
    exit: u8,
}

/// `doctor [EMAIL] [--json]`.
pub fn run(ctx: &Context<'_>, args: DoctorArgs) -> Result<Outcome, Error> {
    let (path, config) = ctx.open_config()?;
    // Every fix names the config this run used, so it acts on the same one.
    let ims = ctx.typed_command();
    let entries: Vec<&AccountEntry> = match &args.email {
        Some(raw) => vec![ctx.pick_account(&config, Some(raw), &path, "doctor")?],
        None => config.accounts.iter().collect(),
    };
    if entries.is_empty() {
        let _ = writeln!(
            ctx.out(),
            "No accounts are configured in {}. Fix: {ims}",
            shown(&path.display().to_string())
        );
        return Ok(Exit::Failure.into());
    }
    let me = Invocation::current(Some(&path));
    let service = crate::app::checking::service(
        ctx.globals(),
        ctx.store(),
        &path,
        ctx.settings(),
        ctx.make_checker(),
    );
    let paths = ctx.paths();
    let (imap_given, smtp_given) = ctx.servers_given();
    let mut exit = Exit::Ok;
    let mut accounts = Vec::new();
    for entry in entries {
        // The daily check's own login, its lines kept out of our output.
        let (code, result, _) = super::scheduled::check_one(
            &service,
            entry,
            &mut std::io::sink(),
            &mut std::io::sink(),
        );
        let mut findings = Vec::new();
        let fix_account = format!("{ims} --account={}", shell_quote(&entry.email));
        findings.push(match result {
            CheckResult::Keyring => bad(
                "keyring",
                "the keyring cannot be reached or is locked",
                "unlock the keyring (log in to the desktop session), then run doctor again",
            ),
            _ => good("keyring", "reachable"),
        });
        findings.push(match result {
            CheckResult::Ok => good("password", "accepted by the IMAP server"),
            CheckResult::Rejected => bad(
                "password",
                "the server refuses the stored password (revoked, or the Apple Account \
                 password changed)",
                fix_account.clone(),
            ),
            CheckResult::NoPassword => bad(
                "password",
                "no password is stored for this account",
                fix_account.clone(),
            ),
            CheckResult::Keyring => bad(
                "password",
                "not checked: the keyring did not answer",
                "unlock the keyring, then run doctor again",
            ),
            _ => bad(
                "password",
                format!("not checked (exit {})", code as u8),
                format!("{ims} verify {}", shell_quote(&entry.email)),
            ),
        });
        exit = match result {
            CheckResult::Keyring => Exit::Keyring,
            CheckResult::Rejected if exit != Exit::Keyring => Exit::Rejected,
            CheckResult::Ok => exit,
            _ if exit == Exit::Ok => Exit::Failure,
            _ => exit,
        };
        let view =
            AccountView::from_entry(entry, ctx.settings(), imap_given, smtp_given, me.clone());
        match view {
            Ok(view) => findings.extend(client_findings(entry, &view, paths, &ims)),
            Err(e) => findings.push(bad(
                "exports",
                e.to_string(),
                format!("{ims} verify {}", shell_quote(&entry.email)),
            )),
        }
        if findings.iter().any(|f| !f.ok) && exit == Exit::Ok {
            exit = Exit::Failure;
        }
        accounts.push(AccountReport {
            email: entry.email.clone(),
            ok: findings.iter().all(|f| f.ok),
            checks: findings,
        });
    }
    let daily = daily_check_active(&ims);
    let out = &mut *ctx.out();
    if args.json {
        let report = Report {
            accounts: &accounts,
            daily_check: &daily,
            exit: exit as u8,
        };
        let _ = output::json(out, &report);
    } else {
        for a in &accounts {
            let _ = writeln!(out, "{}:", shown(&a.email));
            for f in &a.checks {
                let mark = if f.ok { "ok " } else { "BAD" };
                let _ = write!(out, "  {mark} {}: {}", f.check, shown(&f.detail));
                match &f.fix {
                    Some(fix) => {
                        let _ = writeln!(out, ". Fix: {}", shown(fix));
                    }
                    None => {
                        let _ = writeln!(out);
                    }
                }
            }
        }
        let _ = writeln!(
            out,
            "Daily check: {} (for information; `{ims} schedule` shows it).",
            daily
        );
    }
    Ok(exit.into())
}

/// The exported clients of `entry`, each as `export` would write it now,
/// then the password command under cron's PATH.
fn client_findings(
    entry: &AccountEntry,
    view: &AccountView,
    paths: Option<&Paths>,
    ims: &str,
) -> Vec<Finding> {
    let mut v = Vec::new();
    let email = &entry.email;
    let export_fix = |c: Client| format!("{ims} export {c} {} --write", shell_quote(email));
    let versions = export::Versions::detect(paths);
    for client in entry
        .exported
        .iter()
        .filter_map(|n| n.parse::<Client>().ok())
    {
        let Some(paths) = paths else {
            v.push(bad("exports", "no HOME is set", "set HOME"));
            break;
        };
        if client == Client::Git {
            v.push(git_finding(view, paths, export_fix(client)));
            continue;
        }
        let file = match client.config_path(paths) {
            Ok(f) => f,
            Err(e) => {
                v.push(bad("exports", e.to_string(), export_fix(client)));
                continue;
            }
        };
        v.push(block_finding(
            client,
            view,
            &versions,
            &file,
            export_fix(client),
        ));
        if client == Client::Mbsync {
            let root = export::mbsync::maildir_root(view);
            let dir = paths.home.join(root.trim_start_matches("~/"));
            v.push(if dir.is_dir() {
                good("mbsync Maildir", format!("{} exists", dir.display()))
            } else {
                bad(
                    "mbsync Maildir",
                    format!(
                        "{} is missing, and mbsync refuses to sync without it",
                        dir.display()
                    ),
                    format!("mkdir -p {}", shell_quote(&dir.display().to_string())),
                )
            });
        }
    }
    v.push(command_finding(view, paths, ims));
    v
}

/// Our block in `file` is there and is what `export` writes now.
fn block_finding(
    client: Client,
    view: &AccountView,
    versions: &export::Versions,
    file: &Path,
    fix: String,
) -> Finding {
    let name = client.name();
    let Ok(text) = std::fs::read_to_string(crate::domain::config::resolve(file)) else {
        return bad(
            "exports",
            format!("{name}: {} cannot be read", file.display()),
            fix,
        );
    };
    let placed = match install::place(&text, &view.email, "") {
        Ok(p) if p.replaced => p,
        _ => {
            return bad(
                "exports",
                format!("{name}: {} no longer holds our block", file.display()),
                fix,
            );
        }
    };
    let current = &text[placed.before.len()..text.len() - placed.after.len()];
    let elsewhere = format!("{}{}", placed.before, placed.after);
    match client.render(view, versions, &elsewhere) {
        Ok(body) if install::block(&view.email, &body) == current => good(
            "exports",
            format!("{name}: {} is up to date", file.display()),
        ),
        Ok(_) => bad(
            "exports",
            format!(
                "{name}: our block in {} differs from what export writes now (edited, or the \
                 client was upgraded)",
                file.display()
            ),
            fix,
        ),
        Err(e) => bad("exports", format!("{name}: {e}"), fix),
    }
}

/// git calls our helper, and no other helper would keep the password.
fn git_finding(view: &AccountView, paths: &Paths, fix: String) -> Finding {
    let Some(git) = paths.find_program("git") else {
        return bad("exports", "git: git is not on PATH", "install git");
    };
    let host = format!("{}:{}", view.smtp.url_host(), view.smtp.port);
    // A list that cannot be read is not a safe one (the helper then
    // answers nothing either).
    let chain = match export::git::read_helper_chain(&git, &host, Some(&view.smtp_user)) {
        Ok(chain) => chain,
        Err(e) => {
            return bad(
                "git helpers",
                format!("git's credential helpers could not be read: {e}"),
                "git config --show-origin --get-regexp '^credential' (then fix what it shows)",
            );
        }
    };
    if !chain.iter().any(|h| h.is_ours()) {
        return bad(
            "exports",
            "git: our credential helper is not configured",
            fix,
        );
    }
    match export::git::unsafe_helper(&chain) {
        None => good("git helpers", "no other helper gets the password"),
        Some(h) => {
            let m = export::git::unsafe_helper_message(
                h,
                &export::git::credential_url(view),
                &export::git::helper(view),
            );
            let (detail, fix) = m.split_once(" Fix: ").unwrap_or((&m, ""));
            bad("git helpers", detail.to_string(), fix.to_string())
        }
    }
}

/// The password command, run by `sh` as cron would (`PATH=/usr/bin:/bin`,
/// nothing of ours in the environment), prints a password.
fn command_finding(view: &AccountView, paths: Option<&Paths>, ims: &str) -> Finding {
    let cmd = view.password_command();
    let fix = format!(
        "{ims} export CLIENT {} --write (from the installed program)",
        shell_quote(&view.email)
    );
    let mut args = vec!["-i".to_string(), "PATH=/usr/bin:/bin".to_string()];
    if let Some(p) = paths {
        args.push(format!("HOME={}", p.home.display()));
    }
    // What reaches the keyring: the session bus, and where pass and gpg
    // keep their files when not in the default places.
    for keep in [
        "DBUS_SESSION_BUS_ADDRESS",
        "XDG_RUNTIME_DIR",
        "PASSWORD_STORE_DIR",
        "GNUPGHOME",
    ] {
        if let Some(v) = std::env::var_os(keep).and_then(|v| v.into_string().ok()) {
            args.push(format!("{keep}={v}"));
        }
    }
    args.extend(["/bin/sh".to_string(), "-c".to_string(), cmd.clone()]);
    if cfg!(windows) {
        // No env(1) or sh there; a client runs the command its own way.
        return good(
            "password command",
            format!("`{cmd}` (not run here: Windows has no POSIX shell to run it as cron would)"),
        );
    }
    let ran = crate::sys::process::run(Path::new("/usr/bin/env"), &args, COMMAND_TIMEOUT);
    // What it printed is the password: looked at, never kept or shown.
    let printed = ran.as_ref().is_ok_and(|r| !r.stdout.trim().is_empty());
    let ran = ran.map(|mut r| {
        zeroize::Zeroize::zeroize(&mut r.stdout);
        r
    });
    match ran {
        Ok(r) if r.status.success() && printed => good(
            "password command",
            format!("`{cmd}` prints a password under PATH=/usr/bin:/bin"),
        ),
        Ok(r) => bad(
            "password command",
            format!(
                "`{cmd}` under PATH=/usr/bin:/bin printed no password: {}",
                r.stderr.lines().next().unwrap_or("no message")
            ),
            fix,
        ),
        Err(e) => bad("password command", e, fix),
    }
}

/// Whether the daily check is active, as its scheduler says (Linux:
/// systemd's user timer); `unknown` where that cannot be asked.
fn daily_check_active(ims: &str) -> String {
    if !cfg!(target_os = "linux") {
        return format!("unknown here (see `{ims} schedule`)");
    }
    let Some(systemctl) = crate::sys::process::find("systemctl") else {
        return "unknown (no systemctl)".into();
    };
    let timer = format!("{}.timer", crate::domain::schedule::NAME);
    match crate::sys::process::run(
        &systemctl,
        &["--user", "is-active", &timer],
        Duration::from_secs(5),
    ) {
        Ok(r) if r.status.success() => "active".into(),
        Ok(_) => format!("not active (`{ims} schedule daily` turns it on)"),
        Err(_) => "unknown (systemctl did not answer)".into(),
    }
}
