//! Random message sequences for `wizard::update`, the driver that feeds
//! them (turning "the current run" into a run id at the time), and the
//! oracle the save property checks against.
//!
//! A sequence is a list of [`Op`]s: single keys, pastes, resizes, ticks,
//! I/O results (for the current run, a stale one or one not started) and
//! signals, mixed with short [`chunks`] a person would do (walk to the
//! Account screen, paste an address, paste a password and press Enter,
//! both checks accept) so that sequences reach Verify, Save and Done
//! often, not once in a million.

use std::path::PathBuf;
use std::time::Duration;

use icloud_mail_setup::app::tui::{Action, View};
use icloud_mail_setup::app::ui;
use icloud_mail_setup::app::wizard::{
    AccountSummary, Effect, Model, Msg, SaveFailed, Screen, update,
};
use icloud_mail_setup::domain::account::Account;
use icloud_mail_setup::domain::keyring::StoreError;
use icloud_mail_setup::domain::mail::{
    Accepted, CheckReport, CheckSettings, ErrorKind, Failure, Protocol,
};
use icloud_mail_setup::domain::storage::{Recovered, SaveRequest, Saved};
use icloud_mail_setup::sys::secret::RawSecret;
use icloud_mail_setup::sys::secret::Secret;
use proptest::collection::vec;
use proptest::prelude::*;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

/// The app-specific passwords sequences paste, type and get back from the
/// "keyring". Their letter runs appear nowhere in the program's own text,
/// so finding one on a rendered screen is a leak.
pub const PASSWORDS: [&str; 3] = [
    "qzxj-wvkq-pbfh-ydgm",
    "mxqz-jvkw-hpzq-fxbj",
    "vkzq-xjwm-qbzf-hpxd",
];

/// Addresses pasted into the Account screen (the custom domain one needs
/// a login too).
pub const EMAILS: [&str; 5] = [
    "emily@icloud.com",
    "Work@Me.com",
    "me@example.org",
    "not an address",
    "x@\u{202e}moc.duolci",
];

/// Logins pasted for a custom domain.
pub const LOGINS: [&str; 3] = ["emily@icloud.com", "emily@example.org", ""];

/// Usernames a check reports as the form that worked.
pub const USERNAMES: [&str; 4] = ["emily", "emily@icloud.com", "work", "\u{1b}[2Jx"];

/// Sentences for the notice line (`Msg::Note`).
pub const NOTES: [&str; 3] = [
    "An earlier run was interrupted; it was rolled back.",
    "",
    "\u{1b}]52;c;aGk=\u{7}note with an OSC 52 inside",
];

/// Text that is odd to paste or type: bidi and zero-width characters,
/// combining accents, wide characters, emoji, control characters and
/// terminal escape sequences.
pub const ODD: [&str; 10] = [
    "\u{202e}evil\u{202c}",
    "a\u{200b}b\u{feff}c\u{2060}",
    "e\u{301}\u{301}\u{301}\u{301}",
    "\u{4f60}\u{597d}\u{ff01}\u{3000}\u{30db}",
    "\u{1f600}\u{1f468}\u{200d}\u{1f469}\u{200d}\u{1f467}",
    "\u{0}\u{7}\u{8}\u{7f}\r\n\t",
    "\u{1b}[31mred\u{1b}[0m\u{1b}]0;title\u{7}",
    "\u{1b}[200~inner paste\u{1b}[201~",
    "\u{1b}",
    "\u{1b}]52;c;",
];

/// How a password is pasted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    Exact,
    Upper,
    NoHyphens,
    Spaces,
    /// Non-breaking hyphens, as some web pages and PDFs copy them.
    NonBreakingHyphens,
    Fullwidth,
    /// Surrounding whitespace and a newline.
    Padded,
    /// Inside a bracketed-paste escape, as a terminal that nests them sends.
    InEscapes,
    /// With text around it, as when a sentence is copied.
    InSentence,
    /// With a full stop after it.
    TrailingDot,
}

pub const FORMS: [Form; 10] = [
    Form::Exact,
    Form::Upper,
    Form::NoHyphens,
    Form::Spaces,
    Form::NonBreakingHyphens,
    Form::Fullwidth,
    Form::Padded,
    Form::InEscapes,
    Form::InSentence,
    Form::TrailingDot,
];

