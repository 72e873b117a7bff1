//! Plain mode: the same wizard as numbered, line-by-line prompts on stdout
//! and answers on stdin, for screen readers, `TERM=dumb`, serial consoles,
//! Emacs' shell and scripts. No cursor movement, colour or redraws. It
//! renders each step from the wizard's `Prompt` and sends the wizard's
//! intents, exactly as the TUI does.
//!
//! Answers: a number picks an answer, Enter the default, `b` goes back,
//! `q` quits, `o` opens the link, `?` explains the keys. The password is
//! read with echo off when stdin is a terminal, and never printed.

use std::io::{BufRead, Write};

use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};
use zeroize::Zeroizing;

use crate::app::executor::Executor;
use crate::app::wizard::{
    CheckLine, Choice, Effect, Field, Model, Msg, Prompt, Screen, Tone, help, prompt, update,
};
use crate::domain::account::Email;
use crate::domain::mail::Protocol;
use crate::sys::secret::RawSecret;

/// The longest answer line read; longer lines are refused whole.
const MAX_LINE: usize = 4096;

/// What the reader thread is asked for.
enum Ask {
    Line,
    /// Echo off when stdin is a terminal, then this question printed (by
    /// the reader, so nothing typed after it appears can be echoed).
    Hidden(String),
}

/// A line read, zeroed on drop (it may be the password); `None` at the end
/// of input; `Err` for a line too long or not text.
type Answer = Option<Result<Zeroizing<String>, String>>;

/// Run the wizard until it quits or input ends; `Ok(true)` if the input
/// ended.
pub async fn run(
    model: &mut Model,
    exec: &mut Executor,
    mut results: UnboundedReceiver<Msg>,
    out: &mut dyn Write,
) -> std::io::Result<bool> {
    let (ask, mut answers) = spawn_reader();
    for e in [Effect::CheckKeyring, Effect::LoadAccounts] {
        exec.run(e);
    }
    let mut shown = String::new();
    let mut notice: Option<String> = None;
    let mut asked = false;
    let mut pending: Option<Pending> = None;
    let mut ended = false;
    loop {
        if model.quitting {
            return Ok(ended);
        }
        // Welcome's answers depend on the keyring and the accounts.
        if model.starting() {
            if let Some(msg) = results.recv().await {
                apply(model, exec, msg);
            }
            continue;
        }
        let p = prompt(model);
        let key = step_key(model, &p);
        if key != shown {
            shown = key;
            print_prompt(out, model, &p)?;
        }
        if model.notice != notice {
            notice = model.notice.clone();
            if let Some(n) = &notice {
                writeln!(out, "{n}")?;
            }
        }
        // Checks and saving: report each result as it comes.
        if model.busy() {
            if let Some(msg) = results.recv().await {
                report(out, model, &msg)?;
                apply(model, exec, msg);
            }
            continue;
        }
        if !asked {
            let (question, hidden, next) = question(model, &p, pending.take());
            if hidden {
                out.flush()?;
                let _ = ask.send(Ask::Hidden(question));
            } else {
                write!(out, "{question}")?;
                out.flush()?;
                let _ = ask.send(Ask::Line);
            }
            pending = Some(next);
            asked = true;
        }
        tokio::select! {
            answer = answers.recv() => {
                asked = false;
                let msg = match answer.flatten() {
                    None => {
                        ended = true;
                        writeln!(out)?;
                        writeln!(out, "(end of input)")?;
                        if model.confirming_quit {
                            Some(Msg::ConfirmQuit(true))
                        } else {
                            Some(Msg::Quit)
                        }
                    }
                    Some(Err(e)) => {
                        writeln!(out, "{e}")?;
                        pending = None;
                        None
                    }
                    Some(Ok(line)) => interpret(out, model, &p, pending.take(), line, &mut pending)?,
                };
                if let Some(msg) = msg {
                    apply(model, exec, msg);
                    // The same step again (a refused answer): say why.
                    if step_key(model, &prompt(model)) == shown {
                        print_errors(out, model)?;
                    }
                }
            }
            Some(msg) = results.recv() => {
                report(out, model, &msg)?;
                apply(model, exec, msg);
            }
        }
    }
}

