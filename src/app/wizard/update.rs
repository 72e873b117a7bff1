//! `update(&mut Model, Msg) -> Vec<Effect>`: every transition of the
//! wizard, with no I/O. The world's answers are handled here; what each
//! answer of the person does on each step is in `steps.rs`.

use crate::domain::keyring::StoreError;
use crate::domain::mail::{CheckReport, Protocol};
use crate::sys::secret::Secret;

use super::model::*;
use super::msg::{Effect, Msg};
use super::prompt::prompt;
use super::steps;

pub fn update(m: &mut Model, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::KeyringChecked(r) => {
            m.keyring = match r {
                Ok(name) => KeyringStatus::Ready { name },
                Err(e) => KeyringStatus::Problem {
                    message: e.to_string(),
                    hint: e.hint().to_string(),
                    locked: matches!(e, StoreError::Locked { .. })
                        && crate::domain::keyring::CAN_UNLOCK,
                },
            };
            vec![]
        }
        Msg::KeyringUnlocked(r) => {
            if m.unlock != UnlockState::Prompting {
                return vec![];
            }
            let unlocked = r == Ok(crate::domain::keyring::Unlock::Unlocked);
            m.unlock = UnlockState::Ended(r);
            if unlocked {
                // What the keyring says now, not what the prompt said.
                m.keyring = KeyringStatus::Checking;
                return vec![Effect::CheckKeyring];
            }
            vec![]
        }
        Msg::AccountsLoaded(r) => on_accounts(m, r),
        Msg::SecretLoaded { run, result } => on_secret_loaded(m, run, result),
        Msg::CheckDone { run, report } => on_check_done(m, run, report),
        Msg::Saved(r) => on_saved(m, r),
        Msg::UrlOpened { url, result } => {
            m.notice = Some(match result {
                Ok(()) => format!("Opened {url} in your browser."),
                Err(_) => format!("Could not open a browser here. Type this address: {url}"),
            });
            vec![]
        }
        Msg::LinkCopied { result, .. } => {
            m.notice = Some(match result {
                Ok(how) => format!("Link {how}."),
                Err(e) => format!("The link was not copied: {e}"),
            });
            vec![]
        }
        Msg::Note(text) => {
            m.notice = Some(text);
            vec![]
        }
        Msg::ClientsDetected { offers, exported } => {
            m.flow.clients = Some(offers);
            m.flow.exported = exported;
            vec![]
        }
        Msg::ExportPreviewed { client, result } => {
            if let Screen::Export(e) = &mut m.screen
                && e.client == client
                && e.preview.is_none()
            {
                e.preview = Some(result);
            }
            vec![]
        }
        Msg::ExportWritten { client, result } => {
            if let Screen::Export(e) = &m.screen
                && e.client == client
                && e.writing
            {
                m.notice = Some(match &result {
                    Ok(done) => format!("{}: {done}", client.name()),
                    Err(e) => format!("{} was not set up: {e}", client.name()),
                });
                if result.is_ok() && !m.flow.exported.iter().any(|n| n == client.name()) {
                    m.flow.exported.push(client.name().to_string());
                }
                m.screen = Screen::Done;
            }
            vec![]
        }
        Msg::PasswordCopied(r) => {
            m.notice = Some(match r {
                Ok(how) => how,
                Err(e) => format!("The password was not copied: {e}"),
            });
            vec![]
        }
        Msg::Terminate if matches!(m.screen, Screen::Save(SaveState::Saving)) => {
            // Let the save finish (the signal watcher bounds the wait),
            // then leave.
            m.terminating = true;
            vec![]
        }
        Msg::Terminate => {
            m.terminating = true;
            steps::quit_now(m)
        }
        Msg::Quit => {
            if m.screen == Screen::Save(SaveState::Saving) {
                m.notice = Some("Saving; it takes a moment. Quit once it is done.".into());
                return vec![];
            }
            if m.unsaved() {
                m.confirming_quit = true;
                return vec![];
            }
            steps::quit_now(m)
        }
        Msg::ConfirmQuit(yes) => {
            if !m.confirming_quit {
                return vec![];
            }
            m.confirming_quit = false;
            if yes { steps::quit_now(m) } else { vec![] }
        }
        // While "quit?" is asked, nothing else is taken.
        _ if m.confirming_quit => vec![],
        Msg::Choose(c) => {
            if !prompt(m).offers(&c) {
                return vec![];
            }
            m.notice = None;
            steps::choose(m, c)
        }
        Msg::SubmitAccount { email, login } if m.screen == Screen::Account => {
            m.notice = None;
            steps::submit_account(m, &email, &login)
        }
        Msg::SubmitPassword { password, label } if m.screen == Screen::Password => {
            m.notice = None;
            steps::submit_password(m, password.as_str(), &label)
        }
        Msg::PastePassword(raw) if m.takes_paste() => steps::paste_password(m, raw.as_str()),
        Msg::ToggleStep(i) => {
            match &mut m.screen {
                Screen::TwoFactor(TwoFactorStage::Steps { checklist, .. })
                | Screen::AppPassword { checklist } => {
                    checklist.toggle(i);
                }
                _ => {}
            }
            vec![]
        }
        Msg::OpenLink => match prompt(m).link {
            Some(url) => vec![Effect::OpenUrl(url.to_string())],
            None => vec![],
        },
        Msg::CopyLink => match prompt(m).link {
            Some(url) => vec![Effect::CopyUrl(url.to_string())],
            None => vec![],
        },
        Msg::Back => {
            m.notice = None;
            steps::back(m)
        }
        Msg::SubmitAccount { .. } | Msg::SubmitPassword { .. } | Msg::PastePassword(_) => vec![],
    }
}