/// `PASSWORDS[i]` written in `form`.
pub fn password_in(i: usize, form: Form) -> String {
    let p = PASSWORDS[i % PASSWORDS.len()];
    match form {
        Form::Exact => p.to_string(),
        Form::Upper => p.to_uppercase(),
        Form::NoHyphens => p.replace('-', ""),
        Form::Spaces => p.replace('-', " "),
        Form::NonBreakingHyphens => p.replace('-', "\u{2011}"),
        Form::Fullwidth => p
            .chars()
            .map(|c| match c {
                'a'..='z' => char::from_u32(c as u32 - 'a' as u32 + 0xff41).unwrap(),
                c => c,
            })
            .collect(),
        Form::Padded => format!("  {p} \n"),
        Form::InEscapes => format!("\u{1b}[200~{p}\u{1b}[201~"),
        Form::InSentence => format!("Your app-specific password is {p}"),
        Form::TrailingDot => format!("{p}."),
    }
}

/// What a paste carries.
#[derive(Debug, Clone)]
pub enum Paste {
    Password(usize, Form),
    Email(usize),
    Login(usize),
    Odd(usize),
    Any(String),
    /// `unit` repeated `n` times (up to a MiB and more).
    Huge(char, usize),
}

impl Paste {
    pub fn text(&self) -> String {
        match self {
            Paste::Password(i, f) => password_in(*i, *f),
            Paste::Email(i) => EMAILS[i % EMAILS.len()].to_string(),
            Paste::Login(i) => LOGINS[i % LOGINS.len()].to_string(),
            Paste::Odd(i) => ODD[i % ODD.len()].to_string(),
            Paste::Any(s) => s.clone(),
            Paste::Huge(c, n) => c.to_string().repeat(*n),
        }
    }
}

/// Which run an I/O result claims to belong to, resolved when it is fed.
#[derive(Debug, Clone, Copy)]
pub enum RunRef {
    /// The run on screen (or the last one started).
    Current,
    /// That many runs before the current one (a late, stale result).
    Stale(u8),
    /// A run not started yet.
    Next,
}

#[derive(Debug, Clone, Copy)]
pub enum SecretResult {
    Password(usize),
    NotAPassword,
    Missing,
    Error(usize),
}

#[derive(Debug, Clone, Copy)]
pub enum Outcome {
    Accepted(usize),
    Failed(ErrorKind),
}

/// One thing that happens to the wizard.
#[derive(Debug, Clone)]
pub enum Op {
    Act(Action),
    /// Each character as a key.
    TypeText(String),
    /// `PASSWORDS[i]` typed key by key, when the password field has the
    /// keyboard (a person types a password there, nowhere else).
    TypePassword(usize, Form),
    Paste(Paste),
    Tick,
    Resize(u16, u16),
    KeyringChecked(Option<usize>),
    /// Indexes into [`summaries`]; `None`: the config did not parse.
    AccountsLoaded(Option<Vec<usize>>),
    SecretLoaded(RunRef, SecretResult),
    CheckDone(RunRef, Protocol, Outcome),
    Saved(Option<usize>),
    UrlOpened(bool),
    Note(usize),
    Terminate,
}

pub const ERROR_KINDS: [ErrorKind; 16] = [
    ErrorKind::PasswordRejected,
    ErrorKind::Dns,
    ErrorKind::ConnectionRefused,
    ErrorKind::Timeout,
    ErrorKind::UntrustedCertificate,
    ErrorKind::HostnameMismatch,
    ErrorKind::Tls,
    ErrorKind::ConnectionClosed,
    ErrorKind::UnexpectedReply,
    ErrorKind::StartTlsNotOffered,
    ErrorKind::Network,
    ErrorKind::Cancelled,
    ErrorKind::CaFile,
    ErrorKind::ServerUnavailable,
    ErrorKind::Oversized,
    ErrorKind::StartTlsInjection,
];

/// Configured accounts `AccountsLoaded` may bring, hostile ones included.
pub fn summaries() -> Vec<AccountSummary> {
    let s = |email: &str, login: &str, label: Option<&str>| AccountSummary {
        email: email.into(),
        login: login.into(),
        label: label.map(Into::into),
        verified_at: Some("2026-10-01T08:00:00Z".into()),
        ..AccountSummary::default()
    };
    vec![
        s(
            "emily@icloud.com",
            "emily@icloud.com",
            Some("icloud-mail-setup on oldbox"),
        ),
        AccountSummary {
            imap_username: Some("work".into()),
            imap_server: Some("127.0.0.1:1993".into()),
            smtp_server: Some("127.0.0.1:1587".into()),
            ..s("work@me.com", "work@me.com", Some("work (2)"))
        },
        s("me@example.org", "emily@icloud.com", None),
        s("not an address", "", Some("broken")),
        AccountSummary {
            verified_at: Some("\u{1b}[2Jyesterday".into()),
            imap_server: Some("::::".into()),
            smtp_server: Some("[::1]:0".into()),
            ..s(
                "odd@icloud.com",
                "odd@icloud.com",
                Some("\u{1b}]0;pwned\u{7}label\u{202e}reversed"),
            )
        },
        s("long@icloud.com", "long@icloud.com", Some(&"L".repeat(500))),
    ]
}

