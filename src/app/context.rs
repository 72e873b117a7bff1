//! The global options resolved once, and what every command works with.
//!
//! [`Context::new`] turns the options (config path, server overrides, CA
//! file, timeout, keyring choice) into checked settings, or a usage error,
//! before any command runs. A command then takes the context and its own
//! arguments: `run(&Context, Args) -> Result<Outcome, Error>`. The context
//! also holds what a command reaches the world through (the keyring, the
//! checker, the notifier, the client paths, stdin, stdout and stderr), so
//! a test gives each of them in place of the real one.
//!
//! Here too are the steps every command shares: open the config, pick the
//! account (the one account picker), parse an address.

use std::cell::{RefCell, RefMut};
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::rc::Rc;

use crate::app::cli::GlobalArgs;
use crate::app::error::{Error, Outcome};
use crate::app::exit::Exit;
use crate::app::output::shown;
use crate::domain::account::Email;
use crate::domain::check::{MakeChecker, live_checker};
use crate::domain::config::{self, AccountEntry, Config, ConfigError};
use crate::domain::export::Paths;
use crate::domain::keyring::SecretStore;
use crate::domain::mail::CheckSettings;
use crate::sys::notify::{Notice, Notifier};

/// Shows a notice on the desktop, or says why not.
pub type Notify<'a> = dyn Fn(&Notice) -> Result<(), String> + 'a;

/// What `add one` says wherever no account is configured.
pub const ADD_ONE: &str = "Add one with `icloud-mail-setup` (the wizard) or \
    `icloud-mail-setup store EMAIL --password-stdin`.";

/// Where a command reads what it asks for.
pub enum Input<'a> {
    /// This process's stdin (a terminal or not).
    Stdin,
    /// Given lines (tests).
    Given(&'a mut dyn BufRead),
    /// Nothing to read: no terminal to ask on.
    Nothing,
}

/// The resolved options and the world a command works in.
pub struct Context<'a> {
    globals: GlobalArgs,
    config: Result<PathBuf, ConfigError>,
    settings: CheckSettings,
    store: &'a dyn SecretStore,
    make_checker: &'a MakeChecker<'a>,
    notify: &'a Notify<'a>,
    paths: Option<Paths>,
    out: RefCell<Box<dyn Write + 'a>>,
    err: RefCell<Box<dyn Write + 'a>>,
    input: RefCell<Input<'a>>,
}

impl<'a> Context<'a> {
    /// The options resolved, with `store` for the keyring and the real
    /// world otherwise. Bad overrides are a usage error, whatever the
    /// command.
    pub fn new(globals: &GlobalArgs, store: &'a dyn SecretStore) -> Result<Context<'a>, Error> {
        let settings = globals.check_settings().map_err(Error::usage)?;
        Ok(Context {
            globals: globals.clone(),
            config: globals.config_path(),
            settings,
            store,
            make_checker: &live_checker,
            notify: &platform_notify,
            paths: Paths::from_env(),
            out: RefCell::new(Box::new(std::io::stdout())),
            err: RefCell::new(Box::new(std::io::stderr())),
            input: RefCell::new(Input::Stdin),
        })
    }

    /// Checks made by `make` instead of live ones.
    pub fn with_checker(self, make: &'a MakeChecker<'a>) -> Context<'a> {
        Context {
            make_checker: make,
            ..self
        }
    }

