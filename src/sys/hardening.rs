//! Process-wide protections for the secret: no core dumps.
//!
//! A core dump would hold whatever the process had in memory, the
//! app-specific password included. At start the program turns them off:
//! on Linux `prctl(PR_SET_DUMPABLE, 0)` (which also keeps other processes
//! of the same user from attaching with ptrace or reading its memory
//! through /proc) and `RLIMIT_CORE` 0; on the other Unixes `RLIMIT_CORE` 0.
//! Windows writes no core files by default (Windows Error Reporting's
//! LocalDumps is opt-in), so nothing is done there.

/// Turn core dumps off for this process. Best effort: a failure is not
/// fatal (the limits may already be lower), and it is never reported with
/// anything secret, since nothing is yet.
pub fn disable_core_dumps() {
    #[cfg(unix)]
    {
        let zero = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: setrlimit with a valid, initialised struct.
        unsafe {
            libc::setrlimit(libc::RLIMIT_CORE, &zero);
        }
    }
    #[cfg(any(target_os = "linux", target_os = "android"))]
    // SAFETY: prctl with PR_SET_DUMPABLE and a plain integer argument.
    unsafe {
        libc::prctl(libc::PR_SET_DUMPABLE, 0, 0, 0, 0);
    }
}

/// Whether core dumps are off (for tests and diagnostics): `None` where
/// nothing is done to turn them off (Windows), which is not the same as
/// "off".
pub fn core_dumps_disabled() -> Option<bool> {
    #[cfg(unix)]
    {
        let mut lim = libc::rlimit {
            rlim_cur: 1,
            rlim_max: 1,
        };
        // SAFETY: getrlimit fills the struct we own.
        let ok = unsafe { libc::getrlimit(libc::RLIMIT_CORE, &mut lim) } == 0;
        #[cfg(any(target_os = "linux", target_os = "android"))]
        // SAFETY: PR_GET_DUMPABLE takes no pointer arguments.
        let dumpable = unsafe { libc::prctl(libc::PR_GET_DUMPABLE, 0, 0, 0, 0) } != 0;
        #[cfg(not(any(target_os = "linux", target_os = "android")))]
        let dumpable = false;
        Some(ok && lim.rlim_cur == 0 && lim.rlim_max == 0 && !dumpable)
    }
    #[cfg(not(unix))]
    {
        None
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn core_dumps_are_off_after_the_call() {
        // Runs in a child process: the limit cannot be raised again once
        // lowered, and the test binary's other tests share this process.
        if std::env::var_os("ICLOUD_MAIL_SETUP_CORE_CHILD").is_some() {
            super::disable_core_dumps();
            assert_eq!(super::core_dumps_disabled(), Some(true));
            // The parent looks for this: a filter that matched nothing
            // would pass without it.
            println!("core dumps checked off in the child");
            return;
        }
        let exe = std::env::current_exe().unwrap();
        let o = std::process::Command::new(exe)
            .args([
                "--exact",
                "sys::hardening::tests::core_dumps_are_off_after_the_call",
                "--nocapture",
            ])
            .env("ICLOUD_MAIL_SETUP_CORE_CHILD", "1")
            .output()
            .unwrap();
        let out = String::from_utf8_lossy(&o.stdout);
        assert!(o.status.success(), "{out}");
        assert!(out.contains("core dumps checked off in the child"), "{out}");
        assert!(out.contains("1 passed"), "{out}");
    }
}