fn store_errors() -> Vec<StoreError> {
    vec![
        StoreError::Unavailable {
            reason: "no Secret Service on the session bus".into(),
            hint: "Start gnome-keyring".into(),
        },
        StoreError::Locked {
            hint: "Unlock it".into(),
        },
        StoreError::Mismatch,
        StoreError::Other("\u{1b}[2Jodd \u{202e}error".into()),
    ]
}

fn action() -> impl Strategy<Value = Action> {
    use Action::*;
    prop_oneof![
        8 => Just(Confirm),
        3 => Just(Back),
        3 => Just(Down),
        2 => Just(Up),
        1 => Just(Toggle),
        2 => Just(NextField),
        1 => Just(PrevField),
        1 => Just(OpenLink),
        1 => Just(Help),
        1 => Just(Quit),
        2 => Just(Reveal),
        1 => Just(Yes),
        1 => Just(No),
        2 => any::<char>().prop_map(Char),
        2 => proptest::sample::select(&['a', 'q', '@', '.', '-', ' ', 'j', 'k', 'y', 'n'][..])
            .prop_map(Char),
        1 => Just(Backspace),
        1 => Just(Delete),
        1 => Just(Left),
        1 => Just(Right),
        1 => Just(Home),
        1 => Just(End),
        1 => Just(ClearField),
    ]
}

fn form() -> impl Strategy<Value = Form> {
    proptest::sample::select(&FORMS[..])
}

fn paste() -> impl Strategy<Value = Paste> {
    prop_oneof![
        4 => (0..PASSWORDS.len(), form()).prop_map(|(i, f)| Paste::Password(i, f)),
        2 => (0..EMAILS.len()).prop_map(Paste::Email),
        1 => (0..LOGINS.len()).prop_map(Paste::Login),
        2 => (0..ODD.len()).prop_map(Paste::Odd),
        2 => any::<String>().prop_map(Paste::Any),
        1 => (
            proptest::sample::select(&['x', '\u{1b}', '\u{202e}', '\u{4f60}', '\n'][..]),
            200usize..(1 << 20) + 1
        )
            .prop_map(|(c, n)| Paste::Huge(c, n)),
    ]
}

fn run_ref() -> impl Strategy<Value = RunRef> {
    prop_oneof![
        6 => Just(RunRef::Current),
        2 => (1u8..4).prop_map(RunRef::Stale),
        1 => Just(RunRef::Next),
    ]
}

fn outcome() -> impl Strategy<Value = Outcome> {
    prop_oneof![
        3 => (0..USERNAMES.len()).prop_map(Outcome::Accepted),
        2 => proptest::sample::select(&ERROR_KINDS[..]).prop_map(Outcome::Failed),
    ]
}

fn protocol() -> impl Strategy<Value = Protocol> {
    prop_oneof![Just(Protocol::Imap), Just(Protocol::Smtp)]
}

fn size() -> impl Strategy<Value = (u16, u16)> {
    prop_oneof![
        3 => (0u16..=200, 0u16..=80),
        1 => Just((80, 24)),
        1 => Just((40, 12)),
        1 => Just((39, 12)),
        1 => Just((40, 11)),
        1 => Just((0, 0)),
        1 => Just((u16::MAX, u16::MAX)),
        1 => Just((1, u16::MAX)),
    ]
}

