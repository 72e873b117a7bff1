//! The binary without a terminal: --help, --version, and the wizard in
//! plain mode.

use crate::common::{Bin, Out};
use std::process::{Command, Stdio};

fn run(args: &[&str]) -> Out {
    Bin::new().args(args).run()
}

#[test]
fn help_and_version_work_without_a_terminal() {
    let h = run(&["--help"]);
    assert!(h.status.success());
    let text = &h.stdout;
    for word in [
        "verify",
        "list",
        "password",
        "store",
        "remove",
        "--imap",
        "--smtp",
        "--ca-file",
        "--timeout",
        "--account",
        "Exit codes",
    ] {
        assert!(text.contains(word), "--help lacks {word}:\n{text}");
    }
    let v = run(&["--version"]);
    assert!(v.status.success());
    assert_eq!(
        v.stdout.trim(),
        format!("icloud-mail-setup {}", icloud_mail_setup::VERSION)
    );
}

#[test]
fn the_version_names_the_git_commit_when_built_from_a_checkout() {
    let version = icloud_mail_setup::VERSION;
    let head = Command::new("git")
        .args(["rev-parse", "--short=8", "HEAD"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
    match head {
        // Built from this checkout (tests build what they run).
        Some(head) => assert!(
            version == format!("{} ({head})", env!("CARGO_PKG_VERSION"))
                || version == format!("{} ({head}-dirty)", env!("CARGO_PKG_VERSION")),
            "{version} vs HEAD {head}"
        ),
        None => assert_eq!(version, env!("CARGO_PKG_VERSION")),
    }
}

/// Runs `script` with `shell`, or says why not (the tool is missing).
fn shell(shell: &str, args: &[&str]) -> std::process::Output {
    Command::new(shell)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("{shell} is needed (scripts/test installs it): {e}"))
}

/// Every command --help lists (hidden ones aside).
fn commands() -> Vec<String> {
    use clap::CommandFactory;
    icloud_mail_setup::app::cli::Cli::command()
        .get_subcommands()
        .filter(|c| !c.is_hide_set())
        .map(|c| c.get_name().to_string())
        .collect()
}

/// Every command, by name, as a completion the shell itself offers.
fn offered(shell_name: &str, out: &std::process::Output) {
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{shell_name}: {text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let words: Vec<&str> = text.split_whitespace().collect();
    let commands = commands();
    assert!(commands.len() >= 10, "{commands:?}");
    for command in &commands {
        assert!(
            words.contains(&command.as_str()),
            "{shell_name} does not offer {command}: {text}"
        );
    }
}

/// Generated for every shell clap knows; loaded by the real bash, zsh and
/// fish (elvish and PowerShell are not installed here: generated only).
#[test]
fn completions_are_generated_for_every_shell_and_load_in_bash_zsh_and_fish() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let o = run(&["completions", name]);
        assert!(o.status.success(), "{name}: {o:?}");
        let text = o.stdout;
        assert!(text.contains("icloud-mail-setup"), "{name}");
        std::fs::write(dir.path().join(name), &text).unwrap();
    }
    let file = |name: &str| dir.path().join(name).display().to_string();
    // bash: sourced, its completion function, asked as the shell asks it
    // after `icloud-mail-setup <Tab>`, offers every command.
    let o = shell(
        "bash",
        &[
            "-c",
            &format!(
                "source {} && complete -p icloud-mail-setup >/dev/null && \
                 COMP_WORDS=(icloud-mail-setup '') COMP_CWORD=1 \
                 COMP_LINE='icloud-mail-setup ' COMP_POINT=18 && \
                 _icloud__mail__setup icloud-mail-setup '' icloud-mail-setup && \
                 printf '%s\\n' \"${{COMPREPLY[@]}}\"",
                file("bash")
            ),
        ],
    );
    offered("bash", &o);
    // zsh: sourced after compinit, it registers its function for the
    // command (a completion needs a line editor: not run here).
    let home = dir.path().join("zhome");
    std::fs::create_dir_all(&home).unwrap();
    let o = Command::new("zsh")
        .env("HOME", &home)
        .args([
            "-f",
            "-c",
            &format!(
                "autoload -U compinit && compinit -u -D && source {} && \
                 print -r -- $_comps[icloud-mail-setup] && whence -w _icloud-mail-setup",
                file("zsh")
            ),
        ])
        .stdin(Stdio::null())
        .output()
        .expect("zsh is needed (scripts/test installs it)");
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success()
            && out.lines().next() == Some("_icloud-mail-setup")
            && out.contains("_icloud-mail-setup: function"),
        "{out}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    // fish: sourced, `complete -C` (what <Tab> shows) offers every command.
    let o = shell(
        "fish",
        &[
            "-c",
            &format!(
                "source {} && complete -C 'icloud-mail-setup ' | string replace -r '\\t.*' ''",
                file("fish")
            ),
        ],
    );
    offered("fish", &o);
    // An unknown shell is a usage error.
    assert_eq!(run(&["completions", "tcsh"]).status.code(), Some(2));
}

