//! Each platform's scheduler as data: the files it reads (with what they
//! should hold) and the commands that load, unload and query the daily
//! check (systemd user units, a launchd agent, a Task Scheduler task), and
//! running those commands.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::domain::schedule::Job;

/// How long one scheduler command (`systemctl`, `launchctl`, `schtasks`)
/// may take.
pub(super) const TOOL_TIMEOUT: Duration = Duration::from_secs(15);

/// A file the scheduler reads, and what it should hold.
pub(super) struct File {
    pub path: PathBuf,
    pub bytes: Vec<u8>,
}

/// One scheduler command; `must` ones stop the install (or make `off`
/// fail) when they fail. A failed one is tried `retries` more times, half
/// a second apart.
pub(super) struct Step {
    pub args: Vec<String>,
    pub must: bool,
    pub retries: u32,
}

/// Where the files go and how the platform's scheduler is told.
pub(super) struct Target {
    pub what: String,
    pub files: Vec<File>,
    pub tool: &'static str,
    /// After the files are written.
    pub load: Vec<Step>,
    /// Before they are removed.
    pub unload: Vec<Step>,
    /// After they are removed.
    pub forget: Vec<Step>,
    /// Links the scheduler made to the files, removed by `off` too.
    pub links: Vec<PathBuf>,
    /// Succeeds when the check is installed and active (running).
    pub query: Vec<String>,
    /// Prints the next run, when the scheduler can tell.
    pub next_run: Option<Vec<String>>,
}

fn step(args: &[&str], must: bool) -> Step {
    Step {
        args: args.iter().map(|s| s.to_string()).collect(),
        must,
        retries: 0,
    }
}

/// Linux and the other Unixes: systemd user units.
#[cfg(not(any(target_os = "macos", windows)))]
pub(super) fn target(job: &Job) -> Result<Target, String> {
    use crate::domain::schedule::systemd;
    let config_home = match std::env::var_os("XDG_CONFIG_HOME").map(PathBuf::from) {
        Some(p) if p.is_absolute() => p,
        _ => std::env::var_os("HOME")
            .map(|h| PathBuf::from(h).join(".config"))
            .ok_or("neither XDG_CONFIG_HOME nor HOME is set")?,
    };
    let dir = config_home.join("systemd/user");
    let (service, timer) = (systemd::service_name(), systemd::timer_name());
    Ok(Target {
        what: format!("systemd user timer {timer}"),
        files: vec![
            File {
                path: dir.join(&service),
                bytes: systemd::service(job).into_bytes(),
            },
            File {
                path: dir.join(&timer),
                bytes: systemd::timer().into_bytes(),
            },
        ],
        tool: "systemctl",
        load: vec![
            step(&["--user", "daemon-reload"], true),
            step(&["--user", "enable", "--now", &timer], true),
        ],
        unload: vec![step(&["--user", "disable", "--now", &timer], true)],
        forget: vec![step(&["--user", "daemon-reload"], false)],
        // What `enable` makes; `off` removes it itself when systemctl
        // cannot be reached.
        links: vec![dir.join("timers.target.wants").join(&timer)],
        // Enabled is not enough: a stopped timer never fires.
        query: vec!["--user".into(), "is-active".into(), timer.clone()],
        next_run: Some(
            [
                "--user",
                "show",
                &timer,
                "--property=NextElapseUSecRealtime",
                "--value",
            ]
            .map(String::from)
            .to_vec(),
        ),
    })
}