fn on_accounts(m: &mut Model, r: Result<Vec<AccountSummary>, String>) -> Vec<Effect> {
    m.accounts = match r {
        Ok(a) => AccountsStatus::Loaded(a),
        Err(e) => AccountsStatus::Error(e),
    };
    let Some(wanted) = m.start_account.take() else {
        return vec![];
    };
    match m.configured().iter().position(|a| a.email == wanted) {
        Some(i) if m.screen == Screen::Welcome => steps::check_existing(m, i),
        Some(_) => vec![],
        None => {
            m.notice = Some(format!(
                "No account {wanted} is configured here. Choose one below or set up a new one."
            ));
            vec![]
        }
    }
}

fn on_secret_loaded(
    m: &mut Model,
    run: u64,
    result: Result<Option<Secret>, StoreError>,
) -> Vec<Effect> {
    let Some(account) = m.flow.account.clone() else {
        return vec![];
    };
    let Screen::Verify(v) = &mut m.screen else {
        return vec![];
    };
    if v.run != run || !v.loading_secret {
        return vec![];
    }
    v.loading_secret = false;
    match result {
        Ok(Some(password)) => vec![Effect::Verify {
            run,
            account,
            password,
            protocols: vec![Protocol::Imap, Protocol::Smtp],
            settings: m.flow.settings.clone().map(Box::new),
        }],
        Ok(None) => {
            v.missing_secret = true;
            v.imap = CheckLine::Skipped;
            v.smtp = CheckLine::Skipped;
            vec![]
        }
        Err(e) => {
            v.keyring_error = Some(format!("{e}. {}", e.hint()));
            v.imap = CheckLine::Skipped;
            v.smtp = CheckLine::Skipped;
            vec![]
        }
    }
}

fn on_check_done(m: &mut Model, run: u64, report: CheckReport) -> Vec<Effect> {
    let Screen::Verify(v) = &mut m.screen else {
        return vec![];
    };
    if v.run != run {
        return vec![];
    }
    let line = match report.protocol {
        Protocol::Imap => &mut v.imap,
        Protocol::Smtp => &mut v.smtp,
    };
    if !line.is_running() {
        return vec![];
    }
    *line = CheckLine::Done(report);
    if v.running() || !v.all_accepted() {
        return vec![];
    }
    let username = |l: &CheckLine| {
        l.report()
            .and_then(|r| r.outcome.as_ref().ok())
            .map(|a| a.username.clone())
    };
    let (imap_user, smtp_user) = (username(&v.imap), username(&v.smtp));
    match v.purpose {
        Purpose::NewPassword => {
            if let (Some(secret), Some(imap_username), Some(smtp_username)) =
                (m.flow.candidate.clone(), imap_user, smtp_user)
            {
                m.flow.verified = Some(Verified {
                    secret,
                    imap_username,
                    smtp_username,
                });
            }
            vec![]
        }
        // Recorded by the check service, as `verify` records: it decides
        // whether a check with these servers says anything about the
        // account's stored password (a test server given by --imap or the
        // environment does not).
        Purpose::Stored => match &m.flow.existing {
            Some(e) => vec![Effect::MarkVerified {
                entry: Box::new(e.clone()),
                settings: Box::new(
                    m.flow
                        .settings
                        .clone()
                        .unwrap_or_else(|| m.settings.clone()),
                ),
                imap_username: imap_user,
                smtp_username: smtp_user,
            }],
            None => vec![],
        },
    }
}

fn on_saved(m: &mut Model, r: Result<crate::domain::storage::Saved, SaveFailed>) -> Vec<Effect> {
    let mut fx = Vec::new();
    if let Screen::Save(_) = m.screen {
        match r {
            Ok(saved) => {
                m.flow.saved = Some(saved);
                match &m.flow.account {
                    Some(a) => fx.push(Effect::DetectClients {
                        email: a.email.as_str().to_string(),
                    }),
                    None => m.flow.clients = Some(Vec::new()),
                }
                m.flow.usernames = m
                    .flow
                    .verified
                    .take()
                    .map(|v| (v.imap_username, v.smtp_username));
                m.flow.candidate = None;
                m.screen = Screen::Done;
            }
            Err(e) => m.screen = Screen::Save(SaveState::Failed(e)),
        }
    }
    if m.terminating {
        // A signal came during the save: leave now that it is done.
        m.quitting = true;
        return vec![Effect::Quit];
    }
    fx
}