/// Any single op.
pub fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        12 => action().prop_map(Op::Act),
        2 => "[a-z@. ]{0,12}".prop_map(Op::TypeText),
        1 => any::<String>().prop_map(Op::TypeText),
        2 => (0..PASSWORDS.len(), form()).prop_map(|(i, f)| Op::TypePassword(i, f)),
        5 => paste().prop_map(Op::Paste),
        2 => Just(Op::Tick),
        2 => size().prop_map(|(w, h)| Op::Resize(w, h)),
        1 => proptest::option::of(0..4usize).prop_map(Op::KeyringChecked),
        2 => proptest::option::weighted(0.9, vec(0..summaries().len(), 0..4))
            .prop_map(Op::AccountsLoaded),
        2 => (run_ref(), prop_oneof![
            4 => (0..PASSWORDS.len()).prop_map(SecretResult::Password),
            1 => Just(SecretResult::NotAPassword),
            1 => Just(SecretResult::Missing),
            1 => (0..4usize).prop_map(SecretResult::Error),
        ])
            .prop_map(|(r, s)| Op::SecretLoaded(r, s)),
        5 => (run_ref(), protocol(), outcome()).prop_map(|(r, p, o)| Op::CheckDone(r, p, o)),
        2 => proptest::option::of(0..4usize).prop_map(Op::Saved),
        1 => any::<bool>().prop_map(Op::UrlOpened),
        1 => (0..NOTES.len()).prop_map(Op::Note),
        1 => Just(Op::Terminate),
    ]
}

/// What a person does in a few keys, so sequences get far into the
/// wizard: each is a list of ops that does its thing from the screen it
/// is meant for (and something else, harmlessly, from any other).
pub fn chunk() -> impl Strategy<Value = Vec<Op>> {
    use Action::*;
    prop_oneof![
        // Welcome → two-factor (on) → app password → Account.
        3 => Just(vec![Op::Act(Confirm), Op::Act(Confirm), Op::Act(Confirm)]),
        // An address, replacing what was in the field.
        3 => (0..EMAILS.len()).prop_map(|i| vec![
            Op::Act(ClearField),
            Op::Paste(Paste::Email(i)),
            Op::Act(Confirm),
        ]),
        1 => (0..LOGINS.len()).prop_map(|i| vec![
            Op::Act(ClearField),
            Op::Paste(Paste::Login(i)),
            Op::Act(Confirm),
        ]),
        // A password, pasted or typed, then Enter.
        4 => (0..PASSWORDS.len(), form(), any::<bool>()).prop_map(|(i, f, typed)| vec![
            if typed { Op::TypePassword(i, f) } else { Op::Paste(Paste::Password(i, f)) },
            Op::Act(Confirm),
        ]),
        // Something pasted into the label field, then back to the password.
        2 => paste().prop_map(|p| vec![
            Op::Act(NextField),
            Op::Paste(p),
            Op::Act(NextField),
        ]),
        // Both checks of the current run report.
        4 => (outcome(), outcome(), any::<bool>()).prop_map(|(a, b, smtp_first)| {
            let (first, second) = if smtp_first {
                (Protocol::Smtp, Protocol::Imap)
            } else {
                (Protocol::Imap, Protocol::Smtp)
            };
            vec![
                Op::CheckDone(RunRef::Current, first, a),
                Op::CheckDone(RunRef::Current, second, b),
            ]
        }),
        4 => (0..USERNAMES.len(), 0..USERNAMES.len()).prop_map(|(a, b)| vec![
            Op::CheckDone(RunRef::Current, Protocol::Imap, Outcome::Accepted(a)),
            Op::CheckDone(RunRef::Current, Protocol::Smtp, Outcome::Accepted(b)),
        ]),
        // The configured accounts arrive; the stored secret is read.
        1 => vec(0..summaries().len(), 1..4).prop_map(|a| vec![
            Op::KeyringChecked(None),
            Op::AccountsLoaded(Some(a)),
        ]),
        1 => (0..PASSWORDS.len()).prop_map(|i| vec![
            Op::SecretLoaded(RunRef::Current, SecretResult::Password(i)),
        ]),
    ]
}

/// Random single ops and chunks, flattened.
pub fn wander(max_steps: usize) -> impl Strategy<Value = Vec<Op>> {
    vec(
        prop_oneof![3 => op().prop_map(|o| vec![o]), 2 => chunk()],
        0..max_steps,
    )
    .prop_map(|steps| steps.into_iter().flatten().collect())
}

/// A few random ops, often none: what happens between a person's steps.
fn noise() -> impl Strategy<Value = Vec<Op>> {
    prop_oneof![3 => Just(vec![]), 2 => vec(op(), 1..3)]
}

