//! Which actions the footer lists on each step, with what they do there.
//! The keys themselves come from the key table (`keys.rs`), so a hint
//! cannot name a key that does something else.

use super::keys::Action;
use super::view::View;
use crate::app::wizard::{Field, Model, Screen, prompt};

/// The actions worth listing in the footer now, with what they do here.
pub fn hints(m: &Model, v: &View) -> Vec<(Action, &'static str)> {
    use Action::*;
    if v.help {
        return vec![(Up, "scroll"), (Back, "close help")];
    }
    if v.qr {
        return vec![(Back, "close")];
    }
    if m.confirming_quit {
        return vec![(Yes, "quit"), (No, "stay")];
    }
    let p = prompt(m);
    let mut h: Vec<(Action, &'static str)> = match (p.field, &m.screen) {
        (Some(Field::Account), _) => {
            let mut h = vec![(Confirm, "continue"), (Back, "back")];
            if v.custom_domain() {
                h.push((NextField, "next field"));
            }
            h
        }
        (Some(Field::Password), _) => vec![
            (Confirm, "verify"),
            (Reveal, "reveal"),
            (NextField, "label"),
            (OpenLink, "open"),
            (ShowQr, "QR"),
            (ClearField, "clear"),
            (Back, "back"),
        ],
        (None, Screen::Verify(ver)) if ver.running() => vec![(Back, "cancel")],
        (None, Screen::Save(crate::app::wizard::SaveState::Saving)) => vec![],
        (None, Screen::Export(e))
            if e.preview.as_ref().is_some_and(|p| p.is_ok()) && !e.writing =>
        {
            vec![(Confirm, "write it"), (Up, "scroll"), (Back, "back")]
        }
        (None, Screen::Export(_)) => vec![(Back, "back")],
        (None, _) if !p.checklist.is_empty() => vec![
            (Toggle, "tick"),
            (Confirm, "continue"),
            (Back, "back"),
            (Up, "move"),
        ],
        (None, Screen::Welcome | Screen::Done) => vec![(Confirm, "choose"), (Up, "move")],
        (None, _) => vec![(Confirm, "choose"), (Up, "move"), (Back, "back")],
    };
    if p.link.is_some() && p.field.is_none() {
        // The link first: on these steps it is what the person needs.
        let at = h
            .iter()
            .position(|(a, _)| *a == Confirm)
            .map_or(0, |i| i + 1);
        h.splice(
            at..at,
            [(OpenLink, "open"), (ShowQr, "QR"), (CopyLink, "copy link")],
        );
    }
    h.push((Help, "help"));
    // In a text field `q` is typed: Ctrl-C is the way out there.
    h.push((if v.text_entry(m) { Interrupt } else { Quit }, "quit"));
    h
}
