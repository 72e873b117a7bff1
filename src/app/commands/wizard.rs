//! No command: the interactive wizard, full screen or line by line, and
//! what it says when it ends (the account set up, a signal, the input
//! gone).

use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicI32, Ordering};
use std::time::Duration;

use crossterm::event::EventStream;

use crate::app::context::Context;
use crate::app::error::{Error, Outcome};
use crate::app::exit::Exit;
use crate::app::tui::paste_burst;
use crate::app::tui::terminal::TerminalGuard;
use crate::app::tui::{BrowserOpener, Executor, Io, View, run_loop};
use crate::app::wizard::{Model, Msg};
use crate::domain::mail::LiveChecker;
use crate::domain::storage;
use crate::log;
use crate::sys::log::Component;

/// What the command line says about the wizard.
#[derive(Debug, Clone, Default)]
pub struct WizardArgs {
    /// `--account EMAIL`: straight to checking / rotating it.
    pub account: Option<String>,
    /// `--plain`: line by line.
    pub plain: bool,
}

/// A line on stderr; a stderr that is gone (a terminal hung up, a closed
/// pipe) is not a panic: the line is dropped.
fn say(line: std::fmt::Arguments<'_>) {
    let _ = writeln!(std::io::stderr(), "{line}");
}

/// The signal that ended the wizard, if any (for the exit status).
static SIGNALLED: AtomicI32 = AtomicI32::new(0);

/// The wizard, to its end.
pub fn run(ctx: &Context<'_>, args: WizardArgs) -> Result<Outcome, Error> {
    // Line by line when asked, when the terminal cannot do the TUI, or
    // when there is no terminal at all (a pipe).
    let plain = args.plain
        || std::env::var_os("TERM").is_some_and(|t| t == "dumb")
        || !(std::io::stdin().is_terminal() && std::io::stdout().is_terminal());
    let settings = ctx.settings().clone();
    let config_path = ctx.config_path()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| {
            Error::bare(
                Exit::Failure,
                format!("icloud-mail-setup: could not start: {e}"),
            )
        })?;
    let hostname = gethostname::gethostname().to_string_lossy().into_owned();
    let mut model = Model::new(&hostname, settings.clone(), args.account);
    model.servers_given = ctx.servers_given();
    model.config_path = config_path.display().to_string();
    model.invocation = crate::domain::invocation::Invocation::current(Some(&config_path));
    let io = Io {
        checker: Arc::new(LiveChecker::new(settings)),
        // A person is at the screen: the macOS Keychain may ask them.
        store: Arc::new(ctx.globals().keyrings(true)),
        config_path,
        opener: Arc::new(BrowserOpener),
    };
    log!(
        Component::Wizard,
        "starting ({}), config {}",
        if plain { "line by line" } else { "full screen" },
        io.config_path.display()
    );
    let no_color = ctx.globals().no_color();
    let result = runtime.block_on(front_end(&mut model, io, plain, no_color));
    // However the front end ended (quit, end of input, a terminal error):
    // a save in progress is let finish (bounded), and a password copied to
    // the clipboard does not stay there.
    let _held = storage::hold_saves(storage::SAVE_GRACE);
    crate::app::executor::clear_clipboard();
    // Blocking keyring calls that are still running must not keep us here.
    runtime.shutdown_timeout(Duration::from_millis(300));
    let input_ended =
        result.map_err(|e| Error::bare(Exit::Failure, format!("icloud-mail-setup: {e:#}")))?;
    ended(&model, plain, input_ended)
}

/// Run the front end, full screen or line by line; whether the input
/// ended (plain mode).
async fn front_end(model: &mut Model, io: Io, plain: bool, no_color: bool) -> anyhow::Result<bool> {
    let (mut exec, results) = Executor::new(io);
    spawn_signal_watch(exec.sender(), plain);
    if plain {
        let out = &mut std::io::stdout();
        let r = crate::app::plain::run(model, &mut exec, results, out).await;
        crate::sys::echo::restore();
        return Ok(r?);
    }
    let mut guard = TerminalGuard::enter()?;
    let mut view = View::new(no_color);
    // Without bracketed paste (never on Windows, see paste_burst), a
    // paste is recognised by its keys arriving at once.
    type Events =
        std::pin::Pin<Box<dyn futures::Stream<Item = std::io::Result<crossterm::event::Event>>>>;
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
        model,
        &mut view,
        events,
        &mut exec,
        results,
    )
    .await;
    drop(guard);
    frames.map(|_| false)
}

/// What the wizard says as it ends, and its exit status.
fn ended(model: &Model, plain: bool, input_ended: bool) -> Result<Outcome, Error> {
    let sig = SIGNALLED.load(Ordering::SeqCst);
    if sig != 0 {
        match (&model.flow.saved, &model.flow.account) {
            (Some(saved), Some(account)) => say(format_args!(
                "icloud-mail-setup: stopped by a signal; {}'s password was saved in the {} first.",
                account.email, saved.store_name
            )),
            _ => say(format_args!(
                "icloud-mail-setup: stopped by a signal; nothing was stored in this run."
            )),
        }
        return Ok(Outcome::Signalled(sig));
    }
    if input_ended && model.flow.saved.is_none() {
        return Err(Error::bare(
            Exit::Failure,
            "icloud-mail-setup: the input ended before the setup was finished; nothing was \
             stored.",
        ));
    }
    if let (Some(saved), Some(account)) = (&model.flow.saved, &model.flow.account) {
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
            .filter_map(|n| n.parse::<crate::domain::export::Client>().ok())
        {
            let _ = writeln!(std::io::stdout(), "{client}: {}", client.usage_hint(email));
        }
        if let Some(w) = model.invocation.warning() {
            let _ = writeln!(std::io::stderr(), "{w}");
        }
    }
    if model.unsaved() {
        return Ok(Exit::Failure.into());
    }
    Ok(Outcome::OK)
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
    use crate::sys::stop_signals::StopSignals;
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
        crate::app::tui::terminal::restore();
        crate::sys::echo::restore();
        crate::app::executor::clear_clipboard();
        say(format_args!(
            "icloud-mail-setup: stopped by a signal while saving; the next run finishes or \
             rolls back that save."
        ));
        std::process::exit(128 + sig);
    });
}

/// The next signal that ends the wizard; a Ctrl-Z meanwhile clears a
/// copied password, says so, and stops the process until it is continued.
async fn next_stop(signals: &mut crate::sys::stop_signals::StopSignals) -> i32 {
    #[cfg(unix)]
    loop {
        let sig = signals.recv().await;
        if sig != crate::sys::stop_signals::SUSPEND {
            return sig;
        }
        if let Some(done) = crate::app::executor::clear_clipboard_before_stop() {
            say(format_args!(
                "icloud-mail-setup: the copied password was cleared before stopping (Ctrl-Z): \
                 a stopped process cannot clear it later ({}). Copy it again when continued.",
                done.join("; ")
            ));
        }
        crate::sys::stop_signals::stop_now();
    }
    #[cfg(not(unix))]
    signals.recv().await
}
