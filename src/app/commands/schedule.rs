//! `schedule [daily|off]`: install, remove or show the daily check (a
//! systemd user timer, a launchd agent or a Task Scheduler task running
//! `verify --scheduled`). Writing is idempotent: the same content again
//! changes nothing; other content (a moved binary, another config) replaces
//! the files atomically.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::scheduled::fix_command;
use crate::app::cli::{ScheduleArgs, When};
use crate::app::context::Context;
use crate::app::error::{Error, Outcome};
use crate::app::exit::Exit;
use crate::app::output::shown;
use crate::domain::schedule::Job;
use crate::sys::text::Platform;

mod target;

use target::{TOOL_TIMEOUT, Target, manual, run_step, succeeds, target, write_file};

/// `schedule [daily|off]`.
pub fn run(ctx: &Context<'_>, args: ScheduleArgs) -> Result<Outcome, Error> {
    let when = args.when;
    let job = match job(ctx.config_given()) {
        Ok(j) => j,
        Err(m) if when == Some(When::Daily) => return Err(Error::failure(m)),
        // Removing or showing needs only where the files are.
        Err(_) => Job {
            program: String::new(),
            args: Vec::new(),
        },
    };
    let target = target(&job).map_err(Error::failure)?;
    let tool = crate::sys::process::find(target.tool);
    let tool = tool.as_deref();
    match when {
        Some(When::Daily) => daily(&job, &target, tool, &mut **ctx.out(), &mut **ctx.err())?,
        Some(When::Off) => off(&target, tool, &mut **ctx.out(), &mut **ctx.err())?,
        None => {
            status(&job, &target, tool, &mut **ctx.out());
            accounts(ctx)?;
        }
    }
    Ok(Outcome::OK)
}

/// The job for this binary and config (`--config` only when one was given
/// that is not the default).
fn job(config_given: Option<&Path>) -> Result<Job, String> {
    let exe =
        std::env::current_exe().map_err(|e| format!("cannot tell where this program is: {e}"))?;
    let config = crate::domain::invocation::non_default_config(config_given);
    Job::new(&exe, config.as_deref()).map_err(|e| e.to_string())
}

