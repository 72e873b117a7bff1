//! The Windows Task Scheduler task: an XML definition registered with
//! `schtasks /Create /TN NAME /XML FILE /F`. Task Scheduler's own exports
//! are UTF-16 with a byte-order mark; the file is written the same way.

use super::{Job, NAME, WRITTEN_BY, xml_escape};
pub use crate::sys::text::windows_arg;

/// The console host, started without a window: the check is a console
/// program, and a task running in the user's session would otherwise open
/// a console window at 10:00 (`--headless`: Windows 10 1809 and later).
pub const HEADLESS_HOST: &str = r"%SystemRoot%\System32\conhost.exe";

/// The task's definition: daily at 10:00 (spread over an hour), started
/// as soon as possible after a missed start, as `user` (`DOMAIN\name`,
/// the one who registered it), only while they are logged on (the
/// Credential Manager is theirs: an interactive token, not S4U), through
/// [`HEADLESS_HOST`] so that no window opens.
pub fn task_xml(job: &Job, user: &str) -> String {
    let args: Vec<String> = std::iter::once("--headless")
        .chain(std::iter::once(job.program.as_str()))
        .chain(job.args.iter().map(String::as_str))
        .map(windows_arg)
        .collect();
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-16\"?>\r\n\
         <Task version=\"1.2\" xmlns=\"http://schemas.microsoft.com/windows/2004/02/mit/task\">\r\n\
         \x20 <RegistrationInfo>\r\n\
         \x20   <Description>{}</Description>\r\n\
         \x20   <URI>\\{NAME}</URI>\r\n\
         \x20 </RegistrationInfo>\r\n\
         \x20 <Triggers>\r\n\
         \x20   <CalendarTrigger>\r\n\
         \x20     <StartBoundary>2025-01-01T10:00:00</StartBoundary>\r\n\
         \x20     <RandomDelay>PT1H</RandomDelay>\r\n\
         \x20     <ScheduleByDay>\r\n\
         \x20       <DaysInterval>1</DaysInterval>\r\n\
         \x20     </ScheduleByDay>\r\n\
         \x20   </CalendarTrigger>\r\n\
         \x20 </Triggers>\r\n\
         \x20 <Principals>\r\n\
         \x20   <Principal id=\"Author\">\r\n\
         \x20     <UserId>{}</UserId>\r\n\
         \x20     <LogonType>InteractiveToken</LogonType>\r\n\
         \x20     <RunLevel>LeastPrivilege</RunLevel>\r\n\
         \x20   </Principal>\r\n\
         \x20 </Principals>\r\n\
         \x20 <Settings>\r\n\
         \x20   <MultipleInstancesPolicy>IgnoreNew</MultipleInstancesPolicy>\r\n\
         \x20   <DisallowStartIfOnBatteries>false</DisallowStartIfOnBatteries>\r\n\
         \x20   <StopIfGoingOnBatteries>false</StopIfGoingOnBatteries>\r\n\
         \x20   <StartWhenAvailable>true</StartWhenAvailable>\r\n\
         \x20   <ExecutionTimeLimit>PT10M</ExecutionTimeLimit>\r\n\
         \x20   <Enabled>true</Enabled>\r\n\
         \x20 </Settings>\r\n\
         \x20 <Actions Context=\"Author\">\r\n\
         \x20   <Exec>\r\n\
         \x20     <Command>{}</Command>\r\n\
         \x20     <Arguments>{}</Arguments>\r\n\
         \x20   </Exec>\r\n\
         \x20 </Actions>\r\n\
         </Task>\r\n",
        xml_escape(WRITTEN_BY),
        xml_escape(user),
        xml_escape(HEADLESS_HOST),
        xml_escape(&args.join(" ")),
    )
}

/// The file's bytes: UTF-16 little-endian with a byte-order mark.
pub fn utf16_file(text: &str) -> Vec<u8> {
    let mut out = vec![0xFF, 0xFE];
    for unit in text.encode_utf16() {
        out.extend_from_slice(&unit.to_le_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_are_quoted_for_the_windows_command_line() {
        assert_eq!(windows_arg("verify"), "verify");
        assert_eq!(
            windows_arg(r"C:\Users\e\config.toml"),
            r"C:\Users\e\config.toml"
        );
        assert_eq!(
            windows_arg(r"C:\My Files\c.toml"),
            r#""C:\My Files\c.toml""#
        );
        assert_eq!(
            windows_arg(r"C:\dir with space\"),
            r#""C:\dir with space\\""#
        );
        assert_eq!(windows_arg(r#"a"b"#), r#""a\"b""#);
        assert_eq!(windows_arg(r#"a\"b"#), r#""a\\\"b""#);
        assert_eq!(windows_arg(""), r#""""#);
    }

    #[test]
    fn the_task_runs_the_job_daily_with_everything_escaped() {
        let job = Job {
            program: r"C:\Program Files\R&D <x>\icloud-mail-setup.exe".into(),
            args: vec![
                "verify".into(),
                "--scheduled".into(),
                "--config".into(),
                r#"C:\Users\e\"odd" & 'co'.toml"#.into(),
            ],
        };
        let x = task_xml(&job, r"PC\R&D");
        assert!(x.starts_with("<?xml version=\"1.0\" encoding=\"UTF-16\"?>\r\n"));
        // No console window: the program runs under a headless console host.
        assert!(
            x.contains("<Command>%SystemRoot%\\System32\\conhost.exe</Command>"),
            "{x}"
        );
        assert!(
            x.contains(
                "<Arguments>--headless &quot;C:\\Program Files\\R&amp;D &lt;x&gt;\\icloud-mail-setup.exe&quot; verify --scheduled --config &quot;C:\\Users\\e\\\\\\&quot;odd\\&quot; &amp; &apos;co&apos;.toml&quot;</Arguments>"
            ),
            "{x}"
        );
        // The user it runs as is named.
        assert!(
            x.contains(
                "<Principal id=\"Author\">\r\n      <UserId>PC\\R&amp;D</UserId>\r\n      <LogonType>InteractiveToken</LogonType>"
            ),
            "{x}"
        );
        assert!(x.contains("<DaysInterval>1</DaysInterval>"));
        assert!(x.contains("<StartWhenAvailable>true</StartWhenAvailable>"));
        assert!(x.contains("<URI>\\icloud-mail-setup-check</URI>"));
        let bytes = utf16_file("<a/>");
        assert_eq!(bytes, [0xFF, 0xFE, b'<', 0, b'a', 0, b'/', 0, b'>', 0]);
    }
}
