//! A link as a QR code made of text: two modules per character cell with
//! the Unicode half blocks (`▀` top dark, `▄` bottom dark, `█` both,
//! space neither), surrounded by the 4-module quiet zone scanners need.
//! Pure: the TUI styles the lines (dark on light) and decides whether they
//! fit; the encoder is the `qrcode` crate.

use qrcode::{Color, EcLevel, QrCode};

/// Modules of light margin on each side (the standard's quiet zone).
pub const QUIET_ZONE: usize = 4;

/// Upper half dark.
pub const TOP: char = '\u{2580}';
/// Lower half dark.
pub const BOTTOM: char = '\u{2584}';
/// Both halves dark.
pub const FULL: char = '\u{2588}';

/// The code for `text` as lines of equal width (in characters), quiet
/// zone included; dark modules are drawn, light ones are blank. Medium
/// error correction: a phone still reads it with a few cells misdrawn.
pub fn lines(text: &str) -> Result<Vec<String>, String> {
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M)
        .map_err(|e| format!("this link cannot be made into a QR code: {e}"))?;
    let n = code.width();
    let colors = code.to_colors();
    let size = n + 2 * QUIET_ZONE;
    let dark = |x: usize, y: usize| -> bool {
        if x < QUIET_ZONE || y < QUIET_ZONE || x >= QUIET_ZONE + n || y >= QUIET_ZONE + n {
            return false;
        }
        colors[(y - QUIET_ZONE) * n + (x - QUIET_ZONE)] == Color::Dark
    };
    let mut out = Vec::with_capacity(size.div_ceil(2));
    for row in (0..size).step_by(2) {
        let line = (0..size)
            .map(|x| match (dark(x, row), dark(x, row + 1)) {
                (true, true) => FULL,
                (true, false) => TOP,
                (false, true) => BOTTOM,
                (false, false) => ' ',
            })
            .collect();
        out.push(line);
    }
    Ok(out)
}

/// The modules back from the drawn lines (`true` = dark), two rows per
/// line: what a scanner sees. For tests and for checking a capture.
pub fn modules(lines: &[String]) -> Vec<Vec<bool>> {
    let mut rows = Vec::with_capacity(lines.len() * 2);
    for l in lines {
        let (top, bottom): (Vec<bool>, Vec<bool>) = l
            .chars()
            .map(|c| match c {
                FULL => (true, true),
                TOP => (true, false),
                BOTTOM => (false, true),
                _ => (false, false),
            })
            .unzip();
        rows.push(top);
        rows.push(bottom);
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_apple_link_is_a_version_2_code_with_its_quiet_zone() {
        let l = lines("https://account.apple.com").unwrap();
        // Version 2 is 25 modules; 4 on each side make 33; 17 lines.
        assert_eq!(l.len(), 17);
        assert!(l.iter().all(|r| r.chars().count() == 33));
        let m = modules(&l);
        // The quiet zone is light all round.
        for (y, row) in m.iter().enumerate().take(33) {
            for (x, dark) in row.iter().enumerate() {
                let inside = (4..29).contains(&x) && (4..29).contains(&y);
                assert!(inside || !dark, "({x},{y}) in the quiet zone is dark");
            }
        }
        // A finder pattern's corner at the top left of the code.
        assert!(m[4][4] && m[4][10] && m[10][4] && !m[5][5]);
        // The padding row under an odd-sized code is light.
        assert!(m[33].iter().all(|d| !d));
    }

    #[test]
    fn the_drawn_modules_are_the_encoders() {
        let code = QrCode::with_error_correction_level(b"hello", EcLevel::M).unwrap();
        let n = code.width();
        let m = modules(&lines("hello").unwrap());
        let colors = code.to_colors();
        for y in 0..n {
            for x in 0..n {
                assert_eq!(
                    m[y + QUIET_ZONE][x + QUIET_ZONE],
                    colors[y * n + x] == Color::Dark
                );
            }
        }
    }

    #[test]
    fn too_long_a_text_is_an_error_not_a_panic() {
        let long = "x".repeat(5000);
        assert!(lines(&long).is_err());
    }
}
