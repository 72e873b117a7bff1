//! Thin entry point: parse the command line, dispatch, map to exit codes.

/// Like `eprintln!`, but a stderr that is gone (a terminal hung up, a closed
/// pipe) is not a panic: the line is dropped.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

use std::io::IsTerminal;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicI32, Ordering};
use std::time::Duration;

use clap::{CommandFactory, FromArgMatches};
use crossterm::event::EventStream;

use icloud_mail_setup::app::cli::Cli;
use icloud_mail_setup::app::commands::{self, Exit};
use icloud_mail_setup::app::tui::paste_burst;
use icloud_mail_setup::app::tui::terminal::TerminalGuard;
use icloud_mail_setup::app::tui::{BrowserOpener, Executor, Io, View, run_loop};
use icloud_mail_setup::app::wizard::{Model, Msg};
use icloud_mail_setup::domain::mail::LiveChecker;
use icloud_mail_setup::domain::storage;
use icloud_mail_setup::log;
use icloud_mail_setup::sys::log;
use icloud_mail_setup::sys::log::Component;

fn main() -> ExitCode {
    // Before anything holds a secret: no core dump may carry it.
    icloud_mail_setup::sys::hardening::disable_core_dumps();
    // An empty variable is unset: ICLOUD_MAIL_SETUP_LOG means no log, and
    // an empty _CONFIG, _IMAP, _SMTP or _CA_FILE the default (clap would
    // call it a missing value of an option nobody typed).
    for name in icloud_mail_setup::app::cli::ENV_VARS {
        if std::env::var_os(name).is_some_and(|v| v.is_empty()) {
            // SAFETY: nothing else runs yet: no thread reads the environment.
            unsafe { std::env::remove_var(name) };
        }
    }
    let command = Cli::command();
    let matches = command.clone().try_get_matches().unwrap_or_else(|e| {
        // An error's usage line names the options in use, and clap counts
        // a value from a variable (ICLOUD_MAIL_SETUP_IMAP, ...) as one:
        // say it as if they were unset, so none reads as required. The
        // variables carry no value clap checks, so the error is the same.
        for name in icloud_mail_setup::app::cli::ENV_VARS {
            // SAFETY: still one thread: nothing reads the environment.
            unsafe { std::env::remove_var(name) };
        }
        // (clap reads the variables when the command is built.)
        Cli::command().try_get_matches().err().unwrap_or(e).exit()
    });
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    if let Some(code) = open_log(&cli, &command, &matches) {
        return code;
    }
    let code = match cli.command {
        Some(command) => commands::dispatch(command, &cli.globals),
        None => wizard(&cli),
    };
    log!(Component::Cli, "exit status {code:?}");
    icloud_mail_setup::sys::log::close();
    code
}

/// Open the debug log if one was asked for, and write its first line:
/// version, platform, and the command line's shape (names, never values:
/// see `log::args`). A log named by `--log` that cannot be opened is a
/// usage error; one named only by the environment variable is a warning
/// (an exported variable must not break every `password` call), and an
/// empty variable is no log.
fn open_log(cli: &Cli, command: &clap::Command, matches: &clap::ArgMatches) -> Option<ExitCode> {
    let path = cli.globals.log.as_ref()?;
    let from_env = matches.value_source("log") == Some(clap::parser::ValueSource::EnvVariable);
    // A relative path in the variable would leave logs in whatever
    // directory git or a mail client runs the password command from.
    if from_env && path.is_relative() {
        say!(
            "icloud-mail-setup: {}: not logging to {}: give an absolute path; carrying on without a log",
            log::ENV,
            path.display()
        );
        return None;
    }
    let config = cli.globals.config_path().ok();
    match log::open(path, config.as_deref()) {
        Ok(tightened) => {
            if tightened {
                say!(
                    "icloud-mail-setup: the debug log {} could be read by others: made it 0600",
                    path.display()
                );
            }
        }
        Err(e) if from_env => {
            say!(
                "icloud-mail-setup: {}: not logging to {}: {e}; carrying on without a log",
                log::ENV,
                path.display()
            );
            return None;
        }
        Err(e) => {
            say!(
                "icloud-mail-setup: --log: cannot write the log to {}: {e}",
                path.display()
            );
            return Some(Exit::Usage.into());
        }
    }
    log!(
        Component::Cli,
        "icloud-mail-setup {} on {}/{}, arguments: {}",
        icloud_mail_setup::VERSION,
        std::env::consts::OS,
        std::env::consts::ARCH,
        log::args::shape(command, matches)
    );
    None
}

