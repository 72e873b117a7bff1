//! What each answer of the person does on each step: a choice, an address,
//! a password, a paste ahead of time, going back.

use crate::domain::account::{Account, Email};
use crate::domain::apppass;
use crate::domain::mail::Protocol;
use crate::domain::storage::SaveRequest;
use crate::sys::secret::Secret;

use super::checklists::{Checklist, app_password_checklist};
use super::model::*;
use super::msg::Effect;

/// `c` is one of the answers the current step offers (checked by `update`).
pub(super) fn choose(m: &mut Model, c: Choice) -> Vec<Effect> {
    match c {
        Choice::SetUpNew => {
            forget_account(m);
            m.screen = Screen::TwoFactor(TwoFactorStage::Ask);
        }
        Choice::CheckAccount(email) => {
            if let Some(i) = m.configured().iter().position(|a| a.email == email) {
                return check_existing(m, i);
            }
        }
        Choice::UnlockKeyring => {
            m.unlock = UnlockState::Prompting;
            return vec![Effect::UnlockKeyring {
                deadline: UNLOCK_DEADLINE,
            }];
        }
        Choice::StopWaiting => {
            m.unlock = UnlockState::Ended(Ok(crate::domain::keyring::Unlock::StoppedWaiting));
            return vec![Effect::StopUnlock];
        }
        Choice::CheckKeyringAgain => {
            m.keyring = KeyringStatus::Checking;
            return vec![Effect::CheckKeyring];
        }
        Choice::TwoFactorOn => to_app_password(m),
        Choice::TwoFactorOff | Choice::TwoFactorUnsure => {
            m.screen = Screen::TwoFactor(TwoFactorStage::Pick)
        }
        Choice::Path(path) => {
            m.screen = Screen::TwoFactor(TwoFactorStage::Steps {
                path,
                checklist: Checklist::new(path.steps()),
            })
        }
        Choice::Continue => match m.screen {
            Screen::TwoFactor(_) => to_app_password(m),
            _ if m.rotating() => return to_password(m),
            _ => m.screen = Screen::Account,
        },
        Choice::Save | Choice::RetrySave => return start_save(m),
        Choice::ReEnter => {
            m.flow.candidate = None;
            m.screen = Screen::Password;
        }
        Choice::NewPassword | Choice::RotateAnyway => {
            m.flow.candidate = None;
            to_app_password(m);
        }
        Choice::Retry => return retry(m),
        Choice::ChangeAddress => {
            m.flow.existing = None;
            m.flow.settings = None;
            m.screen = Screen::Account;
        }
        Choice::BackToStart => {
            forget_account(m);
            m.screen = Screen::Welcome;
        }
        Choice::Finish => return quit_now(m),
        Choice::Export(client) => {
            if let Some(email) = account_email(m) {
                m.screen = Screen::Export(ExportState {
                    client,
                    preview: None,
                    writing: false,
                });
                return vec![Effect::PreviewExport {
                    client,
                    email,
                    settings: Box::new(m.settings.clone()),
                    given: m.servers_given,
                }];
            }
        }
        Choice::WriteExport => {
            let email = account_email(m);
            if let (Screen::Export(e), Some(email)) = (&mut m.screen, email) {
                e.writing = true;
                return vec![Effect::WriteExport {
                    client: e.client,
                    email,
                    settings: Box::new(m.settings.clone()),
                    given: m.servers_given,
                }];
            }
        }
        Choice::CopyPassword => {
            if let Some(email) = account_email(m) {
                return vec![Effect::CopyPassword { email }];
            }
        }
    }
    vec![]
}

fn account_email(m: &Model) -> Option<String> {
    m.flow
        .account
        .as_ref()
        .map(|a| a.email.as_str().to_string())
}

/// Leave a chosen or typed account behind (Welcome keeps `existing` for
/// its default selection until something else is chosen).
fn forget_account(m: &mut Model) {
    m.flow.existing = None;
    m.flow.account = None;
    m.flow.settings = None;
}

fn retry(m: &mut Model) -> Vec<Effect> {
    let Screen::Verify(v) = &m.screen else {
        return vec![];
    };
    match v.purpose {
        Purpose::NewPassword => match (m.flow.account.clone(), m.flow.candidate.clone()) {
            (Some(account), Some(secret)) => start_verify(m, account, secret),
            _ => vec![],
        },
        Purpose::Stored => {
            let email = m.flow.existing.as_ref().map(|e| e.email.clone());
            match email.and_then(|e| m.configured().iter().position(|a| a.email == e)) {
                Some(i) => check_existing(m, i),
                None => vec![],
            }
        }
    }
}

