//! The launchd agent (macOS): `~/Library/LaunchAgents/LABEL.plist`, run
//! every day at a fixed time. launchd runs a start missed while the Mac
//! slept when it wakes, but a day the Mac was off at that time is skipped
//! (unlike systemd's `Persistent=` or Task Scheduler's "start when
//! available"); `schedule daily` says so.
//!
//! The agent's output goes to a log file launchd appends to; the check
//! keeps it bounded ([`bound_log`]).

use std::path::{Path, PathBuf};

use super::{Job, LABEL, WRITTEN_BY, xml_escape};

/// The hour of the day (local time) the check runs.
pub const HOUR: u8 = 10;

/// The agent's log file, under the home directory `home`.
pub fn log_path(home: &Path) -> PathBuf {
    home.join("Library/Logs/icloud-mail-setup-check.log")
}

/// Beyond this size the log is set aside (a year of daily runs stays far
/// below it).
pub const LOG_LIMIT: u64 = 256 * 1024;

/// Keep the log at `path` bounded: once it is larger than `limit` it
/// becomes `PATH.old` (replacing an older one) and launchd starts a new
/// file at the next run. At most about twice `limit` is kept. Best effort:
/// a log that cannot be moved stays as it is.
pub fn bound_log(path: &Path, limit: u64) {
    let Ok(meta) = std::fs::metadata(path) else {
        return;
    };
    if meta.is_file() && meta.len() > limit {
        let mut old = path.as_os_str().to_owned();
        old.push(".old");
        let _ = std::fs::rename(path, PathBuf::from(old));
    }
}

/// What `schedule daily` adds on macOS about a missed day.
pub const MISSED_DAY_NOTE: &str = "If the Mac is asleep at 10:00 the check runs when it wakes; \
    if it is off, that day's check is skipped.";

/// The agent's property list. `log` is where its output goes (a path).
pub fn plist(job: &Job, log: &str) -> String {
    let mut args = String::new();
    for a in job.argv() {
        args.push_str(&format!("\t\t<string>{}</string>\n", xml_escape(a)));
    }
    let log = xml_escape(log);
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\" \"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">\n\
         <!-- {} -->\n\
         <plist version=\"1.0\">\n\
         <dict>\n\
         \t<key>Label</key>\n\
         \t<string>{LABEL}</string>\n\
         \t<key>ProgramArguments</key>\n\
         \t<array>\n\
         {args}\
         \t</array>\n\
         \t<key>StartCalendarInterval</key>\n\
         \t<dict>\n\
         \t\t<key>Hour</key>\n\
         \t\t<integer>{HOUR}</integer>\n\
         \t\t<key>Minute</key>\n\
         \t\t<integer>0</integer>\n\
         \t</dict>\n\
         \t<key>ProcessType</key>\n\
         \t<string>Background</string>\n\
         \t<key>StandardOutPath</key>\n\
         \t<string>{log}</string>\n\
         \t<key>StandardErrorPath</key>\n\
         \t<string>{log}</string>\n\
         </dict>\n\
         </plist>\n",
        // `--` may not appear inside an XML comment.
        WRITTEN_BY.replace("--", "- -"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn the_plist_lists_each_argument_escaped() {
        let job = Job::new(
            Path::new("/Applications/Mail & <Tools>/ims"),
            Some(Path::new("/Users/e/\"my\" config's.toml")),
        )
        .unwrap();
        let p = plist(&job, "/Users/e/Library/Logs/icloud-mail-setup-check.log");
        assert!(
            p.contains(
                "\t<array>\n\
                 \t\t<string>/Applications/Mail &amp; &lt;Tools&gt;/ims</string>\n\
                 \t\t<string>verify</string>\n\
                 \t\t<string>--scheduled</string>\n\
                 \t\t<string>--config</string>\n\
                 \t\t<string>/Users/e/&quot;my&quot; config&apos;s.toml</string>\n\
                 \t</array>\n"
            ),
            "{p}"
        );
        assert!(
            p.contains("<key>Label</key>\n\t<string>io.github.icloud-mail-setup.check</string>")
        );
        assert!(p.contains("<key>Hour</key>\n\t\t<integer>10</integer>"));
        assert!(p.contains(
            "<key>StandardOutPath</key>\n\t<string>/Users/e/Library/Logs/icloud-mail-setup-check.log</string>"
        ));
        // A well-formed comment: no `--` inside.
        let comment = p.split("<!--").nth(1).unwrap().split("-->").next().unwrap();
        assert!(!comment.contains("--"), "{comment}");
    }

    #[test]
    fn a_log_over_the_limit_is_set_aside_once() {
        let dir = tempfile::tempdir().unwrap();
        let log = log_path(dir.path());
        std::fs::create_dir_all(log.parent().unwrap()).unwrap();
        std::fs::write(&log, vec![b'x'; 100]).unwrap();
        bound_log(&log, 100);
        assert_eq!(
            std::fs::read(&log).unwrap().len(),
            100,
            "at the limit: kept"
        );
        std::fs::write(&log, vec![b'y'; 101]).unwrap();
        bound_log(&log, 100);
        assert!(!log.exists());
        let old = dir
            .path()
            .join("Library/Logs/icloud-mail-setup-check.log.old");
        assert_eq!(std::fs::read(&old).unwrap(), vec![b'y'; 101]);
        // No log at all is fine.
        bound_log(&log, 100);
    }
}