    /// Notices shown by `notify` instead of the desktop's notifier.
    pub fn with_notifier(self, notify: &'a Notify<'a>) -> Context<'a> {
        Context { notify, ..self }
    }

    /// The clients' files under `paths` (`None`: no HOME).
    pub fn with_paths(self, paths: Option<Paths>) -> Context<'a> {
        Context { paths, ..self }
    }

    /// Stdin replaced by `input`.
    pub fn with_input(self, input: &'a mut dyn BufRead) -> Context<'a> {
        self.input.replace(Input::Given(input));
        self
    }

    /// No stdin and no terminal to ask on.
    pub fn without_input(self) -> Context<'a> {
        self.input.replace(Input::Nothing);
        self
    }

    /// Run `command` with stdout and stderr captured, its error printed
    /// as `main` prints it: the outcome and both texts (for tests).
    pub fn capture(
        self,
        command: impl FnOnce(&Context<'a>) -> Result<Outcome, Error>,
    ) -> (Outcome, String, String) {
        let (out, err) = (Captured::default(), Captured::default());
        self.out.replace(Box::new(out.clone()));
        self.err.replace(Box::new(err.clone()));
        let outcome = self.finish(command(&self));
        drop(self);
        (outcome, out.text(), err.text())
    }

    /// The outcome of a command; its error, if it stopped with one,
    /// printed on stderr (the one place errors are printed).
    pub fn finish(&self, result: Result<Outcome, Error>) -> Outcome {
        match result {
            Ok(o) => o,
            Err(e) => {
                e.print(&mut **self.err());
                e.exit().into()
            }
        }
    }

    /// The options as given (for the check service, which reads which
    /// servers were given).
    pub fn globals(&self) -> &GlobalArgs {
        &self.globals
    }

    /// The check settings the options give (servers, CA file, timeout).
    pub fn settings(&self) -> &CheckSettings {
        &self.settings
    }

    /// Whether the IMAP and the SMTP server were given (then an account's
    /// recorded ones do not apply).
    pub fn servers_given(&self) -> (bool, bool) {
        (self.globals.imap.is_some(), self.globals.smtp.is_some())
    }

    /// `--config` (or its variable), when one was given.
    pub fn config_given(&self) -> Option<&Path> {
        self.globals.config.as_deref()
    }

    /// Our command as a person types it in a fix we print: the program's
    /// name, and `--config FILE` when this run was given one, so the fix
    /// acts on the same config.
    pub fn typed_command(&self) -> String {
        crate::domain::invocation::Invocation::typed(self.config_given())
    }

    /// The config file: `--config`, else the platform default.
    pub fn config_path(&self) -> Result<PathBuf, Error> {
        self.config.clone().map_err(Error::from)
    }

    pub fn store(&self) -> &'a dyn SecretStore {
        self.store
    }

    pub fn make_checker(&self) -> &'a MakeChecker<'a> {
        self.make_checker
    }

    pub fn notify(&self) -> &'a Notify<'a> {
        self.notify
    }

    /// The clients' files; `None` without a HOME.
    pub fn paths(&self) -> Option<&Paths> {
        self.paths.as_ref()
    }

    /// Stdout. Borrowed for as long as the value lives: take it in one
    /// statement, or hold it where nothing else writes.
    pub fn out(&self) -> RefMut<'_, Box<dyn Write + 'a>> {
        self.out.borrow_mut()
    }

    /// Stderr (see [`Context::out`]).
    pub fn err(&self) -> RefMut<'_, Box<dyn Write + 'a>> {
        self.err.borrow_mut()
    }

    /// Where to read what is asked for.
    pub fn input(&self) -> RefMut<'_, Input<'a>> {
        self.input.borrow_mut()
    }

    /// The config's path and contents.
    pub fn open_config(&self) -> Result<(PathBuf, Config), Error> {
        let path = self.config_path()?;
        let config = self.load_config(&path)?;
        Ok((path, config))
    }

    /// Load the config at `path` (a parse error names path, line, column);
    /// a mode others could read is tightened, with a warning.
    pub fn load_config(&self, path: &Path) -> Result<Config, Error> {
        let (config, warning) = load(path)?;
        if let Some(warning) = warning {
            let _ = writeln!(self.err(), "warning: {}", shown(&warning));
        }
        Ok(config)
    }

    /// The one account picker: the account `email` names (a usage error
    /// when it is not an address, exit 6 when it is not configured), else
    /// the only one configured. `command` is named in the hint when
    /// several are configured.
    pub fn pick_account<'c>(
        &self,
        config: &'c Config,
        email: Option<&str>,
        path: &Path,
        command: &str,
    ) -> Result<&'c AccountEntry, Error> {
        let Some(raw) = email else {
            return only_account(config, path, command);
        };
        let email = email_arg(raw)?;
        config
            .find(email.as_str())
            .ok_or_else(|| no_such_account(&email, path))
    }
}

/// [`Context::load_config`] for code that says its own errors on `err`
/// (the check service's settling steps): the error said there, its exit
/// code returned.
pub(crate) fn load_config(path: &Path, err: &mut dyn Write) -> Result<Config, Exit> {
    let (config, warning) = load(path).map_err(|e| {
        e.print(err);
        e.exit()
    })?;
    if let Some(warning) = warning {
        let _ = writeln!(err, "warning: {}", shown(&warning));
    }
    Ok(config)
}