/// macOS: a launchd agent in the user's GUI domain.
#[cfg(target_os = "macos")]
pub(super) fn target(job: &Job) -> Result<Target, String> {
    use crate::domain::schedule::{LABEL, launchd};
    let home = PathBuf::from(std::env::var_os("HOME").ok_or("HOME is not set")?);
    let plist = home.join(format!("Library/LaunchAgents/{LABEL}.plist"));
    let log = launchd::log_path(&home);
    // SAFETY: getuid has no preconditions and cannot fail.
    let domain = format!("gui/{}", unsafe { libc::getuid() });
    let service = format!("{domain}/{LABEL}");
    let plist_s = plist.to_string_lossy().into_owned();
    Ok(Target {
        what: format!("launchd agent {LABEL}"),
        files: vec![File {
            bytes: launchd::plist(job, &log.to_string_lossy()).into_bytes(),
            path: plist,
        }],
        tool: "launchctl",
        load: vec![
            step(&["bootout", &service], false),
            // bootout finishes asynchronously: a bootstrap right after it
            // often fails ("5: Input/output error") and works a bit later.
            Step {
                retries: 6,
                ..step(&["bootstrap", &domain, &plist_s], true)
            },
        ],
        unload: vec![step(&["bootout", &service], false)],
        forget: vec![],
        links: vec![],
        query: vec!["print".into(), service],
        next_run: None,
    })
}

/// Windows: a Task Scheduler task defined by an XML file kept beside the
/// config.
#[cfg(windows)]
pub(super) fn target(job: &Job) -> Result<Target, String> {
    use crate::domain::schedule::{NAME, taskscheduler};
    let dir = crate::domain::config::default_path()
        .map_err(|e| e.to_string())?
        .parent()
        .map(Path::to_path_buf)
        .ok_or("no config directory")?;
    let xml = dir.join(format!("{NAME}.xml"));
    let xml_s = xml.to_string_lossy().into_owned();
    // DOMAIN\name of the user registering it: the task runs as them.
    let var = |v: &str| std::env::var(v).ok().filter(|s| !s.is_empty());
    let name = var("USERNAME").ok_or("USERNAME is not set")?;
    let user = match var("USERDOMAIN") {
        Some(domain) => format!("{domain}\\{name}"),
        None => name,
    };
    Ok(Target {
        what: format!("Task Scheduler task {NAME}"),
        files: vec![File {
            bytes: taskscheduler::utf16_file(&taskscheduler::task_xml(job, &user)),
            path: xml,
        }],
        tool: "schtasks",
        load: vec![step(&["/Create", "/TN", NAME, "/XML", &xml_s, "/F"], true)],
        unload: vec![step(&["/Delete", "/TN", NAME, "/F"], false)],
        forget: vec![],
        links: vec![],
        query: vec!["/Query".into(), "/TN".into(), NAME.into()],
        next_run: None,
    })
}

/// Write one file atomically, creating its directory.
pub(super) fn write_file(f: &File) -> Result<(), String> {
    if let Some(dir) = f.path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    crate::sys::atomic_file::replace(&f.path, &f.bytes, 0o644).map_err(|e| e.to_string())
}

pub(super) fn run_step(tool: &Path, s: &Step) -> Result<(), String> {
    let line = format!("{} {}", tool.display(), s.args.join(" "));
    let mut tries = 0;
    loop {
        let e = match crate::sys::process::run(tool, &s.args, TOOL_TIMEOUT) {
            Ok(r) if r.status.success() => return Ok(()),
            Ok(r) => format!("`{line}` failed ({}): {}", r.status, r.said()),
            Err(m) => format!("`{line}`: {m}"),
        };
        if tries >= s.retries {
            return Err(e);
        }
        tries += 1;
        std::thread::sleep(Duration::from_millis(500));
    }
}

pub(super) fn succeeds(tool: &Path, args: &[String]) -> bool {
    crate::sys::process::run(tool, args, TOOL_TIMEOUT).is_ok_and(|r| r.status.success())
}

/// The steps as lines to type.
pub(super) fn manual(tool: &str, steps: &[Step]) -> String {
    steps
        .iter()
        .filter(|s| s.must)
        .map(|s| {
            let args: Vec<String> = s
                .args
                .iter()
                .map(|a| crate::sys::text::shell_quote(a).into_owned())
                .collect();
            format!("  {tool} {}", args.join(" "))
        })
        .collect::<Vec<_>>()
        .join("\n")
}
