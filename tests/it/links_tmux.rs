//! Links that travel, in the real binary in a real terminal (tmux, 80×24):
//! the QR code on screen decodes (with zbar's `zbarimg`, a real decoder)
//! to exactly the link; the copy key's OSC 52 lands in a tmux buffer;
//! the help overlay opens and scrolls; plain mode prints the link alone on
//! its line and `?` prints the step's help.

use crate::tmux;

use std::process::Command;

use icloud_mail_setup::app::qr;
use tmux::{Tmux, bin, sh_quote};

const LINK: &str = "https://account.apple.com";

const CONF: &str = "set -g set-clipboard on\n\
     set-environment -gu DISPLAY\n\
     set-environment -gu WAYLAND_DISPLAY";

fn env(dir: &std::path::Path) -> Vec<(String, String)> {
    vec![
        (
            "ICLOUD_MAIL_SETUP_CONFIG".into(),
            dir.join("config.toml").display().to_string(),
        ),
        ("TERM".into(), "xterm-256color".into()),
        // Never the developer's real clipboard (the tmux config unsets
        // them too; plain mode's test starts without that config).
        ("DISPLAY".into(), String::new()),
        ("WAYLAND_DISPLAY".into(), String::new()),
    ]
}

/// The wizard in tmux, on the app-specific password step (which has a link).
fn on_link_step() -> (Tmux, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let t = Tmux::start_exec(&[bin()], &env(dir.path()), CONF);
    t.wait_for("Set up a new account", 10);
    t.keys(&["Enter"]);
    t.wait_for("Is two-factor authentication on", 5);
    t.keys(&["Enter"]);
    t.wait_for("App-Specific Passwords", 5);
    (t, dir)
}

