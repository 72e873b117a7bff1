//! The IMAP check: implicit TLS, `LOGIN`, `LOGOUT`; one attempt per connection.

use super::{CheckReport, CheckSettings};
use crate::account::Account;
use crate::secret::Secret;

pub async fn check(settings: &CheckSettings, account: &Account, password: &Secret) -> CheckReport {
    let _ = (settings, account, password);
    todo!("issue 3: IMAP check")
}