/// How a journey reaches the Password screen: set up a new account, or
/// check a configured one and go on to replace its password.
fn to_password_screen() -> impl Strategy<Value = Vec<Vec<Op>>> {
    use Action::*;
    prop_oneof![
        (0..EMAILS.len(), 0..LOGINS.len()).prop_map(|(e, l)| vec![
            vec![Op::Act(Confirm), Op::Act(Confirm), Op::Act(Confirm)],
            vec![Op::Paste(Paste::Email(e)), Op::Act(Confirm)],
            vec![Op::Paste(Paste::Login(l)), Op::Act(Confirm)],
        ]),
        (
            vec(0..summaries().len(), 1..4),
            0usize..3,
            prop_oneof![
                3 => (0..PASSWORDS.len()).prop_map(SecretResult::Password),
                1 => Just(SecretResult::Missing),
                1 => (0..4usize).prop_map(SecretResult::Error),
            ],
            (outcome(), outcome()),
            0usize..3,
        )
            .prop_map(|(accounts, down, secret, (imap, smtp), choice)| vec![
                vec![Op::KeyringChecked(None), Op::AccountsLoaded(Some(accounts))],
                vec![Op::Act(Down); down + 1],
                vec![Op::Act(Confirm)],
                vec![Op::SecretLoaded(RunRef::Current, secret)],
                vec![
                    Op::CheckDone(RunRef::Current, Protocol::Imap, imap),
                    Op::CheckDone(RunRef::Current, Protocol::Smtp, smtp),
                ],
                [vec![Op::Act(Down); choice], vec![Op::Act(Confirm)]].concat(),
                vec![Op::Act(Confirm)],
            ]),
    ]
}

/// A person's way through the wizard to a save, step by step: to the
/// Password screen, perhaps the label, a password (perhaps revealed), both
/// checks, Save, the save's result.
pub fn journey() -> impl Strategy<Value = Vec<Vec<Op>>> {
    (
        to_password_screen(),
        (0..PASSWORDS.len(), form(), any::<bool>()),
        prop_oneof![
            3 => (0..USERNAMES.len(), 0..USERNAMES.len()).prop_map(|(a, b)| {
                (Outcome::Accepted(a), Outcome::Accepted(b))
            }),
            1 => (outcome(), outcome()),
        ],
        proptest::option::of(0..4usize),
        proptest::option::weighted(
            0.4,
            prop_oneof![
                paste().prop_map(Op::Paste),
                "[a-z ()]{0,12}".prop_map(Op::TypeText),
            ],
        ),
        any::<bool>(),
    )
        .prop_map(
            |(mut steps, (i, f, typed), (imap, smtp), saved, label, reveal)| {
                if let Some(label) = label {
                    // The label edited (typed, or something pasted) on the
                    // Password screen.
                    steps.push(vec![
                        Op::Act(Action::NextField),
                        label,
                        Op::Act(Action::PrevField),
                    ]);
                }
                let mut password = vec![if typed {
                    Op::TypePassword(i, f)
                } else {
                    Op::Paste(Paste::Password(i, f))
                }];
                if reveal {
                    password.push(Op::Act(Action::Reveal));
                }
                password.push(Op::Act(Action::Confirm));
                steps.push(password);
                steps.push(vec![
                    Op::CheckDone(RunRef::Current, Protocol::Imap, imap),
                    Op::CheckDone(RunRef::Current, Protocol::Smtp, smtp),
                ]);
                steps.push(vec![Op::Act(Action::Confirm)]);
                steps.push(vec![Op::Saved(saved)]);
                steps
            },
        )
}

/// A whole sequence: a random wander, or one or two journeys with noise
/// between their steps and a wander after.
pub fn ops(max_steps: usize) -> impl Strategy<Value = Vec<Op>> {
    let journeys = (
        vec(journey(), 1..3),
        vec(noise(), 16),
        wander(max_steps / 3),
    )
        .prop_map(|(journeys, noise, tail)| {
            let mut out = Vec::new();
            let mut gaps = noise.into_iter().cycle();
            for step in journeys.into_iter().flatten() {
                out.extend(gaps.next().unwrap_or_default());
                out.extend(step);
            }
            out.extend(tail);
            out
        });
    prop_oneof![1 => wander(max_steps), 2 => journeys]
}

/// How the wizard was started.
#[derive(Debug, Clone)]
pub struct Start {
    pub hostname: String,
    pub start_account: Option<String>,
    pub no_color: bool,
}

pub fn start() -> impl Strategy<Value = Start> {
    (
        prop_oneof![
            4 => Just("laptop".to_string()),
            1 => Just(String::new()),
            1 => Just("h".repeat(300)),
            1 => Just("box\u{1b}[31m\u{202e}".to_string()),
            1 => any::<String>(),
        ],
        proptest::option::weighted(
            0.2,
            prop_oneof![
                (0..EMAILS.len()).prop_map(|i| EMAILS[i].to_string()),
                Just("WORK@me.com ".to_string()),
                any::<String>(),
            ],
        ),
        any::<bool>(),
    )
        .prop_map(|(hostname, start_account, no_color)| Start {
            hostname,
            start_account,
            no_color,
        })
}