/// A multi-line answer in progress (the address, then the login; the
/// label, then the password).
enum Pending {
    None,
    Login {
        email: String,
    },
    /// The password was read (hidden); the label comes next.
    Label {
        password: RawSecret,
    },
}

fn apply(model: &mut Model, exec: &mut Executor, msg: Msg) {
    for effect in update(model, msg) {
        if exec.run(effect) {
            model.quitting = true;
        }
    }
}

fn step_key(m: &Model, p: &Prompt) -> String {
    let screen = match &m.screen {
        Screen::Verify(v) => format!("verify {} {}", v.run, v.running()),
        Screen::Export(e) => format!(
            "export {} {} {}",
            e.client.name(),
            e.preview.is_some(),
            e.writing
        ),
        s => format!("{:?}", std::mem::discriminant(s)),
    };
    let options: Vec<&Choice> = p.options.iter().map(|(c, _)| c).collect();
    format!(
        "{screen} {} {:?} {} {}",
        p.title,
        options,
        p.checklist.len(),
        m.confirming_quit
    )
}

fn print_prompt(out: &mut dyn Write, m: &Model, p: &Prompt) -> std::io::Result<()> {
    writeln!(out)?;
    match p.step {
        Some(n) => writeln!(out, "== Step {n} of 5: {} ==", p.title)?,
        None => writeln!(out, "== {} ==", p.title)?,
    }
    for l in &p.lines {
        writeln!(out, "{}", l.text)?;
    }
    if let Some(link) = p.link {
        writeln!(out, "Link (o opens it):")?;
        writeln!(out, "{link}")?;
    }
    // Finished checks are reported one by one as they finish.
    if let Screen::Verify(v) = &m.screen
        && v.running()
        && !v.loading_secret
    {
        writeln!(out, "Checking IMAP and SMTP\u{2026}")?;
    }
    for l in &p.checks {
        if l.tone == Tone::Dim {
            writeln!(out, "{}", l.text)?;
        }
    }
    for (i, (step, done)) in p.checklist.iter().enumerate() {
        let mark = if *done { "[x] " } else { "" };
        writeln!(out, "{:>3}. {mark}{step}", i + 1)?;
    }
    for l in &p.after {
        writeln!(out, "{}", l.text)?;
    }
    if m.unlock == crate::app::wizard::UnlockState::Prompting {
        // Nothing is read while the keyring's prompt is up: its answer,
        // the deadline or Ctrl-C ends the wait.
        writeln!(out, "Ctrl-C stops waiting (and quits).")?;
    } else if !p.options.is_empty() {
        writeln!(out)?;
        for (i, (_, label)) in p.options.iter().enumerate() {
            writeln!(out, "{:>3}. {label}", i + 1)?;
        }
    }
    print_errors(out, m)?;
    Ok(())
}

fn print_errors(out: &mut dyn Write, m: &Model) -> std::io::Result<()> {
    let p = prompt(m);
    if let Some(e) = &p.error {
        writeln!(out, "Error: {e}")?;
    }
    Ok(())
}