#[test]
fn the_manual_page_renders_cleanly_with_exit_status_and_environment() {
    let o = run(&["man"]);
    assert!(o.status.success());
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("icloud-mail-setup.1");
    std::fs::write(&page, &o.stdout_bytes).unwrap();
    // groff's own warnings (-ww) on the roff: none, formatted for real
    // (-z would skip formatting, where "cannot adjust line" comes from),
    // at the terminal widths man uses.
    for width in ["60n", "65n", "78n", "100n"] {
        let g = shell(
            "groff",
            &[
                "-man",
                "-ww",
                "-Tutf8",
                &format!("-rLL={width}"),
                page.to_str().unwrap(),
            ],
        );
        assert!(
            g.status.success() && g.stderr.is_empty() && !g.stdout.is_empty(),
            "{width}: {}",
            String::from_utf8_lossy(&g.stderr)
        );
    }
    // man renders it as text.
    let m = Command::new("man")
        .args(["-l", page.to_str().unwrap()])
        .env("MANPAGER", "cat")
        .env("MANWIDTH", "100")
        .output()
        .expect("man (man-db) is needed (scripts/test installs it)");
    let text = String::from_utf8_lossy(&m.stdout);
    assert!(m.status.success(), "{}", String::from_utf8_lossy(&m.stderr));
    for section in [
        "NAME",
        "SYNOPSIS",
        "OPTIONS",
        "COMMANDS",
        "ENVIRONMENT",
        "EXIT STATUS",
    ] {
        assert!(text.contains(section), "no {section}:\n{text}");
    }
    for var in [
        "ICLOUD_MAIL_SETUP_CONFIG",
        "ICLOUD_MAIL_SETUP_IMAP",
        "ICLOUD_MAIL_SETUP_SMTP",
        "ICLOUD_MAIL_SETUP_CA_FILE",
        "ICLOUD_MAIL_SETUP_LOG",
        "NO_COLOR",
    ] {
        // In the ENVIRONMENT section itself (not only as an option's
        // "[env: ...]").
        let environment = text
            .split("\nENVIRONMENT\n")
            .nth(1)
            .and_then(|t| t.split("\nEXIT STATUS\n").next())
            .unwrap_or_else(|| panic!("no ENVIRONMENT section:\n{text}"));
        assert!(
            environment.lines().any(|l| l.trim() == var),
            "{var} not in ENVIRONMENT:\n{environment}"
        );
    }
    // The exit codes, from the same table as --help (the signals row too).
    let status = text.split("\nEXIT STATUS\n").nth(1).unwrap();
    let flat = status.split_whitespace().collect::<Vec<_>>().join(" ");
    for (code, meaning) in icloud_mail_setup::app::exit::exit_code_rows() {
        let row = format!("{code} {meaning}");
        assert!(flat.contains(&row), "no {row:?}:\n{status}");
    }
    assert!(
        flat.contains("128+N the wizard was stopped by signal N"),
        "{status}"
    );
}

#[test]
fn the_readme_shows_the_exit_code_table_of_exit_rs() {
    let readme = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"));
    let block = format!("```text\n{}\n```", icloud_mail_setup::app::exit::EXIT_CODES);
    assert!(
        readme.contains(&block),
        "README.md must show exit.rs's EXIT_CODES verbatim:\n{block}"
    );
}