/// The signal that ended the wizard, if any (for the exit status).
static SIGNALLED: AtomicI32 = AtomicI32::new(0);

fn wizard(cli: &Cli) -> ExitCode {
    // Line by line when asked, when the terminal cannot do the TUI, or
    // when there is no terminal at all (a pipe).
    let plain = cli.plain
        || std::env::var_os("TERM").is_some_and(|t| t == "dumb")
        || !(std::io::stdin().is_terminal() && std::io::stdout().is_terminal());
    let settings = match cli.globals.check_settings() {
        Ok(s) => s,
        Err(e) => {
            say!("icloud-mail-setup: {e}");
            return Exit::Usage.into();
        }
    };
    let config_path = match cli.globals.config_path() {
        Ok(p) => p,
        Err(e) => {
            say!("icloud-mail-setup: {e}");
            return Exit::Failure.into();
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            say!("icloud-mail-setup: could not start: {e}");
            return Exit::Failure.into();
        }
    };
    let hostname = gethostname::gethostname().to_string_lossy().into_owned();
    let mut model = Model::new(&hostname, settings.clone(), cli.account.clone());
    model.servers_given = (cli.globals.imap.is_some(), cli.globals.smtp.is_some());
    model.config_path = config_path.display().to_string();
    model.invocation = icloud_mail_setup::sys::text::Invocation::current(Some(&config_path));
    let io = Io {
        checker: Arc::new(LiveChecker::new(settings)),
        // A person is at the screen: the macOS Keychain may ask them.
        store: Arc::new(cli.globals.keyrings(true)),
        config_path,
        opener: Arc::new(BrowserOpener),
    };
    let mut input_ended = false;
    log!(
        Component::Wizard,
        "starting ({}), config {}",
        if plain { "line by line" } else { "full screen" },
        io.config_path.display()
    );
    let result = runtime.block_on(async {
        let (mut exec, results) = Executor::new(io);
        spawn_signal_watch(exec.sender(), plain);
        if plain {
            let out = &mut std::io::stdout();
            let r = icloud_mail_setup::app::plain::run(&mut model, &mut exec, results, out).await;
            icloud_mail_setup::sys::echo::restore();
            input_ended = r?;
            return Ok(());
        }
        let mut guard = TerminalGuard::enter()?;
        let mut view = View::new(cli.globals.no_color());
        // Without bracketed paste (never on Windows, see paste_burst), a
        // paste is recognised by its keys arriving at once.
        type Events = std::pin::Pin<
            Box<dyn futures::Stream<Item = std::io::Result<crossterm::event::Event>>>,
        >;
        let events: Events = if cfg!(windows) || !guard.bracketed_paste {
            Box::pin(paste_burst::detect_pastes(
                EventStream::new(),
                paste_burst::BURST_GAP,
            ))
        } else {
            Box::pin(EventStream::new())
        };
        let frames = run_loop(
            &mut guard.terminal,
            &mut model,
            &mut view,
            events,
            &mut exec,
            results,
        )
        .await;
        drop(guard);
        frames.map(|_| ())
    });
    // However the front end ended (quit, end of input, a terminal error):
    // a save in progress is let finish (bounded), and a password copied to
    // the clipboard does not stay there.
    let _held = storage::hold_saves(storage::SAVE_GRACE);
    icloud_mail_setup::app::executor::clear_clipboard();
    // Blocking keyring calls that are still running must not keep us here.
    runtime.shutdown_timeout(Duration::from_millis(300));
    if let Err(e) = result {
        say!("icloud-mail-setup: {e:#}");
        return Exit::Failure.into();
    }
    let sig = SIGNALLED.load(Ordering::SeqCst);
    if sig != 0 {
        match (&model.flow.saved, &model.flow.account) {
            (Some(saved), Some(account)) => say!(
                "icloud-mail-setup: stopped by a signal; {}'s password was saved in the {} first.",
                account.email,
                saved.store_name
            ),
            _ => {
                say!("icloud-mail-setup: stopped by a signal; nothing was stored in this run.")
            }
        }
        return ExitCode::from((128 + sig) as u8);
    }
    if input_ended && model.flow.saved.is_none() {
        say!(
            "icloud-mail-setup: the input ended before the setup was finished; nothing was stored."
        );
        return Exit::Failure.into();
    }
    if let (Some(saved), Some(account)) = (&model.flow.saved, &model.flow.account) {
        use std::io::Write as _;
        let email = account.email.as_str();
        // Plain mode has just shown the Done screen's text.
        if !plain {
            let _ = writeln!(
                std::io::stdout(),
                "{email} is set up; its password is in {}.\nPassword command for mail \
                 clients: {}",
                saved.store_name,
                model.invocation.password_command(email)
            );
        }
        // What to run next in each client set up (now or before).
        for client in model
            .flow
            .exported
            .iter()
            .filter_map(|n| n.parse::<icloud_mail_setup::domain::export::Client>().ok())
        {
            let _ = writeln!(std::io::stdout(), "{client}: {}", client.usage_hint(email));
        }
        if let Some(w) = model.invocation.warning() {
            let _ = writeln!(std::io::stderr(), "{w}");
        }
    }
    if model.unsaved() {
        return Exit::Failure.into();
    }
    ExitCode::SUCCESS
}

