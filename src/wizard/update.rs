//! `update(&mut Model, Msg) -> Vec<Effect>`: every transition of the
//! wizard, with no I/O.

use crate::account::{Account, Email};
use crate::apppass;
use crate::mail::{ErrorKind, Protocol};
use crate::storage::SaveRequest;

use super::checklists::{APPLE_ACCOUNT_URL, Checklist, TwoFactorPath, app_password_checklist};
use super::keys::Action;
use super::model::*;
use super::msg::{Effect, Msg};

pub const SPINNER_FRAMES: usize = 10;

pub fn update(m: &mut Model, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::Action(a) => on_action(m, a),
        Msg::Paste(raw) => on_paste(m, &raw),
        Msg::Tick => {
            if m.busy() {
                m.spinner = (m.spinner + 1) % SPINNER_FRAMES;
            }
            vec![]
        }
        Msg::Resize { width, height } => {
            m.too_small = width < MIN_WIDTH || height < MIN_HEIGHT;
            vec![]
        }
        Msg::KeyringChecked(r) => {
            m.keyring = match r {
                Ok(name) => KeyringStatus::Ready { name },
                Err(e) => KeyringStatus::Problem {
                    message: e.to_string(),
                    hint: e.hint().to_string(),
                },
            };
            vec![]
        }
        Msg::AccountsLoaded(r) => on_accounts(m, r),
        Msg::SecretLoaded { run, result } => on_secret_loaded(m, run, result),
        Msg::CheckDone { run, report } => on_check_done(m, run, report),
        Msg::Saved(r) => {
            if let Screen::Save(_) = m.screen {
                match r {
                    Ok(saved) => {
                        m.flow.saved = Some(saved);
                        m.flow.usernames = m
                            .flow
                            .verified
                            .take()
                            .map(|v| (v.imap_username, v.smtp_username));
                        m.flow.password.clear();
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
            vec![]
        }
        Msg::UrlOpened { url, result } => {
            m.notice = Some(match result {
                Ok(()) => format!("Opened {url} in your browser."),
                Err(_) => format!("Could not open a browser here. Type this address: {url}"),
            });
            vec![]
        }
        Msg::Note(text) => {
            m.notice = Some(text);
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
            m.quitting = true;
            let mut fx = cancel_running(m);
            fx.push(Effect::Quit);
            fx
        }
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
        Some(i) if matches!(m.screen, Screen::Welcome { .. }) => {
            m.screen = Screen::Welcome { selected: i + 1 };
            check_existing(m, i)
        }
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
    result: Result<Option<crate::secret::Secret>, crate::secrets::StoreError>,
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

fn on_check_done(m: &mut Model, run: u64, report: crate::mail::CheckReport) -> Vec<Effect> {
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
    if v.running() {
        return vec![];
    }
    v.selected = 0;
    let all_ok = v.all_accepted();
    let purpose = v.purpose;
    let (imap_user, smtp_user) = (
        v.imap
            .report()
            .and_then(|r| r.outcome.as_ref().ok())
            .map(|a| a.username.clone()),
        v.smtp
            .report()
            .and_then(|r| r.outcome.as_ref().ok())
            .map(|a| a.username.clone()),
    );
    match (purpose, all_ok) {
        (Purpose::NewPassword, true) => {
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
        (Purpose::Stored, true) => match &m.flow.existing {
            Some(e) => vec![Effect::MarkVerified {
                email: e.email.clone(),
            }],
            None => vec![],
        },
        _ => vec![],
    }
}

fn on_paste(m: &mut Model, raw: &str) -> Vec<Effect> {
    if m.overlay != Overlay::None {
        return vec![];
    }
    let clean = match apppass::sanitise_paste(raw) {
        Ok(c) => c,
        Err(e) => {
            if m.screen == Screen::Password {
                m.flow.password_error = Some(e.to_string());
            } else {
                m.notice = Some(e.to_string());
            }
            return vec![];
        }
    };
    match m.screen {
        Screen::Password => match m.flow.password_focus {
            PasswordField::Password => {
                // A paste is a whole password: it replaces what was there.
                m.flow.password.clear();
                m.flow.password.push_str(clean.trim());
                m.flow.password_error = None;
            }
            PasswordField::Label if apppass::normalise(&clean).is_ok() => {
                // That was the password: never let it become a label (the
                // label is stored in the config file in clear).
                m.flow.password.clear();
                m.flow.password.push_str(clean.trim());
                m.flow.password_focus = PasswordField::Password;
                m.flow.password_error = None;
                m.notice = Some(
                    "That looked like the password, so it went into the password field.".into(),
                );
            }
            PasswordField::Label if apppass::holds_password(&clean) => {
                // A password inside other text (a copied sentence): not
                // into the label either.
                m.notice = Some(
                    "That paste has an app-specific password in it, so it was not put in the \
                     label (labels are stored in clear). Paste the password alone."
                        .into(),
                );
            }
            PasswordField::Label => m.flow.label.insert_str(clean.trim()),
        },
        Screen::Account if apppass::holds_password(&clean) => {
            // Addresses are shown and stored in clear: the password goes
            // on the next screen, masked.
            m.notice = Some(
                "That paste looks like an app-specific password, so it was not put in the \
                 address field. Paste it on the next screen."
                    .into(),
            );
        }
        Screen::Account => {
            let field = match m.flow.account_focus {
                AccountField::Email => &mut m.flow.email,
                AccountField::Login => &mut m.flow.login,
            };
            field.insert_str(clean.trim());
        }
        _ => {}
    }
    vec![]
}

fn on_action(m: &mut Model, a: Action) -> Vec<Effect> {
    // A window too small to show anything takes only Quit.
    if m.too_small && a != Action::Quit {
        return vec![];
    }
    // Overlays take the keys first.
    match m.overlay {
        Overlay::Help => {
            if matches!(
                a,
                Action::Back | Action::Help | Action::Confirm | Action::Quit
            ) {
                m.overlay = Overlay::None;
            }
            if a != Action::Quit {
                return vec![];
            }
        }
        Overlay::ConfirmQuit => {
            return match a {
                Action::Yes => quit_now(m),
                // Enter means "continue" everywhere else: here it stays.
                Action::No | Action::Back | Action::Confirm => {
                    m.overlay = Overlay::None;
                    vec![]
                }
                _ => vec![],
            };
        }
        Overlay::None => {}
    }
    match a {
        Action::Help => {
            m.overlay = Overlay::Help;
            return vec![];
        }
        Action::Quit => {
            if m.screen == Screen::Save(SaveState::Saving) {
                m.notice = Some("Saving; it takes a moment. Quit once it is done.".into());
                return vec![];
            }
            if m.unsaved() {
                m.overlay = Overlay::ConfirmQuit;
                return vec![];
            }
            return quit_now(m);
        }
        _ => {}
    }
    if !matches!(a, Action::OpenLink) {
        m.notice = None;
    }
    match m.screen.clone() {
        Screen::Welcome { selected } => welcome(m, selected, a),
        Screen::TwoFactor(stage) => two_factor(m, stage, a),
        Screen::AppPassword { checklist } => app_password(m, checklist, a),
        Screen::Account => account(m, a),
        Screen::Password => password(m, a),
        Screen::Verify(v) => verify(m, v, a),
        Screen::Save(s) => save(m, s, a),
        Screen::Done => match a {
            Action::Confirm => quit_now(m),
            _ => vec![],
        },
    }
}

fn quit_now(m: &mut Model) -> Vec<Effect> {
    m.overlay = Overlay::None;
    m.quitting = true;
    let mut fx = cancel_running(m);
    fx.push(Effect::Quit);
    fx
}

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
        v.selected = 0;
        return vec![Effect::CancelVerify { run: v.run }];
    }
    vec![]
}

fn move_sel(selected: usize, len: usize, a: Action) -> usize {
    match a {
        Action::Up => selected.saturating_sub(1),
        Action::Down if selected + 1 < len => selected + 1,
        _ => selected,
    }
}

fn welcome(m: &mut Model, selected: usize, a: Action) -> Vec<Effect> {
    match a {
        Action::Up | Action::Down => {
            m.screen = Screen::Welcome {
                selected: move_sel(selected, m.welcome_items(), a),
            };
            vec![]
        }
        Action::Confirm if selected == 0 => {
            m.flow.existing = None;
            m.flow.account = None;
            m.flow.settings = None;
            m.screen = Screen::TwoFactor(TwoFactorStage::Ask { selected: 0 });
            vec![]
        }
        Action::Confirm => check_existing(m, selected - 1),
        _ => vec![],
    }
}

/// Check the stored password of configured account `i`.
fn check_existing(m: &mut Model, i: usize) -> Vec<Effect> {
    let Some(summary) = m.configured().get(i).cloned() else {
        return vec![];
    };
    let entry = summary.entry();
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
    m.flow.email = crate::wizard::input::TextInput::with(account.email.as_str());
    m.flow.login = crate::wizard::input::TextInput::with(account.login.as_str());
    m.flow.account = Some(account);
    m.flow.settings = Some(entry.check_settings(&m.settings, m.servers_given.0, m.servers_given.1));
    if let Some(old) = &summary.label {
        // The new password needs a label of its own, or the user cannot
        // tell which of two same-named passwords to revoke.
        m.flow.label = crate::wizard::input::TextInput::with(&next_label(old));
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

fn two_factor(m: &mut Model, stage: TwoFactorStage, a: Action) -> Vec<Effect> {
    match stage {
        TwoFactorStage::Ask { selected } => match a {
            Action::Up | Action::Down => {
                m.screen = Screen::TwoFactor(TwoFactorStage::Ask {
                    selected: move_sel(selected, TWO_FACTOR_ANSWERS.len(), a),
                });
            }
            Action::Confirm if selected == 0 => to_app_password(m),
            Action::Confirm => m.screen = Screen::TwoFactor(TwoFactorStage::Pick { selected: 0 }),
            Action::Back => m.screen = Screen::Welcome { selected: 0 },
            _ => {}
        },
        TwoFactorStage::Pick { selected } => match a {
            Action::Up | Action::Down => {
                m.screen = Screen::TwoFactor(TwoFactorStage::Pick {
                    selected: move_sel(selected, TwoFactorPath::ALL.len(), a),
                });
            }
            Action::Confirm => {
                let path = TwoFactorPath::ALL[selected.min(TwoFactorPath::ALL.len() - 1)];
                m.screen = Screen::TwoFactor(TwoFactorStage::Steps {
                    path,
                    checklist: Checklist::new(path.steps()),
                });
            }
            Action::Back => m.screen = Screen::TwoFactor(TwoFactorStage::Ask { selected: 1 }),
            _ => {}
        },
        TwoFactorStage::Steps {
            path,
            mut checklist,
        } => match a {
            Action::Up => checklist_set(m, path, {
                checklist.up();
                checklist
            }),
            Action::Down => checklist_set(m, path, {
                checklist.down();
                checklist
            }),
            Action::Toggle => checklist_set(m, path, {
                checklist.toggle();
                checklist
            }),
            Action::OpenLink if path == TwoFactorPath::Web => {
                return vec![Effect::OpenUrl(APPLE_ACCOUNT_URL.to_string())];
            }
            Action::Confirm => to_app_password(m),
            Action::Back => {
                let selected = TwoFactorPath::ALL
                    .iter()
                    .position(|p| *p == path)
                    .unwrap_or(0);
                m.screen = Screen::TwoFactor(TwoFactorStage::Pick { selected });
            }
            _ => {}
        },
    }
    vec![]
}

fn checklist_set(m: &mut Model, path: TwoFactorPath, checklist: Checklist) {
    m.screen = Screen::TwoFactor(TwoFactorStage::Steps { path, checklist });
}

fn to_app_password(m: &mut Model) {
    m.screen = Screen::AppPassword {
        checklist: app_password_checklist(m.flow.label.value()),
    };
}

fn app_password(m: &mut Model, mut checklist: Checklist, a: Action) -> Vec<Effect> {
    match a {
        Action::Up => checklist.up(),
        Action::Down => checklist.down(),
        Action::Toggle => checklist.toggle(),
        Action::OpenLink => return vec![Effect::OpenUrl(APPLE_ACCOUNT_URL.to_string())],
        Action::Confirm => {
            m.screen = if m.rotating() {
                Screen::Password
            } else {
                Screen::Account
            };
            return vec![];
        }
        Action::Back => {
            m.screen = if m.rotating() {
                Screen::Welcome {
                    selected: welcome_index_of_existing(m),
                }
            } else {
                Screen::TwoFactor(TwoFactorStage::Ask { selected: 0 })
            };
            return vec![];
        }
        _ => return vec![],
    }
    m.screen = Screen::AppPassword { checklist };
    vec![]
}

fn welcome_index_of_existing(m: &Model) -> usize {
    m.flow
        .existing
        .as_ref()
        .and_then(|e| m.configured().iter().position(|a| a.email == e.email))
        .map(|i| i + 1)
        .unwrap_or(0)
}

/// The Account screen's validation, shown live.
pub fn account_validation(m: &Model) -> (Result<Email, String>, Option<Result<Email, String>>) {
    let email = Email::parse(m.flow.email.value()).map_err(|e| e.to_string());
    let login = match &email {
        Ok(e) if !e.is_apple() => {
            Some(Email::parse_apple(m.flow.login.value()).map_err(|e| e.to_string()))
        }
        _ => None,
    };
    (email, login)
}

fn account(m: &mut Model, a: Action) -> Vec<Effect> {
    let custom = account_validation(m).1.is_some();
    match a {
        Action::NextField | Action::PrevField => {
            m.flow.account_focus = match m.flow.account_focus {
                AccountField::Email if custom => AccountField::Login,
                _ => AccountField::Email,
            };
        }
        Action::Confirm => match account_validation(m) {
            (Ok(email), None) => {
                m.flow.account = Some(Account::apple(email));
                // A typed address is checked against the program's servers,
                // never a previously chosen account's recorded ones.
                m.flow.settings = None;
                m.screen = Screen::Password;
            }
            (Ok(email), Some(Ok(login))) => {
                m.flow.account = Some(Account::new(email, login));
                m.flow.settings = None;
                m.screen = Screen::Password;
            }
            (Ok(_), Some(Err(_))) => m.flow.account_focus = AccountField::Login,
            (Err(_), _) => m.flow.account_focus = AccountField::Email,
        },
        Action::Back => to_app_password(m),
        other => {
            let field = match m.flow.account_focus {
                AccountField::Email => &mut m.flow.email,
                AccountField::Login => &mut m.flow.login,
            };
            field.handle(&other);
            // Leaving a custom domain hides the login field.
            if account_validation(m).1.is_none() {
                m.flow.account_focus = AccountField::Email;
            }
        }
    }
    vec![]
}

fn password(m: &mut Model, a: Action) -> Vec<Effect> {
    match a {
        Action::NextField | Action::PrevField => {
            m.flow.password_focus = match m.flow.password_focus {
                PasswordField::Password => PasswordField::Label,
                PasswordField::Label => PasswordField::Password,
            };
        }
        Action::Reveal => m.flow.reveal = !m.flow.reveal,
        Action::OpenLink => return vec![Effect::OpenUrl(APPLE_ACCOUNT_URL.to_string())],
        Action::Confirm => {
            let Some(account) = m.flow.account.clone() else {
                m.screen = Screen::Account;
                return vec![];
            };
            match apppass::normalise(m.flow.password.peek()) {
                Ok(secret) => {
                    m.flow.password_error = None;
                    m.flow.candidate = Some(secret.clone());
                    m.flow.verified = None;
                    return start_verify(m, account, secret);
                }
                Err(e) => {
                    m.flow.password_error = Some(e.to_string());
                    m.flow.password_focus = PasswordField::Password;
                }
            }
        }
        Action::Back => {
            if m.rotating() {
                to_app_password(m);
            } else {
                m.screen = Screen::Account;
            }
        }
        other => {
            match m.flow.password_focus {
                PasswordField::Password => {
                    if m.flow.password.handle(&other) {
                        m.flow.password_error = None;
                    }
                }
                PasswordField::Label => {
                    m.flow.label.handle(&other);
                }
            };
        }
    }
    vec![]
}

fn start_verify(m: &mut Model, account: Account, password: crate::secret::Secret) -> Vec<Effect> {
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

fn verify(m: &mut Model, mut v: VerifyState, a: Action) -> Vec<Effect> {
    if v.running() {
        return match a {
            Action::Back => cancel_running(m),
            _ => vec![],
        };
    }
    let choices = v.choices();
    match a {
        Action::Up | Action::Down => {
            v.selected = move_sel(v.selected, choices.len(), a);
            m.screen = Screen::Verify(v);
            vec![]
        }
        Action::OpenLink if v.any_rejected() || v.missing_secret => {
            vec![Effect::OpenUrl(APPLE_ACCOUNT_URL.to_string())]
        }
        Action::Back => {
            match v.purpose {
                Purpose::NewPassword => m.screen = Screen::Password,
                Purpose::Stored => {
                    m.screen = Screen::Welcome {
                        selected: welcome_index_of_existing(m),
                    }
                }
            }
            vec![]
        }
        Action::Confirm => match choices.get(v.selected).copied() {
            Some(c) => choose(m, &v, c),
            None => vec![],
        },
        _ => vec![],
    }
}

fn choose(m: &mut Model, v: &VerifyState, c: Choice) -> Vec<Effect> {
    match c {
        Choice::Save => start_save(m),
        Choice::ReEnter => {
            m.flow.password.clear();
            m.flow.password_focus = PasswordField::Password;
            m.screen = Screen::Password;
            vec![]
        }
        Choice::NewPassword | Choice::RotateAnyway => {
            m.flow.password.clear();
            to_app_password(m);
            vec![]
        }
        Choice::Retry => match v.purpose {
            Purpose::NewPassword => match (m.flow.account.clone(), m.flow.candidate.clone()) {
                (Some(account), Some(secret)) => start_verify(m, account, secret),
                _ => vec![],
            },
            Purpose::Stored => {
                let i = welcome_index_of_existing(m);
                if i == 0 {
                    vec![]
                } else {
                    check_existing(m, i - 1)
                }
            }
        },
        Choice::ChangeAddress => {
            m.flow.existing = None;
            m.flow.settings = None;
            m.screen = Screen::Account;
            vec![]
        }
        Choice::BackToStart => {
            let selected = welcome_index_of_existing(m);
            m.flow.existing = None;
            m.flow.account = None;
            m.flow.settings = None;
            m.screen = Screen::Welcome { selected };
            vec![]
        }
    }
}

/// Store the verified password (from Verify, or retrying a failed save).
fn start_save(m: &mut Model) -> Vec<Effect> {
    let (Some(verified), Some(account)) = (m.flow.verified.clone(), m.flow.account.clone()) else {
        return vec![];
    };
    // A label that is itself an app-specific password is not kept: the
    // label goes to the config file in clear. Any label not kept is said.
    let label = match crate::account::check_label(m.flow.label.value()) {
        Ok(l) if !apppass::holds_password(&l) => Some(l),
        Ok(_) => {
            m.notice = Some(
                "The label looked like an app-specific password or had one in it, so it was \
                 not kept (labels are stored in clear)."
                    .into(),
            );
            None
        }
        Err(crate::account::LabelError::Empty) => None,
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

fn save(m: &mut Model, s: SaveState, a: Action) -> Vec<Effect> {
    match (s, a) {
        (SaveState::Failed(_), Action::Confirm) => start_save(m),
        (SaveState::Failed(_), Action::Back) => {
            m.screen = Screen::Password;
            vec![]
        }
        _ => vec![],
    }
}

/// Did this check fail in a way a new password would fix?
pub fn is_rejection(kind: Option<ErrorKind>) -> bool {
    kind == Some(ErrorKind::PasswordRejected)
}

/// The actions worth listing in the footer now, with what they do here.
pub fn hints(m: &Model) -> Vec<(Action, &'static str)> {
    use Action::*;
    match m.overlay {
        Overlay::Help => return vec![(Back, "close help")],
        Overlay::ConfirmQuit => return vec![(Yes, "quit"), (No, "stay")],
        Overlay::None => {}
    }
    let mut h: Vec<(Action, &'static str)> = match &m.screen {
        Screen::Welcome { .. } => vec![(Confirm, "choose"), (Up, "move")],
        Screen::TwoFactor(TwoFactorStage::Steps { path, .. }) => {
            let mut v = vec![
                (Toggle, "tick"),
                (Up, "move"),
                (Confirm, "continue"),
                (Back, "back"),
            ];
            if *path == TwoFactorPath::Web {
                v.push((OpenLink, "open link"));
            }
            v
        }
        Screen::TwoFactor(_) => vec![(Confirm, "choose"), (Up, "move"), (Back, "back")],
        Screen::AppPassword { .. } => vec![
            (Toggle, "tick"),
            (Up, "move"),
            (OpenLink, "open link"),
            (Confirm, "continue"),
            (Back, "back"),
        ],
        Screen::Account => {
            let mut v = vec![(Confirm, "continue"), (Back, "back")];
            if account_validation(m).1.is_some() {
                v.push((NextField, "next field"));
            }
            v
        }
        Screen::Password => vec![
            (Confirm, "verify"),
            (Reveal, "reveal"),
            (NextField, "label"),
            (ClearField, "clear"),
            (OpenLink, "open link"),
            (Back, "back"),
        ],
        Screen::Verify(v) if v.running() => vec![(Back, "cancel")],
        Screen::Verify(v) if v.any_rejected() || v.missing_secret => vec![
            (Confirm, "choose"),
            (Up, "move"),
            (OpenLink, "open link"),
            (Back, "back"),
        ],
        Screen::Verify(_) => vec![(Confirm, "choose"), (Up, "move"), (Back, "back")],
        Screen::Save(SaveState::Failed(_)) => vec![(Confirm, "retry"), (Back, "back")],
        Screen::Save(SaveState::Saving) => vec![],
        Screen::Done => vec![(Confirm, "quit")],
    };
    h.push((Help, "help"));
    h.push((Quit, "quit"));
    h
}
