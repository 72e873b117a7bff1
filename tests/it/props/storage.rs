//! A keyring that fails or "crashes" at chosen calls, the plans that say
//! where, and the scenarios (saves and the next runs' recoveries) the
//! storage property runs.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use icloud_mail_setup::domain::account::{Account, Email};
use icloud_mail_setup::domain::keyring::{MemoryStore, SecretStore, StoreError};
use icloud_mail_setup::domain::mail::CheckSettings;
use icloud_mail_setup::domain::storage::SaveRequest;
use icloud_mail_setup::sys::secret::Secret;
use proptest::collection::{btree_map, vec};
use proptest::prelude::*;

pub const EMAIL: &str = "emily@icloud.com";

/// The password stored before any scenario's saves.
pub const OLD: &str = "oooo-oooo-oooo-oooo";

/// The password attempt `i` saves (each attempt its own).
pub fn new_password(i: usize) -> String {
    let c = (b'a' + (i % 26) as u8) as char;
    let g: String = std::iter::repeat_n(c, 4).collect();
    format!("{g}-{g}-{g}-nnnn")
}

/// Every password has its own label, so the config entry says which
/// password it was written for.
pub fn label_of(password: &str) -> String {
    format!("label for {password}")
}

/// What goes wrong at one keyring call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// The call fails and does nothing.
    Error,
    /// The call lands, then reports failure (a call that timed out).
    DoneThenError,
    /// A write stores something else (a misbehaving store); a read or
    /// delete fails.
    Garble,
    /// The process dies before the call reaches the keyring.
    CrashBefore,
    /// The process dies right after the call landed.
    CrashAfter,
}

impl Fault {
    pub fn crashes(self) -> bool {
        matches!(self, Fault::CrashBefore | Fault::CrashAfter)
    }
}

/// The payload a simulated crash unwinds with (through
/// `std::panic::resume_unwind`, which skips the panic hook: no noise).
pub struct Crash;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Get,
    Set,
    Delete,
}

/// One call as the program made it (what it asked for, not what the
/// fault made of it).
#[derive(Debug, Clone)]
pub struct Call {
    pub kind: Kind,
    pub account: String,
    /// `set`: what it asked to store. `get`: what the program was given
    /// (`None`: it was given nothing, the call failed).
    pub value: Option<Option<String>>,
    pub fault: Option<Fault>,
}

/// A store over a shared [`MemoryStore`] that misbehaves at the call
/// indexes of its plan (counting every `get`, `set`, `delete`).
pub struct FaultStore {
    pub inner: Arc<MemoryStore>,
    calls: AtomicUsize,
    plan: BTreeMap<usize, Fault>,
    pub log: Mutex<Vec<Call>>,
}

impl FaultStore {
    pub fn new(inner: Arc<MemoryStore>, plan: BTreeMap<usize, Fault>) -> FaultStore {
        FaultStore {
            inner,
            calls: AtomicUsize::new(0),
            plan,
            log: Mutex::new(Vec::new()),
        }
    }

    pub fn calls(&self) -> Vec<Call> {
        self.log.lock().unwrap().clone()
    }

    fn fault(&self) -> Option<Fault> {
        let n = self.calls.fetch_add(1, Ordering::SeqCst);
        self.plan.get(&n).copied()
    }

    fn note(&self, kind: Kind, account: &str, value: Option<Option<String>>, fault: Option<Fault>) {
        self.log.lock().unwrap().push(Call {
            kind,
            account: account.into(),
            value,
            fault,
        });
    }
}

fn injected() -> StoreError {
    StoreError::Other("injected fault".into())
}

fn crash() -> ! {
    std::panic::resume_unwind(Box::new(Crash))
}

