//! Puts the git commit into `--version` when built from a checkout:
//! `0.1.0 (1a2b3c4)`, or `(1a2b3c4-dirty)` when tracked files were
//! changed. Without git, or outside a checkout of this crate (a crate
//! tarball), the version is the plain package version, silently.
//!
//! Reruns only when HEAD moves: `<git-dir>/HEAD` (a checkout) and
//! `<git-dir>/logs/HEAD` (appended on every commit, reset, checkout, also
//! when refs are packed), or when the sources change (which rebuild the
//! crate anyway). The index is not watched, so `git status` or `git add`
//! cost no rebuild; the price is that `-dirty` may lag until the next
//! commit or source change. Only paths that exist are watched (a missing
//! one would make cargo rerun this script every time).
//!
//! Git refuses a repository owned by another user ("dubious ownership",
//! e.g. a CI clone used as root); this tree's own build script is already
//! running, so it is marked safe for these calls alone.

use std::path::{Path, PathBuf};
use std::process::Command;

fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .arg("-c")
        .arg(format!(
            "safe.directory={}",
            dir.canonicalize()
                .unwrap_or_else(|_| dir.to_path_buf())
                .display()
        ))
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    Some(String::from_utf8(out.stdout).ok()?.trim().to_string())
}

fn watch(path: &Path) {
    if path.exists() {
        println!("cargo:rerun-if-changed={}", path.display());
    }
}

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    println!(
        "cargo:rustc-env=ICLOUD_MAIL_SETUP_GIT={}",
        describe(&manifest)
    );
}

fn describe(manifest: &Path) -> String {
    // Only this crate's own checkout counts, not a repository around it.
    let Some(top) = git(manifest, &["rev-parse", "--show-toplevel"]) else {
        return String::new();
    };
    let same = |a: &Path, b: &Path| a.canonicalize().ok() == b.canonicalize().ok();
    if !same(Path::new(&top), manifest) {
        return String::new();
    }
    // A worktree has its own HEAD and index under its git dir; branches
    // live in the common dir.
    let dir = |arg: &str| git(manifest, &["rev-parse", arg]).map(|d| manifest.join(d));
    if let (Some(git_dir), Some(common)) = (dir("--git-dir"), dir("--git-common-dir")) {
        watch(&git_dir.join("HEAD"));
        watch(&git_dir.join("logs").join("HEAD"));
        // Without a reflog (core.logAllRefUpdates off), the branch ref.
        if !git_dir.join("logs").join("HEAD").exists()
            && let Some(head) = git(manifest, &["symbolic-ref", "-q", "HEAD"])
        {
            watch(&common.join(head));
            watch(&common.join("packed-refs"));
        }
    }
    watch(&manifest.join("src"));
    let Some(hash) = git(manifest, &["rev-parse", "--short=8", "HEAD"]) else {
        return String::new();
    };
    let dirty = git(
        manifest,
        &[
            "--no-optional-locks",
            "status",
            "--porcelain",
            "--untracked-files=no",
        ],
    )
    .is_some_and(|s| !s.is_empty());
    format!(" ({hash}{})", if dirty { "-dirty" } else { "" })
}