pub(super) fn back(m: &mut Model) -> Vec<Effect> {
    match m.screen.clone() {
        Screen::Welcome | Screen::Done | Screen::Save(SaveState::Saving) => {}
        Screen::TwoFactor(TwoFactorStage::Ask) => m.screen = Screen::Welcome,
        Screen::TwoFactor(TwoFactorStage::Pick) => {
            m.screen = Screen::TwoFactor(TwoFactorStage::Ask)
        }
        Screen::TwoFactor(TwoFactorStage::Steps { .. }) => {
            m.screen = Screen::TwoFactor(TwoFactorStage::Pick)
        }
        Screen::AppPassword { .. } => {
            m.screen = if m.rotating() {
                Screen::Welcome
            } else {
                Screen::TwoFactor(TwoFactorStage::Ask)
            }
        }
        Screen::Account => to_app_password(m),
        Screen::Password => {
            if m.rotating() {
                to_app_password(m)
            } else {
                m.screen = Screen::Account
            }
        }
        Screen::Verify(v) if v.running() => return cancel_running(m),
        Screen::Verify(v) => {
            m.screen = match v.purpose {
                Purpose::NewPassword => Screen::Password,
                Purpose::Stored => Screen::Welcome,
            }
        }
        Screen::Save(SaveState::Failed(_)) => m.screen = Screen::Password,
        Screen::Export(e) if e.writing => {}
        Screen::Export(_) => m.screen = Screen::Done,
    }
    vec![]
}

/// Leave now: the checks under way are stopped first.
pub(super) fn quit_now(m: &mut Model) -> Vec<Effect> {
    m.confirming_quit = false;
    m.quitting = true;
    let mut fx = cancel_running(m);
    fx.push(Effect::Quit);
    fx
}

/// Stop the checks under way, if any, and mark them cancelled.
fn cancel_running(m: &mut Model) -> Vec<Effect> {
    if let Screen::Verify(v) = &mut m.screen
        && v.running()
    {
        v.loading_secret = false;
        for line in [&mut v.imap, &mut v.smtp] {
            if line.is_running() {
                *line = CheckLine::Cancelled;
            }
        }
        return vec![Effect::CancelVerify { run: v.run }];
    }
    vec![]
}

/// Check the stored password of configured account `i`.
pub(super) fn check_existing(m: &mut Model, i: usize) -> Vec<Effect> {
    let Some(summary) = m.configured().get(i).cloned() else {
        return vec![];
    };
    let entry = &summary;
    let account = match entry.account() {
        Ok(account) => account,
        Err(_) => {
            m.notice = Some(format!(
                "The config entry for {} is not a valid address.",
                summary.email
            ));
            return vec![];
        }
    };
    m.flow.email = account.email.as_str().to_string();
    m.flow.login = account.login.as_str().to_string();
    m.flow.account = Some(account);
    m.flow.settings = Some(entry.check_settings(&m.settings, m.servers_given.0, m.servers_given.1));
    if let Some(old) = &summary.label {
        // The new password needs a label of its own, or the user cannot
        // tell which of two same-named passwords to revoke.
        m.flow.label = next_label(old);
    }
    let email = summary.email.clone();
    m.flow.existing = Some(summary);
    let run = next_run(m);
    let mut v = VerifyState::new(Purpose::Stored, run);
    v.loading_secret = true;
    m.screen = Screen::Verify(v);
    vec![Effect::LoadSecret { run, email }]
}

/// `label` → `label (2)`, `label (2)` → `label (3)`.
pub fn next_label(label: &str) -> String {
    if let Some(stem) = label.strip_suffix(')')
        && let Some((base, n)) = stem.rsplit_once(" (")
        && let Ok(n) = n.parse::<u32>()
    {
        return format!("{base} ({})", n.saturating_add(1));
    }
    format!("{label} (2)")
}

fn next_run(m: &mut Model) -> u64 {
    let r = m.next_run;
    m.next_run += 1;
    r
}

fn to_app_password(m: &mut Model) {
    m.screen = Screen::AppPassword {
        checklist: app_password_checklist(&m.flow.label),
    };
}

/// On to the password step, or, with a password pasted ahead of time,
/// straight to its check.
fn to_password(m: &mut Model) -> Vec<Effect> {
    match (m.flow.account.clone(), m.flow.candidate.clone()) {
        (Some(account), Some(secret)) => start_verify(m, account, secret),
        _ => {
            m.screen = Screen::Password;
            vec![]
        }
    }
}

