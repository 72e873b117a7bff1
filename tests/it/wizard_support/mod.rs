//! Shared pieces of the wizard tests: a fake checker, reports, models.
#![allow(dead_code)]

use std::time::Duration;

use futures::future::BoxFuture;
use icloud_mail_setup::app::wizard::{AccountSummary, Model, Msg, update};
use icloud_mail_setup::domain::account::{Account, Email};
use icloud_mail_setup::domain::mail::{
    Accepted, CheckReport, CheckSettings, Checker, Endpoint, ErrorKind, Failure, Protocol,
};
use icloud_mail_setup::sys::secret::Secret;

pub const PASSWORD: &str = "wxyz-abcd-efgh-ijkl";

pub fn account() -> Account {
    Account::apple(Email::parse("emily@icloud.com").unwrap())
}

pub fn endpoint(p: Protocol) -> Endpoint {
    let s = CheckSettings::default();
    match p {
        Protocol::Imap => s.imap,
        Protocol::Smtp => s.smtp,
    }
}

pub fn accepted(p: Protocol, user: &str) -> CheckReport {
    CheckReport {
        protocol: p,
        endpoint: endpoint(p),
        outcome: Ok(Accepted {
            username: user.into(),
            rejected: vec![],
        }),
        elapsed: Duration::from_millis(420),
        attempts: 1,
    }
}

pub fn failed(p: Protocol, kind: ErrorKind) -> CheckReport {
    CheckReport {
        protocol: p,
        endpoint: endpoint(p),
        outcome: Err(Failure::new(kind, "test")),
        elapsed: Duration::from_millis(1300),
        attempts: 2,
    }
}

/// A model with the keyring ready and `accounts` configured.
pub fn model(accounts: Vec<AccountSummary>) -> Model {
    let mut m = Model::new("laptop", CheckSettings::default(), None);
    update(&mut m, Msg::KeyringChecked(Ok("Secret Service".into())));
    update(&mut m, Msg::AccountsLoaded(Ok(accounts)));
    m.config_path = "/home/emily/.config/icloud-mail-setup/config.toml".into();
    m
}

pub fn summary(email: &str) -> AccountSummary {
    AccountSummary {
        email: email.into(),
        login: email.into(),
        label: Some("icloud-mail-setup on oldbox".into()),
        verified_at: Some("2026-10-01T08:00:00Z".into()),
        ..AccountSummary::default()
    }
}

/// A checker that answers from a fixed script after a delay.
pub struct FakeChecker {
    pub imap: Result<Accepted, Failure>,
    pub smtp: Result<Accepted, Failure>,
    pub delay: Duration,
}

impl FakeChecker {
    pub fn accepting() -> Self {
        FakeChecker {
            imap: Ok(Accepted {
                username: "emily".into(),
                rejected: vec![],
            }),
            smtp: Ok(Accepted {
                username: "emily@icloud.com".into(),
                rejected: vec![],
            }),
            delay: Duration::from_millis(30),
        }
    }
}

impl Checker for FakeChecker {
    fn check(&self, p: Protocol, _a: Account, _pw: Secret) -> BoxFuture<'static, CheckReport> {
        let outcome = match p {
            Protocol::Imap => self.imap.clone(),
            Protocol::Smtp => self.smtp.clone(),
        };
        let delay = self.delay;
        Box::pin(async move {
            tokio::time::sleep(delay).await;
            CheckReport {
                protocol: p,
                endpoint: endpoint(p),
                outcome,
                elapsed: delay,
                attempts: 1,
            }
        })
    }
}

/// Both checks of `run` report: IMAP first, then SMTP.
pub fn finish(
    m: &mut Model,
    run: u64,
    imap: CheckReport,
    smtp: CheckReport,
) -> Vec<icloud_mail_setup::app::wizard::Effect> {
    update(m, Msg::CheckDone { run, report: imap });
    update(m, Msg::CheckDone { run, report: smtp })
}

/// Both checks of `run` accept the password.
pub fn both_accept(m: &mut Model, run: u64) -> Vec<icloud_mail_setup::app::wizard::Effect> {
    finish(
        m,
        run,
        accepted(Protocol::Imap, "emily"),
        accepted(Protocol::Smtp, "emily@icloud.com"),
    )
}

/// The TUI's side of the wizard in a test: the model and the view, driven
/// by key actions and pastes the way the event loop drives them.
#[derive(Clone)]
pub struct Ui {
    pub m: Model,
    pub v: icloud_mail_setup::app::tui::View,
}

impl Ui {
    pub fn new(m: Model) -> Ui {
        let mut v = icloud_mail_setup::app::tui::View::new(false);
        v.sync(&m);
        Ui { m, v }
    }

    /// A key action, through the view, into `update`.
    pub fn act(
        &mut self,
        a: icloud_mail_setup::app::tui::Action,
    ) -> Vec<icloud_mail_setup::app::wizard::Effect> {
        let msg = self.v.act(&self.m, a);
        self.send_opt(msg)
    }

    pub fn typed(&mut self, s: &str) {
        for c in s.chars() {
            self.act(icloud_mail_setup::app::tui::Action::Char(c));
        }
    }

    pub fn paste(&mut self, s: &str) -> Vec<icloud_mail_setup::app::wizard::Effect> {
        let msg = self.v.paste(
            &self.m,
            icloud_mail_setup::sys::secret::RawSecret::new(s.to_string()),
        );
        self.send_opt(msg)
    }

    /// A message from the world.
    pub fn send(&mut self, msg: Msg) -> Vec<icloud_mail_setup::app::wizard::Effect> {
        self.send_opt(Some(msg))
    }

    fn send_opt(&mut self, msg: Option<Msg>) -> Vec<icloud_mail_setup::app::wizard::Effect> {
        let fx = msg.map(|msg| update(&mut self.m, msg)).unwrap_or_default();
        self.v.sync(&self.m);
        fx
    }

    pub fn run(&self) -> u64 {
        match &self.m.screen {
            icloud_mail_setup::app::wizard::Screen::Verify(v) => v.run,
            s => panic!("not on Verify: {s:?}"),
        }
    }
}