/// The config at `path`, and the warning to give if its mode had to be
/// tightened (read first, and so checked: a regular file of this user,
/// before its mode is touched).
fn load(path: &Path) -> Result<(Config, Option<String>), Error> {
    let config = config::load(path).map_err(|e| {
        let parse = matches!(e, ConfigError::Parse { .. });
        let e = Error::from(e);
        if parse {
            e.hint("Fix or move that file; it was left exactly as it is.")
        } else {
            e
        }
    })?;
    Ok((config, config::tighten_permissions(path)))
}

/// The one account configured, or why not.
fn only_account<'c>(
    config: &'c Config,
    path: &Path,
    command: &str,
) -> Result<&'c AccountEntry, Error> {
    match config.accounts.as_slice() {
        [only] => Ok(only),
        [] => Err(Error::new(
            Exit::NoSuchAccount,
            format!(
                "no accounts are configured in {}. {ADD_ONE}",
                path.display()
            ),
        )),
        several => {
            let names: Vec<&str> = several.iter().map(|a| a.email.as_str()).collect();
            Err(Error::usage(format!(
                "{} accounts are configured; say which: `icloud-mail-setup {command} EMAIL` \
                 with one of {}",
                names.len(),
                names.join(", ")
            )))
        }
    }
}

/// An address given on the command line, or a usage error saying why not.
pub fn email_arg(raw: &str) -> Result<Email, Error> {
    Email::parse(raw).map_err(|e| Error::usage(format!("`{raw}`: {e}")))
}

/// No account `email` in the config at `path`: exit 6.
pub fn no_such_account(email: &Email, path: &Path) -> Error {
    Error::new(
        Exit::NoSuchAccount,
        format!("no account {email} in {}. {ADD_ONE}", path.display()),
    )
}

/// The desktop's notifier (notify-send, osascript), found when needed.
fn platform_notify(notice: &Notice) -> Result<(), String> {
    match Notifier::find(cfg!(target_os = "macos"), crate::sys::process::find) {
        Some(notifier) => notifier.send(notice),
        None => Err("no notifier (notify-send, osascript) was found on PATH".into()),
    }
}

/// A stream kept for [`Context::capture`].
#[derive(Clone, Default)]
struct Captured(Rc<RefCell<Vec<u8>>>);

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.borrow()).into_owned()
    }
}

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::keyring::MemoryStore;

    fn config(emails: &[&str]) -> Config {
        let mut c = Config::default();
        for e in emails {
            c.upsert(AccountEntry {
                email: e.to_string(),
                login: e.to_string(),
                ..Default::default()
            });
        }
        c
    }

    fn picked(emails: &[&str], email: Option<&str>) -> Result<String, (Exit, String)> {
        let store = MemoryStore::new();
        let ctx = Context::new(&GlobalArgs::default(), &store).unwrap();
        let path = Path::new("/cfg/\u{1b}]0;x\u{7}config.toml");
        ctx.pick_account(&config(emails), email, path, "export")
            .map(|e| e.email.clone())
            .map_err(|e| {
                let mut text = Vec::new();
                e.print(&mut text);
                (e.exit(), String::from_utf8(text).unwrap())
            })
    }

    #[test]
    fn the_one_account_picker() {
        let two = ["a@icloud.com", "b@icloud.com"];
        assert_eq!(picked(&two, Some("B@iCloud.com")).unwrap(), "b@icloud.com");
        assert_eq!(picked(&two[..1], None).unwrap(), "a@icloud.com");
        // Several and none named: a usage error naming the command.
        let (exit, text) = picked(&two, None).unwrap_err();
        assert_eq!(exit, Exit::Usage);
        assert!(
            text.contains(
                "`icloud-mail-setup export EMAIL` with one of a@icloud.com, b@icloud.com"
            ),
            "{text}"
        );
        // Not configured, or none at all: exit 6, the path escaped.
        for (emails, email) in [(&two[..], Some("c@icloud.com")), (&[][..], None)] {
            let (exit, text) = picked(emails, email).unwrap_err();
            assert_eq!(exit, Exit::NoSuchAccount, "{text}");
            assert!(text.contains(r"/cfg/\x1b]0;x\x07config.toml"), "{text}");
            assert!(text.contains(ADD_ONE), "{text}");
        }
        // Not an address: a usage error.
        let (exit, text) = picked(&two, Some("not an address")).unwrap_err();
        assert_eq!(exit, Exit::Usage, "{text}");
        assert!(text.starts_with("error: `not an address`: "), "{text}");
    }
}