#[test]
fn no_color_is_a_global_flag() {
    use clap::Parser;
    use icloud_mail_setup::app::cli::Cli;
    for args in [["x", "list", "--no-color"], ["x", "--no-color", "list"]] {
        let cli = Cli::try_parse_from(args).unwrap();
        assert!(cli.globals.no_color && cli.globals.no_color());
    }
    let cli = Cli::try_parse_from(["x", "list"]).unwrap();
    assert!(!cli.globals.no_color);
}

#[test]
fn an_unreadable_config_says_which_file_and_why() {
    let dir = tempfile::tempdir().unwrap();
    // A directory where the file should be: read_to_string fails (EISDIR).
    let o = run(&["list", "--config", dir.path().to_str().unwrap()]);
    let err = &o.stderr;
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains(&dir.path().display().to_string()) && err.contains("is a directory"),
        "{err}"
    );
}

/// Run the binary with `args`, failing the test (not hanging it) if it
/// has not finished within 20 s.
#[cfg(unix)]
fn run_bounded(args: &[&std::ffi::OsStr]) -> (Option<i32>, String, std::time::Duration) {
    let o = Bin::new()
        .args(args)
        .within(std::time::Duration::from_secs(20))
        .run();
    (o.status.code(), o.stderr, o.elapsed)
}

/// Mode, owner and (for a regular file) content: what must not change.
#[cfg(unix)]
fn fingerprint(path: &std::path::Path) -> (u32, u32, Option<Vec<u8>>) {
    use std::os::unix::fs::MetadataExt;
    let m = std::fs::metadata(path).unwrap();
    let content = m.is_file().then(|| std::fs::read(path).unwrap());
    (m.mode(), m.uid(), content)
}

#[cfg(unix)]
#[test]
fn a_config_that_is_not_a_regular_file_of_ours_is_refused_and_left_exactly_as_it_is() {
    use std::os::unix::fs::{PermissionsExt, symlink};
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let root = unsafe { libc::geteuid() } == 0;

    // Each bad input, with what the message must say.
    let mut cases: Vec<(std::path::PathBuf, &str)> = Vec::new();
    let sub = d.join("a-directory");
    std::fs::create_dir(&sub).unwrap();
    cases.push((sub, "is a directory"));
    let fifo = d.join("a-fifo");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
    cases.push((fifo, "is a FIFO"));
    // A device: our own node of /dev/null's kind (as root), so a bug
    // cannot make the real one unusable; otherwise /dev/null itself,
    // which a user cannot change anyway.
    let device = if root {
        let node = d.join("a-device");
        let c = std::ffi::CString::new(node.to_str().unwrap()).unwrap();
        let rc = unsafe { libc::mknod(c.as_ptr(), libc::S_IFCHR | 0o666, libc::makedev(1, 3)) };
        assert_eq!(rc, 0, "mknod: {}", std::io::Error::last_os_error());
        std::fs::set_permissions(&node, std::fs::Permissions::from_mode(0o666)).unwrap();
        node
    } else {
        std::path::PathBuf::from("/dev/null")
    };
    cases.push((device, "is a device"));
    // Someone else's file, readable by all.
    let foreign = if root {
        let f = d.join("someone-elses.toml");
        std::fs::write(
            &f,
            "[[account]]\nemail = \"a@icloud.com\"\nlogin = \"a@icloud.com\"\n",
        )
        .unwrap();
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o644)).unwrap();
        let c = std::ffi::CString::new(f.to_str().unwrap()).unwrap();
        assert_eq!(unsafe { libc::chown(c.as_ptr(), 65534, 65534) }, 0);
        f
    } else {
        std::path::PathBuf::from("/etc/passwd")
    };
    cases.push((foreign, "belongs to another user"));
    // A symlink to each of those.
    for (i, (target, why)) in cases.clone().into_iter().enumerate() {
        let link = d.join(format!("link-{i}.toml"));
        symlink(&target, &link).unwrap();
        cases.push((link, why));
    }

    for (path, why) in &cases {
        let target = std::fs::canonicalize(path).unwrap();
        let before = fingerprint(&target);
        for command in [
            &["list"][..],
            &["remove", "a@icloud.com", "--yes"],
            &["verify"],
        ] {
            let mut args: Vec<&std::ffi::OsStr> = command.iter().map(|s| s.as_ref()).collect();
            args.push("--config".as_ref());
            args.push(path.as_os_str());
            let (code, err, _) = run_bounded(&args);
            assert_eq!(code, Some(1), "{command:?} {path:?}: {err}");
            assert!(
                err.contains(&path.display().to_string()) && err.contains(why),
                "{command:?} {path:?}: {err}"
            );
            assert!(err.contains("not read or changed"), "{err}");
            assert_eq!(
                fingerprint(&target),
                before,
                "{command:?} changed {target:?}"
            );
        }
        // No lock file was made beside it.
        let mut lock = path.as_os_str().to_owned();
        lock.push(".lock");
        assert!(!std::path::Path::new(&lock).exists(), "{lock:?}");
        let mut lock = target.into_os_string();
        lock.push(".lock");
        assert!(!std::path::Path::new(&lock).exists(), "{lock:?}");
    }
}

