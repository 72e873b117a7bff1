//! The config loader on any bytes, through a real file as the program
//! reads it.
//!
//! A config that loads can be used (every entry's account and settings
//! derived without a panic) and, written back the way the program writes
//! it, loads again unchanged; one that does not parse says where, within
//! the file (not UTF-8 and a bad value too, at their line).

#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use icloud_mail_setup::domain::config::{self, ConfigError};
use icloud_mail_setup::domain::mail::CheckSettings;
use icloud_mail_setup::domain::storage;
use libfuzzer_sys::fuzz_target;

/// One directory for the whole run, in memory where there is a tmpfs.
fn dir() -> &'static PathBuf {
    static DIR: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    &DIR.get_or_init(|| {
        let d = tempfile::tempdir_in("/dev/shm")
            .or_else(|_| tempfile::tempdir())
            .expect("a temporary directory");
        let p = d.path().to_path_buf();
        (d, p)
    })
    .1
}

fuzz_target!(|data: &[u8]| {
    let input = dir().join("in.toml");
    std::fs::write(&input, data).expect("write the input");
    match config::load(&input) {
        Ok(c) => {
            let base = CheckSettings::default();
            for e in &c.accounts {
                let _ = e.account();
                let _ = e.check_settings(&base, false, false);
                let _ = storage::has_pending(&c, &e.email);
                let _ = e.uses_own_servers(&base);
            }
            let out = dir().join("out.toml");
            let _ = std::fs::remove_file(&out);
            config::update(&out, |x| *x = c.clone()).expect("write back");
            assert_eq!(config::load(&out).expect("load what was written"), c);
        }
        Err(ConfigError::Parse { line, column, .. }) => {
            let lines = data.iter().filter(|b| **b == b'\n').count() + 1;
            assert!(
                line >= 1 && line <= lines && column >= 1,
                "{line}:{column} of {lines}"
            );
        }
        // Past the bound: refused before it is parsed.
        Err(ConfigError::Refused { .. }) => assert!(data.len() as u64 > config::MAX_SIZE),
        Err(e) => panic!("{e}"),
    }
});