/// One `Effect::Verify` the wizard asked for, and what the test fed back
/// for it.
#[derive(Debug, Clone)]
pub struct RunRecord {
    pub run: u64,
    pub account: Account,
    pub password: Secret,
    /// `CancelVerify` for this run was asked for: later reports do not count.
    pub cancelled: bool,
    /// The first report fed for each protocol after the Verify and before
    /// any cancel (later ones cannot change a finished line).
    pub imap: Option<CheckReport>,
    pub smtp: Option<CheckReport>,
}

/// Feeds ops to the TUI's view (keys, pastes, ticks, sizes) and from it,
/// as intents, to `update`, with the world's results straight to
/// `update`; keeps the oracle.
pub struct Driver {
    pub m: Model,
    pub v: View,
    /// The last size the terminal reported.
    pub size: (u16, u16),
    /// Every Verify effect so far, oldest first.
    pub runs: Vec<RunRecord>,
    /// Every Save effect, with the oracle's verdict at the moment it was
    /// asked for (`Err` says what is wrong).
    pub saves: Vec<(SaveRequest, Result<(), String>)>,
    pub quit: bool,
}

impl Driver {
    pub fn new(s: &Start) -> Driver {
        let mut m = Model::new(
            &s.hostname,
            CheckSettings::default(),
            s.start_account.clone(),
        );
        m.config_path = "/home/emily/.config/icloud-mail-setup/config.toml".into();
        let mut v = View::new(s.no_color);
        v.sync(&m);
        Driver {
            m,
            v,
            size: (80, 24),
            runs: Vec::new(),
            saves: Vec::new(),
            quit: false,
        }
    }

    /// The run on screen, else the last one started.
    fn current_run(&self) -> u64 {
        match &self.m.screen {
            Screen::Verify(v) => v.run,
            _ => self.m.next_run.saturating_sub(1),
        }
    }

    fn resolve(&self, r: RunRef) -> u64 {
        match r {
            RunRef::Current => self.current_run(),
            RunRef::Stale(k) => self.current_run().saturating_sub(k as u64),
            RunRef::Next => self.m.next_run,
        }
    }

    /// The intents one op of the person stands for, through the view.
    fn intents(&mut self, op: &Op) -> Vec<Msg> {
        let keys = |v: &mut View, m: &Model, text: &str| -> Vec<Msg> {
            text.chars()
                .filter_map(|c| v.act(m, Action::Char(c)))
                .collect()
        };
        match op {
            Op::Act(a) => self.v.act(&self.m, *a).into_iter().collect(),
            Op::TypeText(s) => keys(&mut self.v, &self.m, s),
            Op::TypePassword(i, f) => {
                let focused = self.m.screen == Screen::Password
                    && !self.v.second_field
                    && !self.v.help
                    && !self.m.confirming_quit
                    && !self.v.too_small;
                if !focused {
                    return vec![];
                }
                keys(&mut self.v, &self.m, &password_in(*i, *f))
            }
            Op::Paste(p) => self
                .v
                .paste(&self.m, RawSecret::new(p.text()))
                .into_iter()
                .collect(),
            Op::Tick => {
                self.v.tick(&self.m);
                vec![]
            }
            Op::Resize(w, h) => {
                self.size = (*w, *h);
                self.v.resize(*w, *h);
                vec![]
            }
            world => self.messages(world),
        }
    }

