//! The layers the tree shows (ARCHITECTURE.md): `sys/` imports nothing of
//! `domain/` or `app/`, and `domain/` nothing of `app/`. A path written
//! anywhere in a file (a `use`, a call, a doc link) counts.

use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, into: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, into);
        } else if path.extension().is_some_and(|e| e == "rs") {
            into.push(path);
        }
    }
}

/// Every `file:line` under `src/LAYER` that names one of `above`.
fn reaching_up(layer: &str, above: &[&str]) -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("src")
        .join(layer);
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    assert!(files.len() > 5, "no sources under {}", root.display());
    let mut found = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        for (n, line) in text.lines().enumerate() {
            if above.iter().any(|a| line.contains(&format!("crate::{a}"))) {
                found.push(format!("{}:{}: {}", file.display(), n + 1, line.trim()));
            }
        }
    }
    found
}

#[test]
fn sys_names_nothing_of_domain_or_app() {
    let found = reaching_up("sys", &["domain", "app"]);
    assert!(found.is_empty(), "{}", found.join("\n"));
}

#[test]
fn domain_names_nothing_of_app() {
    let found = reaching_up("domain", &["app"]);
    assert!(found.is_empty(), "{}", found.join("\n"));
}
