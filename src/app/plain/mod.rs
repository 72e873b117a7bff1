//! Plain mode: the same wizard as numbered, line-by-line prompts on stdout
//! and answers on stdin, for screen readers, `TERM=dumb`, serial consoles,
//! Emacs' shell and scripts. No cursor movement, colour or redraws. It
//! renders each step from the wizard's `Prompt` and sends the wizard's
//! intents, exactly as the TUI does.
//!
//! Answers: a number picks an answer, Enter the default, `b` goes back,
//! `q` quits, `o` opens the link, `?` explains the keys. The password is
//! read with echo off when stdin is a terminal, and never printed.

use std::io::Write;

mod answer;
mod print;
mod reader;

use answer::{Pending, interpret, question, show_ahead};
use print::{print_errors, print_prompt};
use reader::{Ask, spawn_reader};

use tokio::sync::mpsc::UnboundedReceiver;

use crate::app::executor::Executor;
use crate::app::wizard::{CheckLine, Choice, Effect, Model, Msg, Prompt, Screen, prompt, update};
use crate::domain::mail::Protocol;

/// Run the wizard until it quits or input ends; `Ok(true)` if the input
/// ended.
pub async fn run(
    model: &mut Model,
    exec: &mut Executor,
    mut results: UnboundedReceiver<Msg>,
    out: &mut dyn Write,
) -> std::io::Result<bool> {
    // Every line goes out escaped: a message that quotes a keyring, a
    // server or a file cannot act on the terminal.
    let mut escaping = crate::app::output::Escaping::new(out);
    let out: &mut dyn Write = &mut escaping;
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
                    Some(Ok(line)) => {
                        if line.ahead {
                            show_ahead(out, &line.text)?;
                        }
                        interpret(out, model, &p, pending.take(), line.text, &mut pending)?
                    }
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