    /// The messages of the world one op stands for, now.
    pub fn messages(&self, op: &Op) -> Vec<Msg> {
        match op {
            Op::Act(_)
            | Op::TypeText(_)
            | Op::TypePassword(..)
            | Op::Paste(_)
            | Op::Tick
            | Op::Resize(..) => vec![],
            Op::KeyringChecked(None) => vec![Msg::KeyringChecked(Ok("Secret Service".into()))],
            Op::KeyringChecked(Some(i)) => {
                let errs = store_errors();
                vec![Msg::KeyringChecked(Err(errs[i % errs.len()].clone()))]
            }
            Op::AccountsLoaded(None) => vec![Msg::AccountsLoaded(Err(
                "config.toml:3:1: the config file does not parse".into(),
            ))],
            Op::AccountsLoaded(Some(idx)) => {
                let all = summaries();
                vec![Msg::AccountsLoaded(Ok(idx
                    .iter()
                    .map(|i| all[i % all.len()].clone())
                    .collect()))]
            }
            Op::SecretLoaded(r, s) => {
                let result = match s {
                    SecretResult::Password(i) => Ok(Some(Secret::new(
                        PASSWORDS[i % PASSWORDS.len()].to_string(),
                    ))),
                    SecretResult::NotAPassword => Ok(Some(Secret::new("hunter2".into()))),
                    SecretResult::Missing => Ok(None),
                    SecretResult::Error(i) => {
                        let errs = store_errors();
                        Err(errs[i % errs.len()].clone())
                    }
                };
                vec![Msg::SecretLoaded {
                    run: self.resolve(*r),
                    result,
                }]
            }
            Op::CheckDone(r, p, o) => vec![Msg::CheckDone {
                run: self.resolve(*r),
                report: report(*p, *o),
            }],
            Op::Saved(None) => vec![Msg::Saved(Err(SaveFailed::unchanged(
                "the keyring is locked. Unlock it",
            )))],
            Op::Saved(Some(i)) => vec![Msg::Saved(Ok(Saved {
                store_name: "Secret Service".into(),
                config_path: PathBuf::from("/home/emily/.config/icloud-mail-setup/config.toml"),
                replaced: i % 2 == 1,
                previous_label: (i % 2 == 1).then(|| "icloud-mail-setup on oldbox".into()),
                recovered: match i {
                    2 => Some(Recovered::Finished {
                        email: "emily@icloud.com".into(),
                    }),
                    3 => Some(Recovered::RolledBack {
                        email: "emily@icloud.com".into(),
                    }),
                    _ => None,
                },
            }))],
            Op::UrlOpened(ok) => vec![Msg::UrlOpened {
                url: "https://account.apple.com".into(),
                result: if *ok {
                    Ok(())
                } else {
                    Err("no browser".into())
                },
            }],
            Op::Note(i) => vec![Msg::Note(NOTES[i % NOTES.len()].into())],
            Op::Terminate => vec![Msg::Terminate],
        }
    }

    /// Feed one op; returns every effect it caused.
    pub fn step(&mut self, op: &Op) -> Vec<Effect> {
        let mut all = Vec::new();
        for msg in self.intents(op) {
            if let Msg::CheckDone { run, report } = &msg {
                self.fed(*run, report);
            }
            let effects = update(&mut self.m, msg);
            self.v.sync(&self.m);
            self.record(&effects);
            all.extend(effects);
        }
        all
    }

    /// A report was fed: it counts for the oracle if its run's Verify was
    /// asked for, not cancelled, and nothing came for that protocol yet.
    fn fed(&mut self, run: u64, report: &CheckReport) {
        if let Some(r) = self.runs.iter_mut().find(|r| r.run == run)
            && !r.cancelled
        {
            let slot = match report.protocol {
                Protocol::Imap => &mut r.imap,
                Protocol::Smtp => &mut r.smtp,
            };
            if slot.is_none() {
                *slot = Some(report.clone());
            }
        }
    }

    fn record(&mut self, effects: &[Effect]) {
        // Saves are judged against the runs asked for before them.
        for e in effects {
            if let Effect::Save(req) = e {
                let verdict = self.judge_save(req);
                self.saves.push(((**req).clone(), verdict));
            }
        }
        for e in effects {
            match e {
                Effect::Verify {
                    run,
                    account,
                    password,
                    ..
                } => self.runs.push(RunRecord {
                    run: *run,
                    account: account.clone(),
                    password: password.clone(),
                    cancelled: false,
                    imap: None,
                    smtp: None,
                }),
                Effect::CancelVerify { run } => {
                    for r in self.runs.iter_mut().filter(|r| r.run == *run) {
                        r.cancelled = true;
                    }
                }
                Effect::Quit => self.quit = true,
                _ => {}
            }
        }
    }

