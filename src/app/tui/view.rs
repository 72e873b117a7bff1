//! The TUI's own state (what is selected, which field has focus, what is
//! being typed, reveal, help, spinner, window size, colour) and the
//! translation of its actions into the wizard's intents. The wizard never
//! sees a key.

use crate::app::wizard::{Choice, Field, Model, Msg, Prompt, Screen, prompt};
use crate::domain::account::Email;
use crate::domain::apppass;
use crate::sys::secret::RawSecret;

use super::input::{SecretField, TextInput};
use super::keys::Action;

/// Where it was before it had a file of its own.
pub use super::hints::hints;

/// Below this the screen only asks for a larger window.
pub const MIN_WIDTH: u16 = 40;
pub const MIN_HEIGHT: u16 = 12;

pub const SPINNER_FRAMES: usize = 10;

#[derive(Debug, Clone, Default)]
pub struct View {
    /// The selected answer (menus) or step (checklists).
    pub selected: usize,
    /// Where the person scrolled the body (its first row shown); `None`
    /// follows the selection.
    pub scroll: Option<usize>,
    /// The second field has focus (the login address, or the label).
    pub second_field: bool,
    pub email: TextInput,
    pub login: TextInput,
    pub password: SecretField,
    pub label: TextInput,
    pub reveal: bool,
    pub help: bool,
    /// How far the help is scrolled, in lines.
    pub help_scroll: u16,
    /// The step's link is shown as a QR code.
    pub qr: bool,
    /// The window's size (from the last resize), to bound scrolling.
    pub size: (u16, u16),
    pub spinner: usize,
    pub too_small: bool,
    pub no_color: bool,
    /// A message of the TUI's own (a refused paste), shown under the field.
    pub field_error: Option<String>,
    /// A one-line note of the TUI's own, shown when the model has none.
    pub flash: Option<String>,
    /// Which step was last shown, to start each new one afresh.
    shown: String,
}

/// What identifies a step for the view: a new one resets the selection.
fn step_key(m: &Model, p: &Prompt) -> String {
    let screen = match &m.screen {
        Screen::Verify(v) => format!("verify {}", v.run),
        Screen::Export(e) => format!("export {} {}", e.client.name(), e.preview.is_some()),
        s => format!("{:?}", std::mem::discriminant(s)),
    };
    let options: Vec<&Choice> = p.options.iter().map(|(c, _)| c).collect();
    format!("{screen} {} {:?} {}", p.title, options, p.checklist.len())
}

impl View {
    pub fn new(no_color: bool) -> View {
        View {
            no_color,
            ..View::default()
        }
    }

    /// Does a text field have the keyboard (letters are typed, not commands)?
    pub fn text_entry(&self, m: &Model) -> bool {
        !self.help
            && !self.qr
            && !m.confirming_quit
            && matches!(m.screen, Screen::Account | Screen::Password)
    }

    /// After every update: a new step starts with its default answer
    /// selected, its fields filled from what the wizard knows.
    pub fn sync(&mut self, m: &Model) {
        let p = prompt(m);
        let key = step_key(m, &p);
        if key != self.shown {
            self.shown = key;
            self.selected = if p.options.is_empty() {
                p.checklist.iter().position(|(_, done)| !done).unwrap_or(0)
            } else {
                p.default
            };
            self.scroll = None;
            self.second_field = false;
            self.field_error = None;
            // Overlays belong to the step they were opened on.
            self.qr = false;
            self.help = false;
            self.help_scroll = 0;
            match m.screen {
                Screen::Account => {
                    self.email = TextInput::with(&m.flow.email);
                    self.login = TextInput::with(&m.flow.login);
                }
                Screen::Password => {
                    self.password.clear();
                    self.reveal = false;
                    self.label = TextInput::with(&m.flow.label);
                }
                _ => {}
            }
        }
        if m.screen == Screen::Password && m.flow.password_error.is_some() {
            self.second_field = false;
        }
    }

    /// The login field is there: the typed address is a custom domain.
    pub fn custom_domain(&self) -> bool {
        Email::parse(self.email.value()).is_ok_and(|e| !e.is_apple())
    }

