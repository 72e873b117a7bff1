//! Plain mode's output for one step: its title, text, link, checklist and
//! numbered answers, as lines with no cursor movement or colour.

use std::io::Write;

use crate::app::wizard::{Model, Prompt, Screen, Tone, prompt};

pub(super) fn print_prompt(out: &mut dyn Write, m: &Model, p: &Prompt) -> std::io::Result<()> {
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

pub(super) fn print_errors(out: &mut dyn Write, m: &Model) -> std::io::Result<()> {
    let p = prompt(m);
    if let Some(e) = &p.error {
        writeln!(out, "Error: {e}")?;
    }
    Ok(())
}