/// The address as typed; `login` matters only for a custom domain.
pub(super) fn submit_account(m: &mut Model, email: &str, login: &str) -> Vec<Effect> {
    m.flow.email = email.trim().to_string();
    m.flow.login = login.trim().to_string();
    let email = match Email::parse(email) {
        Ok(e) => e,
        Err(e) => {
            m.flow.account_error = Some(e.to_string());
            return vec![];
        }
    };
    let account = if email.is_apple() {
        Account::apple(email)
    } else {
        match Email::parse_apple(login) {
            Ok(login) => Account::new(email, login),
            Err(e) => {
                m.flow.account_error = Some(if login.trim().is_empty() {
                    format!(
                        "{} is a custom domain (iCloud+): give the primary iCloud address \
                         it logs in with too.",
                        email.domain()
                    )
                } else {
                    e.to_string()
                });
                return vec![];
            }
        }
    };
    m.flow.account_error = None;
    m.flow.account = Some(account);
    // A typed address is checked against the program's servers, never a
    // previously chosen account's recorded ones.
    m.flow.settings = None;
    to_password(m)
}

pub(super) fn submit_password(m: &mut Model, raw: &str, label: &str) -> Vec<Effect> {
    if apppass::holds_password(label) {
        // Never kept, so never shown again nor saved: labels are in clear.
        m.notice = Some(
            "The label had an app-specific password in it, so it was not kept (labels are \
             stored in clear)."
                .into(),
        );
    } else {
        m.flow.label = label.trim().to_string();
    }
    let Some(account) = m.flow.account.clone() else {
        m.screen = Screen::Account;
        return vec![];
    };
    match apppass::normalise(raw) {
        Ok(secret) => {
            m.flow.password_error = None;
            m.flow.candidate = Some(secret.clone());
            m.flow.verified = None;
            start_verify(m, account, secret)
        }
        Err(e) => {
            m.flow.password_error = Some(e.to_string());
            vec![]
        }
    }
}

/// A password pasted before the password step: kept, never shown, and
/// checked as soon as the address is known.
pub(super) fn paste_password(m: &mut Model, raw: &str) -> Vec<Effect> {
    let secret = match apppass::sanitise_paste(raw).and_then(|clean| apppass::normalise(&clean)) {
        Ok(s) => s,
        Err(e) => {
            m.notice = Some(format!("That paste is not an app-specific password: {e}"));
            return vec![];
        }
    };
    m.flow.candidate = Some(secret);
    m.flow.verified = None;
    m.flow.password_error = None;
    m.notice = Some("Password pasted and kept (hidden).".into());
    if matches!(m.screen, Screen::Verify(_)) && m.flow.account.is_some() {
        // A check's answer (a rejected or missing password): the address
        // is known, so the paste is checked at once.
        m.notice = Some("Password pasted and kept (hidden); checking it now.".into());
        return to_password(m);
    }
    if m.flow.account.is_some() && m.screen != Screen::Account {
        return to_password(m);
    }
    m.screen = Screen::Account;
    vec![]
}

fn start_verify(m: &mut Model, account: Account, password: Secret) -> Vec<Effect> {
    let run = next_run(m);
    m.screen = Screen::Verify(VerifyState::new(Purpose::NewPassword, run));
    vec![Effect::Verify {
        run,
        account,
        password,
        protocols: vec![Protocol::Imap, Protocol::Smtp],
        settings: m.flow.settings.clone().map(Box::new),
    }]
}

/// Store the verified password (from Verify, or retrying a failed save).
fn start_save(m: &mut Model) -> Vec<Effect> {
    let (Some(verified), Some(account)) = (m.flow.verified.clone(), m.flow.account.clone()) else {
        return vec![];
    };
    // A label that is itself an app-specific password is not kept: the
    // label goes to the config file in clear. Any label not kept is said.
    let label = match crate::domain::account::check_label(&m.flow.label) {
        Ok(l) if !apppass::holds_password(&l) => Some(l),
        Ok(_) => {
            m.notice = Some(
                "The label looked like an app-specific password or had one in it, so it was not \
                 kept (labels are stored in clear)."
                    .into(),
            );
            None
        }
        Err(crate::domain::account::LabelError::Empty) => None,
        Err(e) => {
            m.notice = Some(format!("The label was not kept. {e}"));
            None
        }
    };
    let req = SaveRequest {
        account,
        secret: verified.secret,
        label,
        imap_username: verified.imap_username,
        smtp_username: verified.smtp_username,
        settings: m
            .flow
            .settings
            .clone()
            .unwrap_or_else(|| m.settings.clone()),
    };
    m.screen = Screen::Save(SaveState::Saving);
    vec![Effect::Save(Box::new(req))]
}
