//! A password that may still be on its way to a check.
//!
//! `verify` reads the stored password from the keyring (a D-Bus connection
//! and a Diffie-Hellman session: several milliseconds) while the checks
//! resolve, connect, handshake TLS and read the greetings. A check awaits
//! the password only right before `LOGIN` or `AUTH`, the first moment it
//! needs it; if none comes (the keyring could not give it), the check stops
//! there, having sent nothing but the protocol's greeting steps.

use std::future::Future;

use futures::FutureExt;
use futures::future::{BoxFuture, Shared};

use crate::sys::secret::Secret;

/// A password already known, or one still being read. Clones share the
/// one read.
#[derive(Clone)]
pub struct PendingPassword(Shared<BoxFuture<'static, Option<Secret>>>);

impl PendingPassword {
    /// A password in hand.
    pub fn ready(secret: Secret) -> Self {
        PendingPassword(futures::future::ready(Some(secret)).boxed().shared())
    }

    /// A password that `read` gives, or `None` when there is none to send.
    /// Until it is given, the debug log holds its lines (see
    /// [`crate::sys::log::hold`]): a server line that arrives meanwhile may
    /// repeat the password before the log's filter knows it. `read` must
    /// register the password with the log before it ends (the keyring
    /// stores do, as they read it).
    pub fn later(read: impl Future<Output = Option<Secret>> + Send + 'static) -> Self {
        let hold = crate::sys::log::hold();
        PendingPassword(
            async move {
                let password = read.await;
                drop(hold);
                password
            }
            .boxed()
            .shared(),
        )
    }

    /// Wait for it. `None`: there is no password to send.
    pub async fn get(&self) -> Option<Secret> {
        self.0.clone().await
    }

    /// The password, if it has arrived.
    pub fn now(&self) -> Option<Secret> {
        self.0.peek().cloned().flatten()
    }
}

impl std::fmt::Debug for PendingPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = match self.0.peek() {
            None => "pending",
            Some(Some(_)) => "arrived",
            Some(None) => "none",
        };
        write!(f, "PendingPassword({state})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clones_share_one_read_and_debug_hides_the_password() {
        let (tx, rx) = futures::channel::oneshot::channel::<Secret>();
        let p = PendingPassword::later(async move { rx.await.ok() });
        let q = p.clone();
        assert!(p.now().is_none());
        assert_eq!(format!("{p:?}"), "PendingPassword(pending)");
        tx.send(Secret::new("abcd-efgh-ijkl-mnop".into())).unwrap();
        let got = futures::executor::block_on(q.get());
        assert_eq!(
            got.as_ref().map(Secret::expose),
            Some("abcd-efgh-ijkl-mnop")
        );
        assert_eq!(
            p.now().as_ref().map(Secret::expose),
            Some("abcd-efgh-ijkl-mnop")
        );
        assert_eq!(format!("{p:?}"), "PendingPassword(arrived)");

        let none = PendingPassword::later(async { None });
        assert!(futures::executor::block_on(none.get()).is_none());
        assert_eq!(format!("{none:?}"), "PendingPassword(none)");
    }
}
