//! The save gate: a save in progress in this process finishes before a
//! way out (a signal, the panic hook) ends the process.

/// Held for the whole of a save in this process, so that the ways out
/// (a signal, the panic hook) can let a save in progress finish first.
static SAVE_GATE: std::sync::Mutex<()> = std::sync::Mutex::new(());

std::thread_local! {
    // Already const: clippy 1.96 says otherwise on windows-gnu, whose
    // thread_local! expands differently (scripts/check-platforms).
    #[allow(clippy::missing_const_for_thread_local)]
    static SAVING_HERE: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Wait until no save is in progress in this process, at most `bound`,
/// then keep any new one from starting for as long as the returned guard
/// lives (a way out holds it until the process ends, so no save can begin
/// between "nothing is being saved" and the exit). `None` if a save was
/// still running at the end, or if called on the saving thread itself (a
/// panic inside the save).
pub fn hold_saves(bound: std::time::Duration) -> Option<std::sync::MutexGuard<'static, ()>> {
    if SAVING_HERE.with(|s| s.get()) {
        return None;
    }
    let deadline = std::time::Instant::now() + bound;
    loop {
        match SAVE_GATE.try_lock() {
            Ok(guard) => return Some(guard),
            Err(std::sync::TryLockError::Poisoned(p)) => return Some(p.into_inner()),
            Err(std::sync::TryLockError::WouldBlock) if std::time::Instant::now() < deadline => {
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            Err(std::sync::TryLockError::WouldBlock) => return None,
        }
    }
}

/// How long a signal or a panic elsewhere waits for a save in progress.
pub const SAVE_GRACE: std::time::Duration = std::time::Duration::from_secs(15);

/// Marks this thread as saving while alive.
pub(super) struct Saving<'a> {
    _gate: std::sync::MutexGuard<'a, ()>,
}

impl Saving<'_> {
    pub(super) fn start() -> Saving<'static> {
        let gate = SAVE_GATE.lock().unwrap_or_else(|p| p.into_inner());
        SAVING_HERE.with(|s| s.set(true));
        Saving { _gate: gate }
    }
}

impl Drop for Saving<'_> {
    fn drop(&mut self) {
        SAVING_HERE.with(|s| s.set(false));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_way_out_waits_for_a_save_then_keeps_new_ones_from_starting() {
        use std::sync::mpsc;
        use std::time::{Duration, Instant};
        let (started, wait_started) = mpsc::channel();
        let saver = std::thread::spawn(move || {
            let _saving = Saving::start();
            started.send(()).unwrap();
            std::thread::sleep(Duration::from_millis(300));
        });
        wait_started.recv().unwrap();
        // Too short a bound: the save is still running.
        assert!(hold_saves(Duration::from_millis(50)).is_none());
        // A longer one sees it end, and then holds the gate.
        let held = hold_saves(Duration::from_secs(5)).expect("the save ends");
        saver.join().unwrap();
        let (began, saw_begin) = mpsc::channel();
        let t0 = Instant::now();
        let late = std::thread::spawn(move || {
            let _saving = Saving::start();
            began.send(t0.elapsed()).unwrap();
        });
        assert!(saw_begin.recv_timeout(Duration::from_millis(200)).is_err());
        drop(held);
        assert!(
            saw_begin.recv_timeout(Duration::from_secs(5)).unwrap() >= Duration::from_millis(200)
        );
        late.join().unwrap();
        // On the saving thread itself (a panic inside the save): no wait.
        let _saving = Saving::start();
        assert!(hold_saves(Duration::from_secs(5)).is_none());
    }
}