    /// The save rule: the secret saved is the password of the latest
    /// Verify, and both checks of that run reported it accepted (with the
    /// usernames recorded); the label is not the password.
    pub fn judge_save(&self, req: &SaveRequest) -> Result<(), String> {
        let Some(last) = self.runs.last() else {
            return Err("a Save with no Verify before it".into());
        };
        if req.secret != last.password {
            return Err(format!(
                "the secret saved is not the password verified by the latest run ({})",
                last.run
            ));
        }
        if req.account != last.account {
            return Err(format!(
                "saved for {:?}, verified for {:?}",
                req.account, last.account
            ));
        }
        let username = |r: &Option<CheckReport>| {
            r.as_ref()
                .and_then(|r| r.outcome.as_ref().ok())
                .map(|a| a.username.clone())
        };
        match (username(&last.imap), username(&last.smtp)) {
            (Some(imap), Some(smtp)) => {
                if req.imap_username != imap || req.smtp_username != smtp {
                    return Err(format!(
                        "usernames {:?}/{:?} recorded, {imap:?}/{smtp:?} accepted",
                        req.imap_username, req.smtp_username
                    ));
                }
            }
            _ => {
                return Err(format!(
                    "run {} was not accepted by both checks (IMAP {:?}, SMTP {:?})",
                    last.run,
                    last.imap.as_ref().map(|r| &r.outcome),
                    last.smtp.as_ref().map(|r| &r.outcome),
                ));
            }
        }
        if let Some(label) = &req.label
            && let Some(p) = holds_password(label)
        {
            return Err(format!("the label to be written to the config holds {p}"));
        }
        Ok(())
    }
}

/// A check report for `p`.
pub fn report(p: Protocol, o: Outcome) -> CheckReport {
    let s = CheckSettings::default();
    CheckReport {
        protocol: p,
        endpoint: match p {
            Protocol::Imap => s.imap,
            Protocol::Smtp => s.smtp,
        },
        outcome: match o {
            Outcome::Accepted(i) => Ok(Accepted {
                username: USERNAMES[i % USERNAMES.len()].into(),
                rejected: vec![],
            }),
            Outcome::Failed(kind) => Err(Failure::new(kind, "test")),
        },
        elapsed: Duration::from_millis(420),
        attempts: 1,
    }
}

/// Render the model at `w`×`h` and return the screen's text, row by row.
pub fn render(m: &Model, v: &View, w: u16, h: u16) -> String {
    let mut t = Terminal::new(TestBackend::new(w, h)).expect("test terminal");
    draw(&mut t, m, v)
}

/// The text of the frame drawn (the whole frame, not what the diff sent
/// to the backend: a reused backend keeps stale cells behind wide
/// characters, which a real terminal overwrites).
fn draw(t: &mut Terminal<TestBackend>, m: &Model, v: &View) -> String {
    let frame = t.draw(|f| ui::draw(f, m, v)).expect("draw");
    let buf = frame.buffer;
    let mut out = String::with_capacity(buf.content.len() + buf.area.height as usize);
    for y in 0..buf.area.height {
        for x in 0..buf.area.width {
            out.push_str(buf[(x, y)].symbol());
        }
        out.push('\n');
    }
    out
}

/// Draws a model at fixed sizes, reusing one terminal per size, and
/// skips models it has just drawn (most steps change nothing: a stale
/// result, a key with no meaning on that screen).
#[derive(Default)]
pub struct Screens {
    terminals: std::collections::HashMap<(u16, u16), Terminal<TestBackend>>,
    last: Option<(Model, String)>,
}

impl Screens {
    /// The screens at `sizes`, or `None` if `m` is what was drawn last.
    pub fn draw(
        &mut self,
        m: &Model,
        v: &View,
        sizes: &[(u16, u16)],
    ) -> Option<Vec<((u16, u16), String)>> {
        let key = (m.clone(), format!("{v:?}"));
        if self.last.as_ref() == Some(&key) {
            return None;
        }
        self.last = Some(key);
        let out = sizes
            .iter()
            .map(|&(w, h)| {
                let t = self.terminals.entry((w, h)).or_insert_with(|| {
                    Terminal::new(TestBackend::new(w, h)).expect("test terminal")
                });
                ((w, h), draw(t, m, v))
            })
            .collect();
        Some(out)
    }
}

/// Which of [`PASSWORDS`] `text` shows, in any form: as written, without
/// hyphens, or as its sixteen letters with anything between them (other
/// separators, a line break where the screen wrapped, any case, fullwidth
/// forms).
pub fn holds_password(text: &str) -> Option<&'static str> {
    let lower = text.to_lowercase();
    let letters: String = lower
        .chars()
        .map(|c| match c {
            '\u{ff41}'..='\u{ff5a}' => char::from_u32(c as u32 - 0xff41 + 'a' as u32).unwrap_or(c),
            c => c,
        })
        .filter(char::is_ascii_lowercase)
        .collect();
    PASSWORDS.into_iter().find(|p| {
        let bare = p.replace('-', "");
        lower.contains(p) || lower.contains(&bare) || letters.contains(&bare)
    })
}