/// The drawn modules as a PBM image, `scale` pixels per module, decoded
/// by zbarimg: what a phone's camera would read.
fn decode(rows: &[Vec<bool>], scale: usize) -> String {
    let h = rows.len();
    let w = rows.iter().map(Vec::len).max().unwrap_or(0);
    let mut pbm = format!("P1\n{} {}\n", w * scale, h * scale);
    for row in rows {
        let mut line = String::new();
        for x in 0..w {
            let bit = if row.get(x).copied().unwrap_or(false) {
                "1 "
            } else {
                "0 "
            };
            for _ in 0..scale {
                line.push_str(bit);
            }
        }
        line.push('\n');
        for _ in 0..scale {
            pbm.push_str(&line);
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("code.pbm");
    std::fs::write(&file, pbm).unwrap();
    let out = Command::new("zbarimg")
        .args(["--raw", "-q"])
        .arg(&file)
        .output()
        .expect("zbarimg is installed (zbar-tools; scripts/test installs it)");
    String::from_utf8_lossy(&out.stdout).trim_end().to_string()
}

#[test]
fn the_renderer_draws_codes_a_real_decoder_reads() {
    for text in [LINK, "https://support.apple.com/en-us/102654", "hello"] {
        let rows = qr::modules(&qr::lines(text).unwrap());
        assert_eq!(decode(&rows, 4), text);
    }
    // And the decoder is no rubber stamp: a damaged code does not read.
    let mut rows = qr::modules(&qr::lines(LINK).unwrap());
    for row in rows.iter_mut().take(12).skip(4) {
        for m in row.iter_mut().take(12).skip(4) {
            *m = !*m;
        }
    }
    assert_ne!(decode(&rows, 4), LINK);
}

/// The QR overlay's cells from a captured screen: the lines between its
/// top border and the link under it, inside the overlay's own border (the
/// columns of its top corners, not the main frame's border).
fn code_from_screen(screen: &str) -> Vec<String> {
    let lines: Vec<Vec<char>> = screen.lines().map(|l| l.chars().collect()).collect();
    let top = lines
        .iter()
        .position(|l| l.iter().collect::<String>().contains(" QR code "))
        .unwrap_or_else(|| panic!("no QR overlay:\n{screen}"));
    // The overlay's top-left corner is the one its title follows: the main
    // frame's top border can be on the same row, left and right of it.
    let row = &lines[top];
    let title: Vec<char> = " QR code ".chars().collect();
    let at = (0..row.len())
        .find(|&i| row[i..].starts_with(&title))
        .expect("the title's column");
    let left = at - 1;
    assert_eq!(
        row[left], '\u{250c}',
        "the overlay's top-left corner:\n{screen}"
    );
    let right = left
        + row[left..]
            .iter()
            .position(|c| *c == '\u{2510}')
            .unwrap_or_else(|| panic!("the overlay's top-right corner:\n{screen}"));
    let mut code = Vec::new();
    for l in &lines[top + 1..] {
        let row: String = l[left + 1..right].iter().collect();
        if row.contains(LINK) {
            break;
        }
        assert_eq!(l[left], '\u{2502}', "the overlay's left border:\n{screen}");
        assert_eq!(
            l[right], '\u{2502}',
            "the overlay's right border:\n{screen}"
        );
        code.push(row);
    }
    code
}

#[test]
fn the_qr_key_shows_a_code_that_decodes_to_the_link() {
    let (t, _dir) = on_link_step();
    // The footer is drawn in the same frame as the step, but wait for it
    // rather than trust one capture.
    t.wait_for("c copy link", 5);
    assert!(t.screen().contains("r QR"));
    t.keys(&["r"]);
    let s = t.wait_for(" QR code ", 5);
    let code = code_from_screen(&s);
    assert_eq!(code.len(), 17, "{s}");
    // The link is printed under the code too.
    assert!(s.contains(LINK), "{s}");
    assert_eq!(decode(&qr::modules(&code), 4), LINK, "{s}");
    // Any key closes it; the step is still there.
    t.keys(&["x"]);
    t.wait_until("the overlay closes", 5, || {
        !t.screen().contains(" QR code ")
    });
    assert!(t.screen().contains("App-Specific Passwords"));
    t.keys(&["C-c"]);
    t.wait_exit(10);
}

#[test]
fn the_copy_key_puts_the_link_in_a_tmux_buffer_by_osc52() {
    let (t, _dir) = on_link_step();
    t.keys(&["c"]);
    let s = t.wait_for("Link copied via OSC 52 (tmux)", 10);
    assert!(!s.contains("if your terminal allows"), "{s}");
    let buffer = t.tmux(&["show-buffer"]);
    assert_eq!(String::from_utf8_lossy(&buffer.stdout), LINK);
    t.keys(&["C-c"]);
    t.wait_exit(10);
}

#[test]
fn the_help_overlay_explains_the_step_and_scrolls_in_the_real_terminal() {
    let (t, _dir) = on_link_step();
    t.keys(&["?"]);
    let s = t.wait_for("Help: App-specific password", 5);
    assert!(s.contains("Apple's page, step by step"), "{s}");
    for _ in 0..10 {
        t.keys(&["PageDown"]);
    }
    let s = t.wait_for("closes this help", 5);
    assert!(s.contains(" end, \u{2191} for more "), "{s}");
    t.keys(&["Escape"]);
    t.wait_until("the help closes", 5, || !t.screen().contains("Help:"));
    t.keys(&["C-c"]);
    t.wait_exit(10);
}

#[test]
fn plain_mode_prints_the_link_alone_and_question_mark_prints_the_help() {
    let dir = tempfile::tempdir().unwrap();
    let t = Tmux::start_then(
        &format!("{} --plain", sh_quote(bin())),
        "",
        &env(dir.path()),
    );
    t.wait_for("Choose 1-", 10);
    t.type_text("1");
    t.keys(&["Enter"]);
    t.wait_for("Is two-factor authentication on", 5);
    t.type_text("1");
    t.keys(&["Enter"]);
    let s = t.wait_for("Enter when done", 5);
    assert!(
        s.lines().any(|l| l.trim_end() == LINK),
        "the link is not alone on a line:\n{s}"
    );
    t.type_text("?");
    t.keys(&["Enter"]);
    t.wait_until("the step's help is printed", 5, || {
        t.history().contains("I don't see App-Specific Passwords")
    });
    let all = t.history();
    assert!(all.contains("25 active app-specific passwords"), "{all}");
    assert!(
        all.lines()
            .any(|l| l.trim_end() == "https://support.apple.com/en-us/102654"),
        "{all}"
    );
    t.type_text("q");
    t.keys(&["Enter"]);
    t.wait_exit(10);
}

/// Ctrl-L on the password step (a text field) redraws the screen and
/// copies nothing: it must never replace a password on the clipboard with
/// the link.
#[test]
fn ctrl_l_on_the_password_step_copies_nothing() {
    let (t, _dir) = on_link_step();
    t.keys(&["Enter"]);
    t.wait_for("Which address do you read mail at?", 5);
    t.type_text("emily@icloud.com");
    t.keys(&["Enter"]);
    t.wait_for("^R reveal", 5);
    t.keys(&["C-l"]);
    // Keys are read in order: once the help opened, Ctrl-L was handled.
    t.keys(&["F1"]);
    let s = t.wait_for("Help: ", 5);
    assert!(!s.contains("Link copied"), "{s}");
    let buffers = t.tmux(&["list-buffers", "-F", "#{buffer_sample}"]);
    assert_eq!(String::from_utf8_lossy(&buffers.stdout), "", "{s}");
    t.keys(&["C-c"]);
    t.wait_exit(10);
}
