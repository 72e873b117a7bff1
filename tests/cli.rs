//! The binary without a terminal: --help, --version, and the wizard in
//! plain mode.

use std::process::{Command, Stdio};

fn run(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_icloud-mail-setup"))
        .env_remove("ICLOUD_MAIL_SETUP_LOG")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

#[test]
fn help_and_version_work_without_a_terminal() {
    let h = run(&["--help"]);
    assert!(h.status.success());
    let text = String::from_utf8_lossy(&h.stdout);
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
        String::from_utf8_lossy(&v.stdout).trim(),
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

#[test]
fn completions_for_every_shell_are_generated_and_load_in_the_real_shells() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let o = run(&["completions", name]);
        assert!(o.status.success(), "{name}: {o:?}");
        let text = String::from_utf8(o.stdout).unwrap();
        assert!(text.contains("icloud-mail-setup"), "{name}");
        // Every command is offered.
        for command in ["verify", "store", "export", "completions", "man"] {
            assert!(text.contains(command), "{name} lacks {command}");
        }
        std::fs::write(dir.path().join(name), &text).unwrap();
    }
    // bash: sourced, it registers the completion function.
    let bash = dir.path().join("bash");
    let o = shell(
        "bash",
        &[
            "-c",
            &format!("source {} && complete -p icloud-mail-setup", bash.display()),
        ],
    );
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success() && out.contains("icloud-mail-setup"),
        "{out}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    // zsh and fish: the scripts parse.
    let o = shell("zsh", &["-n", dir.path().join("zsh").to_str().unwrap()]);
    assert!(o.status.success(), "{o:?}");
    let o = shell(
        "fish",
        &["--no-execute", dir.path().join("fish").to_str().unwrap()],
    );
    assert!(o.status.success(), "{o:?}");
    // An unknown shell is a usage error.
    assert_eq!(run(&["completions", "tcsh"]).status.code(), Some(2));
}

#[test]
fn the_manual_page_renders_cleanly_with_exit_status_and_environment() {
    let o = run(&["man"]);
    assert!(o.status.success());
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("icloud-mail-setup.1");
    std::fs::write(&page, &o.stdout).unwrap();
    // groff's own warnings (-ww) on the roff: none.
    let g = shell("groff", &["-man", "-ww", "-z", page.to_str().unwrap()]);
    assert!(
        g.status.success() && g.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&g.stderr)
    );
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
    for (code, meaning) in icloud_mail_setup::exit::exit_code_rows() {
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
    let readme = include_str!("../README.md");
    let block = format!("```text\n{}\n```", icloud_mail_setup::exit::EXIT_CODES);
    assert!(
        readme.contains(&block),
        "README.md must show exit.rs's EXIT_CODES verbatim:\n{block}"
    );
}

#[test]
fn no_color_is_a_global_flag() {
    use clap::Parser;
    use icloud_mail_setup::cli::Cli;
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
    let err = String::from_utf8_lossy(&o.stderr);
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
    use std::io::Read as _;
    let start = std::time::Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_icloud-mail-setup"))
        .env_remove("ICLOUD_MAIL_SETUP_LOG")
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if start.elapsed() > std::time::Duration::from_secs(20) {
            let _ = child.kill();
            panic!("the binary hung on {args:?}");
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    };
    (status.code(), reader.join().unwrap(), start.elapsed())
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

#[test]
fn a_bad_value_in_the_config_is_an_error_at_its_line_never_a_default() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    let head = "[[account]]\nemail = \"a@icloud.com\"\nlogin = \"a@icloud.com\"\n";
    for (line, expect) in [
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
    ] {
        std::fs::write(&path, format!("{head}{line}\n")).unwrap();
        let before = std::fs::read(&path).unwrap();
        for command in [
            &["list"][..],
            &["verify"],
            &["settings"],
            &["export", "mbsync"],
        ] {
            let o = Command::new(env!("CARGO_BIN_EXE_icloud-mail-setup"))
                .env_remove("ICLOUD_MAIL_SETUP_LOG")
                .args(command)
                .args(["--config", path.to_str().unwrap()])
                .stdin(Stdio::null())
                .output()
                .unwrap();
            let err = String::from_utf8_lossy(&o.stderr);
            assert_eq!(o.status.code(), Some(1), "{command:?} {line}: {err}");
            assert!(
                err.contains("config.toml:4:") && err.contains(expect),
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
    let o = Command::new(env!("CARGO_BIN_EXE_icloud-mail-setup"))
        .env_remove("ICLOUD_MAIL_SETUP_LOG")
        .env("ICLOUD_MAIL_SETUP_CONFIG", dir.path().join("config.toml"))
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    let err = String::from_utf8_lossy(&o.stderr);
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

#[test]
fn bad_options_are_usage_errors() {
    let o = run(&["verify", "--imap", "no-port-here"]);
    assert_eq!(
        o.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let o = run(&["--frobnicate"]);
    assert_eq!(o.status.code(), Some(2));
    // The password is never an argument.
    let o = run(&["store", "a@icloud.com", "--password", "abcd-efgh-ijkl-mnop"]);
    assert_eq!(o.status.code(), Some(2));
}