#[cfg(unix)]
#[test]
fn a_config_too_large_not_utf8_or_too_deep_is_refused_with_its_line_and_left_alone() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let account = "[[account]]\nemail = \"a@icloud.com\"\nlogin = \"a@icloud.com\"\n";
    let mut large = account.as_bytes().to_vec();
    large.extend(std::iter::repeat_n(b'#', 20 << 20));
    let mut not_utf8 = account.as_bytes().to_vec();
    not_utf8.extend(b"label = \"caf\xe9\"\n");
    let deep = format!("{account}x = {}{}\n", "[".repeat(5000), "]".repeat(5000));
    let cases: [(&str, &[u8], &str); 3] = [
        ("large.toml", &large, "larger than 1024 KiB"),
        (
            "latin1.toml",
            &not_utf8,
            ":4:13: the config file does not parse: not UTF-8 text",
        ),
        ("deep.toml", deep.as_bytes(), ":4:"),
    ];
    for (name, content, why) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, content).unwrap();
        // Readable by others: a config we read would be made 0600.
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let before = fingerprint(&path);
        for command in [&["list"][..], &["remove", "a@icloud.com", "--yes"]] {
            let mut args: Vec<&std::ffi::OsStr> = command.iter().map(|s| s.as_ref()).collect();
            args.push("--config".as_ref());
            args.push(path.as_os_str());
            let (code, err, took) = run_bounded(&args);
            assert_eq!(code, Some(1), "{name}: {err}");
            assert!(err.contains(why), "{name}: {err}");
            assert!(!err.contains("warning"), "{name}: {err}");
            assert_eq!(fingerprint(&path), before, "{name}");
            // 20 MB are not read: refused at once.
            assert!(took < std::time::Duration::from_secs(5), "{name}: {took:?}");
        }
    }
}

/// A 200 MB config (the issue's case: it once took 12 s and 4.9 GB) is
/// refused having read no more than the bound: the binary's peak memory,
/// measured by the kernel, stays under 32 MiB. Reading the file whole
/// would need more than 200 MiB, so this fails if the bound is not kept.
#[test]
#[cfg(unix)]
fn a_200_mb_config_is_refused_in_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("huge.toml");
    let account = "[[account]]\nemail = \"a@icloud.com\"\nlogin = \"a@icloud.com\"\n#";
    std::fs::write(&path, account).unwrap();
    // Sparse: 200 MB of NULs cost the disk nothing.
    let file = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
    file.set_len(200 << 20).unwrap();
    drop(file);
    let mut cmd = Command::new(crate::common::bin::bin_path());
    cmd.arg("list")
        .arg("--config")
        .arg(&path)
        .env("HOME", dir.path());
    let (code, peak_kib, said) = crate::common::measure::run_measured(cmd, "");
    assert_eq!(code, 1, "{said}");
    assert!(said.contains("larger than 1024 KiB"), "{said}");
    assert!(
        peak_kib < 32 * 1024,
        "peak {peak_kib} KiB reading a 200 MB config"
    );
}