    /// Turn an action into the wizard's intent (or handle it here).
    pub fn act(&mut self, m: &Model, a: Action) -> Option<Msg> {
        // Ctrl-C quits from anywhere; `q` closes an open overlay first.
        let interrupt = a == Action::Interrupt;
        let a = if interrupt { Action::Quit } else { a };
        if a != Action::Quit {
            self.flash = None;
        }
        if self.too_small && a != Action::Quit {
            return None;
        }
        if self.qr {
            // Any key closes it (q too); Ctrl-C still quits.
            self.qr = false;
            return interrupt.then_some(Msg::Quit);
        }
        if self.help {
            self.help_key(m, a);
            return interrupt.then_some(Msg::Quit);
        }
        if m.confirming_quit {
            return match a {
                Action::Yes => Some(Msg::ConfirmQuit(true)),
                // Enter means "continue" everywhere else: here it stays.
                Action::No | Action::Back | Action::Confirm => Some(Msg::ConfirmQuit(false)),
                _ => None,
            };
        }
        let p = prompt(m);
        match a {
            Action::Help => {
                self.help = true;
                self.help_scroll = 0;
                return None;
            }
            Action::Quit => return Some(Msg::Quit),
            Action::Back => return Some(Msg::Back),
            Action::OpenLink => return Some(Msg::OpenLink),
            Action::ShowQr => {
                self.qr = p.link.is_some();
                if self.qr {
                    // Nothing of the password peeks out beside the code.
                    self.reveal = false;
                }
                return None;
            }
            Action::CopyLink => return p.link.map(|_| Msg::CopyLink),
            _ => {}
        }
        match p.field {
            Some(Field::Account) => self.account(a),
            Some(Field::Password) => self.password(m, a),
            None => self.menu(m, &p, a),
        }
    }

    /// Keys while the help is open: scroll, or close.
    fn help_key(&mut self, m: &Model, a: Action) {
        let page = self.size.1.saturating_sub(4).max(1);
        let max = if self.size == (0, 0) {
            u16::MAX
        } else {
            crate::app::ui::help::max_scroll(m, self, self.size.0, self.size.1)
        };
        let s = &mut self.help_scroll;
        // A resize may have left it past the end.
        *s = (*s).min(max);
        match a {
            Action::Back | Action::Help | Action::Confirm | Action::Quit => self.help = false,
            Action::Up | Action::PrevField => *s = s.saturating_sub(1),
            Action::Down | Action::NextField => *s = s.saturating_add(1).min(max),
            Action::PageUp => *s = s.saturating_sub(page),
            Action::PageDown | Action::Toggle => *s = s.saturating_add(page).min(max),
            _ => {}
        }
    }

    fn menu(&mut self, m: &Model, p: &Prompt, a: Action) -> Option<Msg> {
        let len = if !p.options.is_empty() {
            p.options.len()
        } else {
            p.checklist.len()
        };
        // (offset now, last offset, page) while the body overflows.
        let scroll = crate::app::ui::body_scroll(m, self).filter(|(_, end, _)| *end > 0);
        match a {
            // ↑ at the first answer, ↓ at the last, and PgUp/PgDn scroll
            // the body: every line can be reached.
            Action::Up if self.selected == 0 => {
                if let Some((now, _, _)) = scroll {
                    self.scroll = Some(now.saturating_sub(1));
                }
            }
            Action::Down if self.selected + 1 >= len => {
                if let Some((now, end, _)) = scroll {
                    self.scroll = Some((now + 1).min(end));
                }
            }
            Action::PageUp | Action::PageDown => self.page(m, a),
            Action::Up => {
                self.selected -= 1;
                self.scroll = None;
            }
            Action::Down => {
                self.selected += 1;
                self.scroll = None;
            }
            Action::Toggle if p.options.is_empty() && !p.checklist.is_empty() => {
                let i = self.selected;
                // Ticking moves on to the next step.
                if !p.checklist.get(i).is_some_and(|(_, done)| *done) && i + 1 < len {
                    self.selected += 1;
                    self.scroll = None;
                }
                return Some(Msg::ToggleStep(i));
            }
            Action::Confirm => {
                return match p.options.get(self.selected) {
                    Some((c, _)) => Some(Msg::Choose(c.clone())),
                    None => p.next.clone().map(Msg::Choose),
                };
            }
            _ => {}
        }
        None
    }

    /// PgUp/PgDn: the part of the step that overflows, a page at a time.
    fn page(&mut self, m: &Model, a: Action) {
        if let Some((now, end, page)) = crate::app::ui::body_scroll(m, self) {
            self.scroll = Some(if a == Action::PageUp {
                now.saturating_sub(page)
            } else {
                (now + page).min(end)
            });
        }
    }

