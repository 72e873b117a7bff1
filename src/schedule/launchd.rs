//! The launchd agent (macOS): `~/Library/LaunchAgents/LABEL.plist`, run
//! every day at a fixed time; launchd runs a missed start when the Mac
//! wakes.

use super::{Job, LABEL, WRITTEN_BY, xml_escape};

/// The hour of the day (local time) the check runs.
pub const HOUR: u8 = 10;

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
}