impl SecretStore for FaultStore {
    fn name(&self) -> String {
        "fault-injecting store".into()
    }
    fn preflight(&self) -> Result<(), StoreError> {
        Ok(())
    }
    fn get(&self, account: &str) -> Result<Option<Secret>, StoreError> {
        let fault = self.fault();
        match fault {
            Some(Fault::CrashBefore) => {
                self.note(Kind::Get, account, None, fault);
                crash()
            }
            Some(Fault::Error | Fault::Garble) => {
                self.note(Kind::Get, account, None, fault);
                Err(injected())
            }
            Some(Fault::CrashAfter | Fault::DoneThenError) => {
                // It was read, but the program never sees what.
                self.inner.get(account)?;
                self.note(Kind::Get, account, None, fault);
                if fault == Some(Fault::CrashAfter) {
                    crash()
                }
                Err(injected())
            }
            None => {
                let got = self.inner.get(account)?;
                let seen = got.as_ref().map(|s| s.expose().to_string());
                self.note(Kind::Get, account, Some(seen), None);
                Ok(got)
            }
        }
    }
    fn set(&self, account: &str, secret: &Secret) -> Result<(), StoreError> {
        let fault = self.fault();
        self.note(
            Kind::Set,
            account,
            Some(Some(secret.expose().into())),
            fault,
        );
        match fault {
            None => self.inner.set(account, secret),
            Some(Fault::Error) => Err(injected()),
            Some(Fault::DoneThenError) => {
                self.inner.set(account, secret)?;
                Err(injected())
            }
            Some(Fault::Garble) => self
                .inner
                .set(account, &Secret::new("garbled-by-the-store".into())),
            Some(Fault::CrashBefore) => crash(),
            Some(Fault::CrashAfter) => {
                self.inner.set(account, secret)?;
                crash()
            }
        }
    }
    fn delete(&self, account: &str) -> Result<(), StoreError> {
        let fault = self.fault();
        self.note(Kind::Delete, account, None, fault);
        match fault {
            None => self.inner.delete(account),
            Some(Fault::Error | Fault::Garble) => Err(injected()),
            Some(Fault::DoneThenError) => {
                self.inner.delete(account)?;
                Err(injected())
            }
            Some(Fault::CrashBefore) => crash(),
            Some(Fault::CrashAfter) => {
                self.inner.delete(account)?;
                crash()
            }
        }
    }
}

/// The rule a process must keep with the main entry: it is overwritten
/// only with a secret this process read back from the staging entry (the
/// new one, verified and staged) or read from the main entry itself (the
/// old one, put back), and deleted only when this process read it absent
/// (putting back "no password"). So the old password is never removed
/// before the new one is safely staged.
pub fn write_ahead_violation(calls: &[Call], main: &str, staging: &str) -> Option<String> {
    let mut read_from_staging: Vec<Option<String>> = Vec::new();
    let mut read_from_main: Vec<Option<String>> = Vec::new();
    for (i, c) in calls.iter().enumerate() {
        match c.kind {
            Kind::Get => {
                if let Some(seen) = &c.value {
                    if c.account == staging {
                        read_from_staging.push(seen.clone());
                    } else if c.account == main {
                        read_from_main.push(seen.clone());
                    }
                }
            }
            Kind::Set if c.account == main => {
                let v = c.value.clone().flatten();
                let staged = v.is_some() && read_from_staging.contains(&v);
                let old = read_from_main.contains(&v);
                if !staged && !old {
                    return Some(format!(
                        "call {i}: the main entry was overwritten with a secret neither read \
                         back from staging nor read from the main entry before: {calls:#?}"
                    ));
                }
            }
            Kind::Delete if c.account == main && !read_from_main.contains(&None) => {
                return Some(format!(
                    "call {i}: the main entry was deleted though it was not read absent: \
                     {calls:#?}"
                ));
            }
            _ => {}
        }
    }
    None
}

/// One save, and what happens after it.
#[derive(Debug, Clone)]
pub struct Attempt {
    /// Faults during `save_verified`, by call index.
    pub plan: BTreeMap<usize, Fault>,
    /// A next run that recovers with faults of its own, first.
    pub faulty_recover: Option<BTreeMap<usize, Fault>>,
    /// Then a next run that recovers with a healthy keyring (otherwise the
    /// next attempt's save finds what this one left).
    pub settle: bool,
}

#[derive(Debug, Clone)]
pub struct Scenario {
    /// A password was stored (and its account configured) before.
    pub old: bool,
    pub attempts: Vec<Attempt>,
}

pub fn fault() -> impl Strategy<Value = Fault> {
    prop_oneof![
        2 => Just(Fault::Error),
        2 => Just(Fault::DoneThenError),
        1 => Just(Fault::Garble),
        2 => Just(Fault::CrashBefore),
        2 => Just(Fault::CrashAfter),
    ]
}

/// Faults at random call indexes (a save makes 7 to 12 calls).
pub fn plan() -> impl Strategy<Value = BTreeMap<usize, Fault>> {
    btree_map(0usize..14, fault(), 0..4)
}

pub fn scenario() -> impl Strategy<Value = Scenario> {
    (
        any::<bool>(),
        vec(
            (
                plan(),
                proptest::option::weighted(0.3, btree_map(0usize..8, fault(), 1..3)),
                any::<bool>(),
            )
                .prop_map(|(plan, faulty_recover, settle)| Attempt {
                    plan,
                    faulty_recover,
                    settle,
                }),
            1..4,
        ),
    )
        .prop_map(|(old, attempts)| Scenario { old, attempts })
}

/// The request attempt `i` saves.
pub fn request(i: usize) -> SaveRequest {
    let password = new_password(i);
    SaveRequest {
        account: Account::apple(Email::parse(EMAIL).unwrap()),
        secret: Secret::new(password.clone()),
        label: Some(label_of(&password)),
        imap_username: "emily".into(),
        smtp_username: EMAIL.into(),
        settings: CheckSettings::default(),
    }
}