/// What to ask now, whether to hide the answer, and what it will be.
fn question(m: &Model, p: &Prompt, pending: Option<Pending>) -> (String, bool, Pending) {
    if m.confirming_quit {
        return (
            "The password works but is not saved yet. Quit anyway and lose it? [y/N] ".into(),
            false,
            Pending::None,
        );
    }
    match (p.field, pending) {
        (Some(Field::Account), Some(Pending::Login { email })) => (
            "Primary iCloud address it logs in with: ".into(),
            false,
            Pending::Login { email },
        ),
        (Some(Field::Account), _) => ("Email address: ".into(), false, Pending::None),
        // The password first, hidden: a password pasted at the first
        // question of this step is never echoed.
        (Some(Field::Password), Some(Pending::Label { password })) => (
            format!("Label at Apple [{}]: ", m.flow.label),
            false,
            Pending::Label { password },
        ),
        (Some(Field::Password), _) => (
            "App-specific password (not shown), then Enter: ".into(),
            true,
            Pending::None,
        ),
        (None, _) if !p.options.is_empty() => (
            format!(
                "Choose 1-{} [{}] (b back, q quit, ? help): ",
                p.options.len(),
                p.default + 1
            ),
            false,
            Pending::None,
        ),
        (None, _) if !p.checklist.is_empty() => (
            "Enter when done; a number ticks that step (b back, q quit, o opens the link): ".into(),
            false,
            Pending::None,
        ),
        (None, _) => (
            match &p.next {
                Some(next) => format!("Enter: {} (b back, q quit): ", next.label()),
                None => "Enter to continue (b back, q quit): ".into(),
            },
            false,
            Pending::None,
        ),
    }
}

/// Turn an answer into an intent (or a follow-up question).
fn interpret(
    out: &mut dyn Write,
    m: &Model,
    p: &Prompt,
    asked: Option<Pending>,
    line: Zeroizing<String>,
    next: &mut Option<Pending>,
) -> std::io::Result<Option<Msg>> {
    let text = line.trim();
    if m.confirming_quit {
        return Ok(Some(Msg::ConfirmQuit(matches!(
            text.to_lowercase().as_str(),
            "y" | "yes"
        ))));
    }
    // The commands are one or two letters: never a password, so they work
    // at the hidden question too.
    {
        match text {
            "q" | "quit" => return Ok(Some(Msg::Quit)),
            "b" | "back" => return Ok(Some(Msg::Back)),
            "o" if p.link.is_some() => return Ok(Some(Msg::OpenLink)),
            "?" | "help" => {
                writeln!(out)?;
                for line in help::text(&help::plain(m)) {
                    writeln!(out, "{line}")?;
                }
                writeln!(out)?;
                writeln!(
                    out,
                    "Keys: type a number to choose, Enter for the default, b to go back, q to quit, \
                     o to open the link. At the address step type the address; at the password \
                     step the password first (it is not shown), then the label (Enter keeps \
                     it)."
                )?;
                return Ok(None);
            }
            _ => {}
        }
    }
    Ok(match (p.field, asked) {
        (Some(Field::Account), Some(Pending::Login { email })) => Some(Msg::SubmitAccount {
            email,
            login: text.to_string(),
        }),
        (Some(Field::Account), _) => match Email::parse(text) {
            Ok(e) if !e.is_apple() => {
                writeln!(out, "{} is a custom domain (iCloud+).", e.domain())?;
                *next = Some(Pending::Login {
                    email: text.to_string(),
                });
                None
            }
            _ => Some(Msg::SubmitAccount {
                email: text.to_string(),
                login: String::new(),
            }),
        },
        (Some(Field::Password), Some(Pending::Label { password })) => {
            let label = if text.is_empty() {
                m.flow.label.clone()
            } else {
                text.to_string()
            };
            Some(Msg::SubmitPassword { password, label })
        }
        (Some(Field::Password), _) => {
            *next = Some(Pending::Label {
                password: RawSecret::new(String::from(text)),
            });
            None
        }
        (None, _) if !p.options.is_empty() => {
            let n = if text.is_empty() {
                Some(p.default + 1)
            } else {
                text.parse::<usize>().ok()
            };
            match n
                .and_then(|n| n.checked_sub(1))
                .and_then(|i| p.options.get(i))
            {
                Some((c, _)) => Some(Msg::Choose(c.clone())),
                None => {
                    writeln!(out, "Type a number from 1 to {}.", p.options.len())?;
                    None
                }
            }
        }
        (None, _) => {
            if text.is_empty() {
                p.next.clone().map(Msg::Choose)
            } else {
                match text.parse::<usize>().ok().and_then(|n| n.checked_sub(1)) {
                    Some(i) if i < p.checklist.len() => {
                        let was = p.checklist[i].1;
                        writeln!(
                            out,
                            "Step {} {}.",
                            i + 1,
                            if was { "unticked" } else { "ticked" }
                        )?;
                        Some(Msg::ToggleStep(i))
                    }
                    _ => {
                        writeln!(out, "Press Enter to continue, or type a step's number.")?;
                        None
                    }
                }
            }
        }
    })
}