#[test]
fn a_bad_value_in_the_config_is_an_error_at_its_line_never_a_default() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    let head = "[[account]]\nemail = \"a@icloud.com\"\nlogin = \"a@icloud.com\"\n";
    for case in [
        ("imap_server = \"imap.example.com\"", "is not HOST:PORT"),
        ("smtp_server = \"smtp.example.com:0\"", "port must be"),
        ("verified_at = \"yesterday\"", "not an RFC 3339 time"),
        ("check_result = \"fine\"", "check_result `fine` is none of"),
        ("exported = [\"outlook\"]", "unknown mail client `outlook`"),
        ("ca_file = \"relative/ca.pem\"", "not an absolute path"),
        (
            "label = \"\\u001b]0;title\\u0007\"",
            "label `\\x1b]0;title\\x07`",
        ),
        ("imap_username = \"\\u001b[2J\"", "control or invisible"),
    ]
    .map(|(line, expect)| (format!("{head}{line}\n"), 4, expect))
    .into_iter()
    .chain([
        (
            "[[account]]\nemail = \"not an address\"\nlogin = \"a@icloud.com\"\n".to_string(),
            2,
            "`not an address` is not an address",
        ),
        (
            "[[account]]\nemail = \"a@icloud.com\"\nlogin = \"\\u001b[2J\"\n".to_string(),
            3,
            "`\\x1b[2J` is not an address",
        ),
    ]) {
        let (text, at, expect) = case;
        let line = text.lines().nth(at - 1).unwrap();
        std::fs::write(&path, &text).unwrap();
        let before = std::fs::read(&path).unwrap();
        for command in [
            &["list"][..],
            &["verify"],
            &["settings"],
            &["export", "mbsync"],
        ] {
            let o = Bin::new()
                .args(command)
                .args(["--config", path.to_str().unwrap()])
                .run();
            let err = &o.stderr;
            assert_eq!(o.status.code(), Some(1), "{command:?} {line}: {err}");
            assert!(
                err.contains(&format!("config.toml:{at}:")) && err.contains(expect),
                "{command:?} {line}: {err}"
            );
            assert!(!err.contains('\u{1b}'), "{err:?}");
            assert!(o.stdout.is_empty(), "{command:?} {line}");
        }
        assert_eq!(std::fs::read(&path).unwrap(), before);
    }
}

#[test]
fn without_a_terminal_the_wizard_runs_line_by_line_and_says_when_input_ends() {
    let dir = tempfile::tempdir().unwrap();
    let o = Bin::new()
        .env("ICLOUD_MAIL_SETUP_CONFIG", dir.path().join("config.toml"))
        .run();
    let (out, err) = (&o.stdout, &o.stderr);
    assert!(
        out.contains("== Welcome =="),
        "{out}\n{err}\n{:?}",
        o.status
    );
    assert!(out.contains("  1. Set up a new account"), "{out}");
    // No escape sequences: no cursor movement, no colour.
    assert!(!out.contains('\u{1b}'), "{out:?}");
    assert!(err.contains("input ended"), "{err}");
    assert_eq!(o.status.code(), Some(1));
}

/// Plain mode's `?` at the password step describes the order its
/// questions come in: the password (hidden) first, then the label. A
/// screen-reader user who follows it must not type the label into the
/// hidden password question (issue 17).
#[test]
fn plain_help_at_the_password_step_gives_the_order_of_the_questions() {
    let dir = tempfile::tempdir().unwrap();
    // New account, 2FA on, checklist done, the address, then `?` at the
    // (hidden) password question, then quit.
    let o = Bin::new()
        .env("ICLOUD_MAIL_SETUP_CONFIG", dir.path().join("config.toml"))
        .stdin("1\n1\n\nemily@icloud.com\n?\nq\n")
        .run();
    let out = &o.stdout;
    let step = out
        .split("== Step 4 of 5: Paste the password ==")
        .nth(1)
        .unwrap_or_else(|| panic!("never reached the password step:\n{out}"));
    let keys = step
        .lines()
        .find(|l| l.starts_with("Keys:"))
        .unwrap_or_else(|| panic!("no Keys line after ?:\n{step}"));
    let (password, label) = (
        keys.find("the password first").unwrap_or(usize::MAX),
        keys.find("then the label").unwrap_or(0),
    );
    assert!(password < label, "{keys}");
    // And the questions really come in that order.
    let (asked_password, asked_label) = (
        step.find("App-specific password (not shown)"),
        step.find("Label at Apple"),
    );
    assert!(asked_password.is_some(), "{step}");
    assert!(
        asked_label.is_none_or(|l| l > asked_password.unwrap()),
        "{step}"
    );
}