/// SIGINT (from outside: in raw mode Ctrl-C is a key), SIGTERM, SIGHUP
/// and SIGQUIT (on Windows Ctrl-Break and closing the console window, see
/// `stop_signals`) end the wizard through the normal path, so the terminal is
/// restored by the guard; a save in progress is let finish first. If it
/// does not within [`storage::SAVE_GRACE`] (or a second signal comes), the
/// terminal is restored here and the process leaves: the staged save is
/// settled by the next run.
///
/// In plain mode the terminal sends Ctrl-Z as SIGTSTP (full screen reads
/// it as a key): a copied password is cleared first, then the process
/// stops; it carries on when continued.
fn spawn_signal_watch(tx: tokio::sync::mpsc::UnboundedSender<Msg>, plain: bool) {
    use icloud_mail_setup::sys::stop_signals::StopSignals;
    tokio::spawn(async move {
        let listening = if plain {
            StopSignals::with_suspend()
        } else {
            StopSignals::new()
        };
        let Ok(mut signals) = listening else {
            return;
        };
        let sig = next_stop(&mut signals).await;
        SIGNALLED.store(sig, Ordering::SeqCst);
        let _ = tx.send(Msg::Terminate);
        tokio::select! {
            _ = tokio::time::sleep(storage::SAVE_GRACE) => {}
            _ = next_stop(&mut signals) => {}
        }
        icloud_mail_setup::app::tui::terminal::restore();
        icloud_mail_setup::sys::echo::restore();
        icloud_mail_setup::app::executor::clear_clipboard();
        say!(
            "icloud-mail-setup: stopped by a signal while saving; the next run finishes or \
             rolls back that save."
        );
        std::process::exit(128 + sig);
    });
}

/// The next signal that ends the wizard; a Ctrl-Z meanwhile clears a
/// copied password, says so, and stops the process until it is continued.
async fn next_stop(signals: &mut icloud_mail_setup::sys::stop_signals::StopSignals) -> i32 {
    #[cfg(unix)]
    loop {
        let sig = signals.recv().await;
        if sig != icloud_mail_setup::sys::stop_signals::SUSPEND {
            return sig;
        }
        if let Some(done) = icloud_mail_setup::app::executor::clear_clipboard_before_stop() {
            say!(
                "icloud-mail-setup: the copied password was cleared before stopping (Ctrl-Z): \
                 a stopped process cannot clear it later ({}). Copy it again when continued.",
                done.join("; ")
            );
        }
        icloud_mail_setup::sys::stop_signals::stop_now();
    }
    #[cfg(not(unix))]
    signals.recv().await
}
