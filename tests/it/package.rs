//! `scripts/package` builds a real .deb (dpkg-deb) from the binary the tests
//! built (a release build with fat LTO is far too slow for every run); the
//! package is unpacked into a temporary root (`dpkg-deb -x`) and the binary,
//! the manual page and the completions are used from there.

// Real pass/gpg, dpkg-deb and Unix file modes: Unix only. On Windows this
// file compiles to nothing (scripts/check-platforms).
#![cfg(unix)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_icloud-mail-setup")
}

fn run(program: &str, args: &[&str]) -> Output {
    Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("{program} is needed (scripts/test installs it): {e}"))
}

fn ok(program: &str, args: &[&str]) -> String {
    let o = run(program, args);
    assert!(
        o.status.success(),
        "{program} {args:?}: {}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Package the test binary; the path the script printed last.
fn package(out: &Path) -> PathBuf {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/package");
    let printed = ok(
        script,
        &[
            "--binary",
            bin(),
            "--out",
            out.to_str().unwrap(),
            "--compression",
            "none",
        ],
    );
    let last = printed
        .lines()
        .last()
        .expect("scripts/package printed nothing");
    PathBuf::from(last)
}

#[test]
fn the_package_carries_a_working_binary_its_manual_page_and_completions() {
    let dir = tempfile::tempdir().unwrap();
    let deb = package(&dir.path().join("out"));
    let version = env!("CARGO_PKG_VERSION");
    assert!(
        deb.file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with(&format!("icloud-mail-setup_{version}_")),
        "{}",
        deb.display()
    );
    assert!(deb.is_file(), "{}", deb.display());
    let field = |name: &str| ok("dpkg-deb", &["-f", deb.to_str().unwrap(), name]);
    assert_eq!(field("Package").trim(), "icloud-mail-setup");
    assert_eq!(field("Version").trim(), version);
    assert!(field("Depends").contains("libc6"), "{}", field("Depends"));

    // Every file where Debian looks for it, owned by root.
    let listing = ok("dpkg-deb", &["-c", deb.to_str().unwrap()]);
    for path in [
        "./usr/bin/icloud-mail-setup",
        "./usr/share/man/man1/icloud-mail-setup.1.gz",
        "./usr/share/bash-completion/completions/icloud-mail-setup",
        "./usr/share/zsh/vendor-completions/_icloud-mail-setup",
        "./usr/share/fish/vendor_completions.d/icloud-mail-setup.fish",
        "./usr/share/doc/icloud-mail-setup/copyright",
    ] {
        let line = listing
            .lines()
            .find(|l| l.ends_with(&format!(" {path}")))
            .unwrap_or_else(|| panic!("{path} is not in the package:\n{listing}"));
        assert!(line.contains("root/root"), "{line}");
    }

    let root = dir.path().join("root");
    ok(
        "dpkg-deb",
        &["-x", deb.to_str().unwrap(), root.to_str().unwrap()],
    );
    let usr = root.join("usr");

    // The binary runs from there.
    let installed = usr.join("bin/icloud-mail-setup");
    let out = ok(installed.to_str().unwrap(), &["--version"]);
    assert!(
        out.starts_with(&format!("icloud-mail-setup {version}")),
        "{out}"
    );

    // The manual page is gzipped roff that man formats.
    let page = usr.join("share/man/man1/icloud-mail-setup.1.gz");
    let m = Command::new("man")
        .args(["-l", page.to_str().unwrap()])
        .env("MANPAGER", "cat")
        .env("MANWIDTH", "100")
        .output()
        .expect("man (man-db) is needed");
    let text = String::from_utf8_lossy(&m.stdout);
    assert!(m.status.success(), "{}", String::from_utf8_lossy(&m.stderr));
    for part in ["NAME", "SYNOPSIS", "EXIT STATUS", "--keyring"] {
        assert!(text.contains(part), "no {part} in the page:\n{text}");
    }

    // The completions load in the real shells, from the vendor directories.
    let bash = usr.join("share/bash-completion/completions/icloud-mail-setup");
    let out = ok(
        "bash",
        &[
            "-c",
            &format!(
                "source '{}' && complete -p icloud-mail-setup",
                bash.display()
            ),
        ],
    );
    assert!(out.contains("icloud-mail-setup"), "{out}");
    let zsh_dir = usr.join("share/zsh/vendor-completions");
    let out = ok(
        "zsh",
        &[
            "-f",
            "-c",
            &format!(
                "fpath=('{}' $fpath); autoload -Uz compinit; compinit -u -D; \
                 print -r -- ${{_comps[icloud-mail-setup]}}",
                zsh_dir.display()
            ),
        ],
    );
    assert_eq!(out.trim(), "_icloud-mail-setup");
    // fish finds vendor completions through XDG_DATA_DIRS, for a command
    // on PATH: as on a system the package is installed on.
    let fish = Command::new("fish")
        .args(["-c", "complete -C'icloud-mail-setup sto'"])
        .env("HOME", dir.path())
        .env("XDG_DATA_DIRS", usr.join("share"))
        .env(
            "PATH",
            format!(
                "{}:{}",
                usr.join("bin").display(),
                std::env::var("PATH").unwrap_or_default()
            ),
        )
        .output()
        .expect("fish is needed");
    let out = String::from_utf8_lossy(&fish.stdout);
    assert!(
        fish.status.success(),
        "{}",
        String::from_utf8_lossy(&fish.stderr)
    );
    assert!(out.lines().any(|l| l.starts_with("store")), "{out}");

    // The copyright file names the licence.
    let copyright =
        std::fs::read_to_string(usr.join("share/doc/icloud-mail-setup/copyright")).unwrap();
    assert!(copyright.contains("License: MIT"), "{copyright}");
}

#[test]
fn a_binary_of_another_version_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let fake = dir.path().join("icloud-mail-setup");
    std::fs::write(&fake, "#!/bin/sh\necho 'icloud-mail-setup 0.0.0-other'\n").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/package");
    let o = run(
        script,
        &[
            "--binary",
            fake.to_str().unwrap(),
            "--out",
            dir.path().join("out").to_str().unwrap(),
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("not 0."),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(
        !dir.path().join("out").exists()
            || std::fs::read_dir(dir.path().join("out"))
                .unwrap()
                .next()
                .is_none()
    );
}