/// An empty ICLOUD_MAIL_SETUP_CONFIG, _CA_FILE, _IMAP or _SMTP is unset,
/// as an empty _LOG already was: no command fails over an option nobody
/// typed (issue 17).
#[test]
fn empty_variables_count_as_unset() {
    let dir = tempfile::tempdir().unwrap();
    for var in [
        "ICLOUD_MAIL_SETUP_CONFIG",
        "ICLOUD_MAIL_SETUP_CA_FILE",
        "ICLOUD_MAIL_SETUP_IMAP",
        "ICLOUD_MAIL_SETUP_SMTP",
    ] {
        let run_with = |args: &[&str]| {
            Bin::new()
                .home(dir.path())
                .env("XDG_CONFIG_HOME", dir.path())
                .env(var, "")
                .args(args)
                .run()
        };
        let o = run_with(&["list"]);
        let err = &o.stderr;
        assert_eq!(o.status.code(), Some(0), "{var}: {err}");
        // `password` (what a mail client runs): no such account, in the
        // default config, not a usage error.
        let o = run_with(&["password", "nobody@icloud.com"]);
        let err = &o.stderr;
        assert_eq!(o.status.code(), Some(6), "{var}: {err}");
        assert!(!err.contains("--config"), "{var}: {err}");
        assert!(
            err.contains(&dir.path().join("icloud-mail-setup").display().to_string()),
            "{var}: {err}"
        );
    }
}

/// With the override variables exported (a test setup), a usage error's
/// usage line does not show `--imap`, `--smtp`, `--ca-file` as if they
/// were required (issue 17).
#[test]
fn a_usage_error_does_not_show_variables_as_options() {
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, "").unwrap();
    let o = Bin::new()
        .env("ICLOUD_MAIL_SETUP_IMAP", "127.0.0.1:1993")
        .env("ICLOUD_MAIL_SETUP_SMTP", "127.0.0.1:1587")
        .env("ICLOUD_MAIL_SETUP_CA_FILE", &ca)
        .env("ICLOUD_MAIL_SETUP_CONFIG", dir.path().join("c.toml"))
        .args(["store"])
        .run();
    let err = &o.stderr;
    assert_eq!(o.status.code(), Some(2), "{err}");
    let usage = err
        .lines()
        .find(|l| l.starts_with("Usage:"))
        .unwrap_or_else(|| panic!("no usage line:\n{err}"));
    assert!(usage.contains("<EMAIL>"), "{usage}");
    for opt in ["--imap", "--smtp", "--ca-file", "--config"] {
        assert!(!usage.contains(opt), "{opt} in {usage}");
    }
}