fn daily(
    job: &Job,
    target: &Target,
    tool: Option<&Path>,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<(), Error> {
    if let Some(why) = job.looks_temporary() {
        let _ = writeln!(
            err,
            "warning: the check will run {}, and {why}. Install the program somewhere it \
             stays (e.g. `cargo install --path .`) and run `schedule daily` from there.",
            job.program
        );
    }
    let same = target
        .files
        .iter()
        .all(|f| std::fs::read(&f.path).is_ok_and(|b| b == f.bytes));
    if same && tool.is_some_and(|t| succeeds(t, &target.query)) {
        let _ = writeln!(
            out,
            "The daily check is already installed ({}); nothing was changed.",
            target.what
        );
        return Ok(());
    }
    if !same {
        // Only what differs is written: an unchanged file keeps its date.
        for f in &target.files {
            if std::fs::read(&f.path).is_ok_and(|b| b == f.bytes) {
                continue;
            }
            let existed = f.path.exists();
            write_file(f).map_err(Error::failure)?;
            let verb = if existed { "Replaced" } else { "Wrote" };
            let _ = writeln!(out, "{verb} {}", f.path.display());
        }
    }
    let Some(tool) = tool else {
        let manual = manual(target.tool, &target.load);
        let text = not_active(Platform::HERE, target.tool, &manual, &job.shell_line());
        return Err(Error::lines(Exit::Failure, &text));
    };
    for s in &target.load {
        if let Err(m) = run_step(tool, s)
            && s.must
        {
            let text = format!(
                "The files are written, but the check is not active: {m}\nActivate it \
                 with:\n{}{}",
                manual(target.tool, &target.load),
                crontab(job)
            );
            return Err(Error::lines(Exit::Failure, &text));
        }
    }
    let _ = writeln!(
        out,
        "The daily check is installed ({}): it runs `{}` once a day. \
         `icloud-mail-setup schedule` shows its state; `icloud-mail-setup schedule off` removes it.",
        target.what,
        job.shell_line()
    );
    #[cfg(target_os = "macos")]
    {
        let _ = writeln!(out, "{}", crate::domain::schedule::launchd::MISSED_DAY_NOTE);
        // Notices from osascript are dropped silently without permission.
        let sent = match crate::sys::notify::Notifier::find(true, crate::sys::process::find) {
            Some(n) => n.send(&crate::sys::notify::test_notice()),
            None => Err("osascript was not found".into()),
        };
        let _ = writeln!(out, "{}", crate::sys::notify::test_notice_report(sent));
    }
    Ok(())
}

/// What to say when the scheduler's tool is missing: how to activate the
/// files by hand, and on Unix the crontab line that does the same.
fn not_active(platform: Platform, tool: &str, manual: &str, command: &str) -> String {
    let mut text = format!(
        "The files are written, but `{tool}` was not found, so the check is not active. \
         Where {tool} runs, activate it with:\n{manual}"
    );
    text.push_str(&crontab_for(platform, command));
    text
}

/// The crontab line that does the same as the daily check's files, after
/// a newline; nothing on Windows, which has no cron.
fn crontab_for(platform: Platform, command: &str) -> String {
    if platform == Platform::Unix {
        format!("\nWithout it, a crontab line does the same:\n  0 10 * * * {command}")
    } else {
        String::new()
    }
}

fn off(
    target: &Target,
    tool: Option<&Path>,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<(), Error> {
    let present: Vec<&Path> = target
        .files
        .iter()
        .map(|f| f.path.as_path())
        .chain(target.links.iter().map(PathBuf::as_path))
        .filter(|p| p.symlink_metadata().is_ok())
        .collect();
    // No files, but the scheduler may still run it (files removed by
    // hand): unload it then too.
    let loaded = tool.is_some_and(|t| succeeds(t, &target.query));
    if present.is_empty() && !loaded {
        let _ = writeln!(
            out,
            "The daily check is not installed; nothing was changed."
        );
        return Ok(());
    }
    let mut failed = Vec::new();
    if let Some(tool) = tool {
        for s in &target.unload {
            if let Err(m) = run_step(tool, s) {
                if s.must {
                    failed.push(m);
                } else {
                    let _ = writeln!(err, "note: {m}");
                }
            }
        }
    }
    for p in present {
        match std::fs::remove_file(p) {
            Ok(()) => {
                let _ = writeln!(out, "Removed {}", p.display());
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                let what = format!("{}: could not be removed", p.display());
                return Err(Error::failure(what).because(e));
            }
        }
    }
    if let Some(tool) = tool {
        for s in &target.forget {
            let _ = run_step(tool, s);
        }
    }
    if !failed.is_empty() {
        let text = format!(
            "error: the files are removed, but {} may still run the check until it is told or \
             restarts: {}\nStop it with:\n{}",
            target.tool,
            failed.join("; "),
            manual(target.tool, &target.unload)
        );
        return Err(Error::lines(Exit::Failure, &text));
    }
    let _ = writeln!(out, "The daily check is off.");
    Ok(())
}

/// Whether the check is installed and active, and when it runs next.
fn status(job: &Job, target: &Target, tool: Option<&Path>, out: &mut dyn Write) {
    let present = target.files.iter().filter(|f| f.path.exists()).count();
    if present == 0 {
        let _ = writeln!(
            out,
            "The daily check is not installed. `icloud-mail-setup schedule daily` installs it."
        );
        return;
    }
    let _ = writeln!(out, "The daily check: {}", target.what);
    for f in &target.files {
        let state = match std::fs::read(&f.path) {
            Ok(b) if b == f.bytes => "up to date",
            Ok(_) if job.program.is_empty() => "present",
            Ok(_) => "differs from what `schedule daily` would write now (run it to update)",
            Err(_) => "MISSING",
        };
        let _ = writeln!(out, "  {}: {state}", f.path.display());
    }
    let Some(t) = tool else {
        let _ = writeln!(out, "  active: unknown (`{}` was not found)", target.tool);
        return;
    };
    let active = succeeds(t, &target.query);
    let _ = writeln!(out, "  active: {}", if active { "yes" } else { "no" });
    if let Some(next) = target.next_run.as_ref().filter(|_| active)
        && let Ok(r) = crate::sys::process::run(t, next, TOOL_TIMEOUT)
        && r.status.success()
        && !r.stdout.trim().is_empty()
    {
        let _ = writeln!(out, "  next run: {}", r.stdout.trim());
    }
}

/// Each account's last check, as the daily check recorded it.
fn accounts(ctx: &Context<'_>) -> Result<(), Error> {
    let (_, config) = ctx.open_config()?;
    let out = &mut *ctx.out();
    for a in &config.accounts {
        let last = match (a.check_result.as_deref(), a.checked_at.as_deref()) {
            (Some(r), Some(at)) => format!("{r} at {at}"),
            _ => "not checked yet".into(),
        };
        let _ = writeln!(out, "{}: last check {}", a.email, shown(&last));
        if let Some(since) = &a.rejected_since {
            let _ = writeln!(
                out,
                "  rejected since {} — fix: {}",
                shown(since),
                shown(&fix_command(&a.email, ctx.config_given()))
            );
        }
    }
    Ok(())
}

/// Whenever activation failed (no scheduler, or one that would not
/// start it, e.g. `systemctl` in a container without a user manager):
/// the crontab line that does the same, where there is cron.
fn crontab(job: &Job) -> String {
    crontab_for(Platform::HERE, &job.shell_line())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_unix_is_offered_a_crontab_line() {
        let unix = not_active(
            Platform::Unix,
            "systemctl",
            "  systemctl x",
            "/bin/ims verify",
        );
        assert!(unix.contains("0 10 * * * /bin/ims verify"), "{unix}");
        let win = not_active(
            Platform::Windows,
            "schtasks",
            "  schtasks /Create",
            "ims verify",
        );
        assert!(!win.contains("crontab") && !win.contains("* * *"), "{win}");
        assert!(win.contains("schtasks /Create"), "{win}");
    }
}
