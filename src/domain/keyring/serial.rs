//! The keyring's worker thread: one owner of the connection, calls in order.

use std::sync::Mutex;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Duration;

/// A thread that owns some state (the keyring connection) and runs the
/// calls given to it one after another, each caller waiting a bounded time.
///
/// Because calls run in order, a call that timed out and lands late still
/// lands *before* any later call: a roll-back can never be overtaken by the
/// write it undoes.
pub struct Serial<B: 'static> {
    name: &'static str,
    make: fn() -> B,
    tx: Mutex<Option<mpsc::Sender<Job<B>>>>,
}

type Job<B> = Box<dyn FnOnce(&mut B) + Send>;

impl<B: 'static> Serial<B> {
    /// The thread starts on the first call, with the state `make()` gives.
    pub fn new(name: &'static str, make: fn() -> B) -> Self {
        Serial {
            name,
            make,
            tx: Mutex::new(None),
        }
    }

    /// Run `op` after every call queued before it; wait at most `timeout`.
    /// On timeout, `Err(None)`; the call still runs, later.
    pub fn call<T: Send + 'static>(
        &self,
        timeout: Duration,
        op: impl FnOnce(&mut B) -> T + Send + 'static,
    ) -> Result<T, Option<String>> {
        let (tx, rx) = mpsc::channel();
        self.submit(Box::new(move |state| {
            let _ = tx.send(op(state));
        }))
        .map_err(Some)?;
        match rx.recv_timeout(timeout) {
            Ok(result) => Ok(result),
            Err(RecvTimeoutError::Timeout) => Err(None),
            Err(RecvTimeoutError::Disconnected) => Err(Some("the call failed unexpectedly".into())),
        }
    }

    /// Queue `job`, starting the thread if needed (or again, if it is gone).
    fn submit(&self, job: Job<B>) -> Result<(), String> {
        let mut slot = self
            .tx
            .lock()
            .map_err(|_| "the worker thread is unusable (poisoned)".to_string())?;
        let job = match slot.as_ref() {
            Some(tx) => match tx.send(job) {
                Ok(()) => return Ok(()),
                Err(mpsc::SendError(job)) => job,
            },
            None => job,
        };
        let (tx, rx) = mpsc::channel::<Job<B>>();
        let make = self.make;
        std::thread::Builder::new()
            .name(self.name.into())
            .spawn(move || {
                let mut state = make();
                for job in rx {
                    // A panic inside a library fails that call (its caller
                    // sees the channel close), not the thread.
                    let done =
                        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job(&mut state)));
                    if done.is_err() {
                        state = make();
                    }
                }
            })
            .map_err(|e| format!("could not start a thread: {e}"))?;
        tx.send(job)
            .map_err(|_| "the worker thread stopped at once".to_string())?;
        *slot = Some(tx);
        Ok(())
    }
}
