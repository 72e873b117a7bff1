//! The SMTP check: plain TCP, `STARTTLS` (required), AUTH with the full address.

use super::{CheckReport, CheckSettings};
use crate::account::Account;
use crate::secret::Secret;

pub async fn check(settings: &CheckSettings, account: &Account, password: &Secret) -> CheckReport {
    let _ = (settings, account, password);
    todo!("issue 3: SMTP check")
}