    fn account(&mut self, a: Action) -> Option<Msg> {
        match a {
            Action::NextField | Action::PrevField => {
                self.second_field = !self.second_field && self.custom_domain();
            }
            Action::Confirm => {
                let email = Email::parse(self.email.value());
                match email {
                    Err(_) => self.second_field = false,
                    Ok(e) if !e.is_apple() && Email::parse_apple(self.login.value()).is_err() => {
                        self.second_field = true
                    }
                    Ok(_) => {
                        return Some(Msg::SubmitAccount {
                            email: self.email.value().to_string(),
                            login: if self.custom_domain() {
                                self.login.value().to_string()
                            } else {
                                String::new()
                            },
                        });
                    }
                }
            }
            other => {
                let field = if self.second_field {
                    &mut self.login
                } else {
                    &mut self.email
                };
                field.handle(&other);
                // Leaving a custom domain hides the login field.
                if !self.custom_domain() {
                    self.second_field = false;
                }
            }
        }
        None
    }

    fn password(&mut self, m: &Model, a: Action) -> Option<Msg> {
        match a {
            Action::PageUp | Action::PageDown => self.page(m, a),
            Action::NextField | Action::PrevField => self.second_field = !self.second_field,
            Action::Reveal => self.reveal = !self.reveal,
            Action::Confirm => {
                self.field_error = None;
                return Some(Msg::SubmitPassword {
                    // An exact-size copy into a zeroizing buffer.
                    password: RawSecret::new(self.password.peek().to_string()),
                    label: self.label.value().to_string(),
                });
            }
            other if self.second_field => {
                self.label.handle(&other);
            }
            other => {
                if self.password.handle(&other) {
                    self.field_error = None;
                }
            }
        }
        None
    }

    /// A bracketed paste. On the password step it fills the focused field;
    /// before it, a paste that is an app-specific password is kept by the
    /// wizard ahead of time.
    pub fn paste(&mut self, m: &Model, raw: RawSecret) -> Option<Msg> {
        if m.confirming_quit || self.too_small {
            return None;
        }
        // A paste is meant for the step: it closes an overlay and lands
        // as it would have without it (the help says "on any screen").
        self.help = false;
        self.qr = false;
        let clean = match apppass::sanitise_paste(raw.as_str()) {
            Ok(c) => c,
            Err(e) => {
                self.field_error = Some(e.to_string());
                self.flash = Some(e.to_string());
                return None;
            }
        };
        let looks_like_password = apppass::normalise(&clean).is_ok();
        match m.screen {
            Screen::Password if !self.second_field => {
                // A paste is a whole password: it replaces what was there.
                self.password.clear();
                self.password.push_str(clean.trim());
                self.field_error = None;
                None
            }
            Screen::Password if looks_like_password => {
                // That was the password: never let it become a label (the
                // label is stored in the config file in clear).
                self.password.clear();
                self.password.push_str(clean.trim());
                self.second_field = false;
                self.flash = Some(
                    "That looked like the password, so it went into the password field.".into(),
                );
                None
            }
            Screen::Password if apppass::holds_password(&clean) => {
                // A password inside other text (a copied sentence): not
                // into the label either (labels are stored in clear).
                self.flash = Some(
                    "That paste has an app-specific password in it, so it was not put in the \
                     label (labels are stored in clear). Paste the password alone."
                        .into(),
                );
                None
            }
            Screen::Password => {
                self.label.insert_str(clean.trim());
                None
            }
            Screen::Account if !looks_like_password && apppass::holds_password(&clean) => {
                // Addresses are shown and stored in clear.
                self.flash = Some(
                    "That paste has an app-specific password in it, so it was not put in the \
                     address field. Paste the password alone."
                        .into(),
                );
                None
            }
            Screen::Account if !looks_like_password => {
                let field = if self.second_field {
                    &mut self.login
                } else {
                    &mut self.email
                };
                field.insert_str(clean.trim());
                None
            }
            _ if m.takes_paste() => Some(Msg::PastePassword(raw)),
            _ => None,
        }
    }

    pub fn resize(&mut self, width: u16, height: u16) {
        self.size = (width, height);
        self.too_small = width < MIN_WIDTH || height < MIN_HEIGHT;
    }

    /// Keep the help's scroll within its end at the current size (after a
    /// resize, before the next key), so PgUp moves from what is shown.
    pub fn clamp_help(&mut self, m: &Model) {
        if self.help && self.size != (0, 0) {
            let max = crate::app::ui::help::max_scroll(m, self, self.size.0, self.size.1);
            self.help_scroll = self.help_scroll.min(max);
        }
    }

    pub fn tick(&mut self, m: &Model) {
        if m.busy() {
            self.spinner = (self.spinner + 1) % SPINNER_FRAMES;
        }
    }
}