#[test]
fn bad_options_are_usage_errors() {
    let o = run(&["verify", "--imap", "no-port-here"]);
    assert_eq!(o.status.code(), Some(2), "{}", o.stderr);
    let o = run(&["--frobnicate"]);
    assert_eq!(o.status.code(), Some(2));
    // 0 is refused, and the message does not say it is allowed (issue 17).
    for t in ["0", "-1", "3601", "nan"] {
        let args = icloud_mail_setup::app::cli::GlobalArgs {
            timeout: t.parse().ok(),
            ..Default::default()
        };
        let e = args.check_settings().unwrap_err();
        assert!(e.contains("greater than 0 and at most 3600"), "{t}: {e}");
        assert!(!e.contains("between 0"), "{t}: {e}");
    }
    // The password is never an argument.
    let o = run(&["store", "a@icloud.com", "--password", "abcd-efgh-ijkl-mnop"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn a_hand_typed_password_address_starting_with_dash_gets_the_reason_not_help() {
    // `password -h@x.com` typed without `--`: the address check answers
    // (exit 2, the reason), not clap's help with exit 0.
    for addr in ["-h@x.com", "--nope@x.com", "-V@icloud.com"] {
        let o = run(&["password", addr]);
        let err = &o.stderr;
        assert_eq!(o.status.code(), Some(2), "{addr}: {err}");
        assert!(o.stdout.is_empty(), "{addr}: {:?}", o.stdout);
        assert!(err.contains("starts with `-`"), "{addr}: {err}");
    }
    // Options still are options.
    let o = run(&["password", "-h"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(o.stdout.contains("Usage:"));
    let o = run(&["password", "--clear-after", "5", "a@icloud.com"]);
    assert!(o.stderr.contains("--copy"), "{}", o.stderr);
}

/// A bad override is a usage error said once, before any command runs,
/// and what was typed reaches the terminal escaped (issue 16: it was
/// printed raw, so `--imap $'\e]0;title\a:1'` set the window title).
#[test]
fn a_bad_override_is_a_usage_error_said_escaped_whatever_the_command() {
    let evil = "ev\u{1b}]0;title\u{7}\u{9b}2J:99999";
    for args in [
        &["--imap", evil, "list"][..],
        &["--smtp", evil, "password", "a@icloud.com"][..],
        &["--imap", evil, "--plain"][..],
    ] {
        let o = run(args);
        let err = &o.stderr;
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(
            !err.chars().any(|c| c.is_control() && c != '\n'),
            "{args:?}: {err:?}"
        );
        assert!(err.contains(r"ev\x1b]0;title\x07\u{009b}2J"), "{err}");
        assert!(err.starts_with("error: --"), "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(o.stdout.is_empty());
    }
}

/// A client whose `--version` never answers (and leaves a child of its
/// own behind) holds `export` up for the runner's deadline (5 s), not for
/// ever, and nothing it started outlives the deadline: the runner stops
/// its whole process group.
#[test]
#[cfg(unix)]
fn a_client_that_hangs_on_its_version_is_stopped_at_the_deadline() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    let pids = dir.path().join("pids");
    let fake = bin.join("mbsync");
    std::fs::write(
        &fake,
        format!(
            "#!/bin/sh\nsleep 1000 &\necho $! >> '{p}'\necho $$ >> '{p}'\nexec sleep 1000\n",
            p = pids.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        "[[account]]\nemail = \"a@icloud.com\"\nlogin = \"a@icloud.com\"\n",
    )
    .unwrap();
    std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o600)).unwrap();
    let started = std::time::Instant::now();
    let o = Bin::new()
        .args(["export", "mbsync", "a@icloud.com", "--config"])
        .arg(&config)
        .env("PATH", format!("{}:/usr/bin:/bin", bin.display()))
        .within(std::time::Duration::from_secs(60))
        .run();
    let took = started.elapsed();
    assert_eq!(o.status.code(), Some(0), "{}{}", o.stdout, o.stderr);
    assert!(o.stdout.contains("IMAPAccount"), "{}", o.stdout);
    // It was asked (so the deadline was what ended it), and not waited
    // for much past the deadline.
    let started_pids = std::fs::read_to_string(&pids).unwrap_or_default();
    assert_eq!(
        started_pids.lines().count(),
        2,
        "the fake ran: {started_pids}"
    );
    assert!(
        took >= std::time::Duration::from_secs(5) && took < std::time::Duration::from_secs(30),
        "{took:?}"
    );
    // A SIGKILLed process may take a moment to leave the run queue: poll,
    // bounded.
    let running = |pid: &str| {
        let state = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        state
            .rsplit(')')
            .next()
            .and_then(|rest| rest.split_whitespace().next())
            .is_some_and(|s| s != "Z" && s != "X")
    };
    let end = std::time::Instant::now() + std::time::Duration::from_secs(3);
    while started_pids.lines().any(running) && std::time::Instant::now() < end {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let left: Vec<&str> = started_pids.lines().filter(|p| running(p)).collect();
    for pid in &left {
        let _ = Command::new("kill").args(["-9", pid]).status();
    }
    assert!(left.is_empty(), "processes {left:?} outlived the deadline");
}