/// Say what a result means, as it arrives, on its own line.
fn report(out: &mut dyn Write, m: &Model, msg: &Msg) -> std::io::Result<()> {
    match msg {
        Msg::CheckDone { run, report } => {
            if let Screen::Verify(v) = &m.screen
                && v.run == *run
            {
                let settings = m.flow.settings.as_ref().unwrap_or(&m.settings);
                let ep = match report.protocol {
                    Protocol::Imap => &settings.imap,
                    Protocol::Smtp => &settings.smtp,
                };
                let line = crate::app::wizard::prompt::check_line(
                    report.protocol,
                    ep,
                    &CheckLine::Done(report.clone()),
                );
                writeln!(out, "{}", line.text)?;
            }
        }
        Msg::Saved(Ok(_)) => writeln!(out, "Saved.")?,
        _ => {}
    }
    Ok(())
}

/// Reads stdin on a thread of its own, one line per request, so results
/// and signals are handled while a person is typing.
fn spawn_reader() -> (std::sync::mpsc::Sender<Ask>, UnboundedReceiver<Answer>) {
    let (ask_tx, ask_rx) = std::sync::mpsc::channel::<Ask>();
    let (tx, rx) = unbounded_channel();
    let _ = std::thread::Builder::new()
        .name("stdin".into())
        .spawn(move || {
            let stdin = std::io::stdin();
            let tty = std::io::IsTerminal::is_terminal(&stdin);
            for ask in ask_rx {
                let _echo_off = match ask {
                    Ask::Hidden(question) => {
                        let off = if tty {
                            crate::sys::echo::EchoOff::new()
                        } else {
                            None
                        };
                        let mut out = std::io::stdout();
                        let _ = write!(out, "{question}");
                        let _ = out.flush();
                        off
                    }
                    Ask::Line => None,
                };
                let answer = read_line(&mut stdin.lock());
                let end = answer.is_none();
                if tx.send(answer).is_err() || end {
                    break;
                }
            }
        });
    (ask_tx, rx)
}

/// One line, at most [`MAX_LINE`] bytes, into a buffer sized once.
fn read_line(input: &mut dyn BufRead) -> Option<Result<Zeroizing<String>, String>> {
    let mut buf = Zeroizing::new(Vec::with_capacity(MAX_LINE + 2));
    match std::io::Read::take(&mut *input, (MAX_LINE + 1) as u64).read_until(b'\n', &mut buf) {
        Ok(0) => return None,
        Ok(_) => {}
        Err(e) => return Some(Err(format!("could not read the answer: {e}"))),
    }
    if buf.last() != Some(&b'\n') && buf.len() > MAX_LINE {
        // Drop the rest of the line, a buffer at a time (bounded memory,
        // no copies of what may be a password).
        loop {
            let (consumed, done) = match input.fill_buf() {
                Ok([]) | Err(_) => break,
                Ok(chunk) => match chunk.iter().position(|b| *b == b'\n') {
                    Some(i) => (i + 1, true),
                    None => (chunk.len(), false),
                },
            };
            input.consume(consumed);
            if done {
                break;
            }
        }
        return Some(Err(format!(
            "That line is longer than {MAX_LINE} bytes; it was not used."
        )));
    }
    while matches!(buf.last(), Some(b'\n' | b'\r')) {
        buf.pop();
    }
    match std::str::from_utf8(&buf) {
        Ok(s) => Some(Ok(Zeroizing::new(s.to_string()))),
        Err(_) => Some(Err("That line is not text; it was not used.".into())),
    }
}
