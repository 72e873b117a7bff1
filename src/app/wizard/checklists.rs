//! The step lists the wizard walks through. Sources: Apple support articles
//! 102525 (app-specific passwords), 102654 (iCloud Mail server settings) and
//! 118230 (two-factor authentication), and the articles in shared/seeds;
//! current menu names first, older ones in brackets.

pub const APPLE_ACCOUNT_URL: &str = "https://account.apple.com";

/// Where the user turns on two-factor authentication.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TwoFactorPath {
    Mac,
    IPhone,
    Web,
}

impl TwoFactorPath {
    pub const ALL: [TwoFactorPath; 3] = [
        TwoFactorPath::Mac,
        TwoFactorPath::IPhone,
        TwoFactorPath::Web,
    ];

    pub fn label(self) -> &'static str {
        match self {
            TwoFactorPath::Mac => "On a Mac",
            TwoFactorPath::IPhone => "On an iPhone or iPad",
            TwoFactorPath::Web => "In a web browser",
        }
    }

    pub fn steps(self) -> &'static [&'static str] {
        match self {
            TwoFactorPath::Mac => &[
                "Open the Apple menu \u{2192} System Settings (older: System Preferences).",
                "Click your name at the top (older: Apple ID).",
                "Click Sign-In & Security (older: Password & Security).",
                "Next to Two-Factor Authentication, click Turn On. Sign in if asked.",
                "Answer the security questions, then Continue \u{2192} Verify.",
                "Enter a trusted phone number, choose text or call, then Continue.",
                "Type the code sent to that phone. Two-factor authentication is on.",
            ],
            TwoFactorPath::IPhone => &[
                "Open Settings and tap your name at the top (older: Apple ID).",
                "Tap Sign-In & Security (older: Password & Security).",
                "Tap Turn On Two-Factor Authentication \u{2192} Continue.",
                "Enter a trusted phone number; choose text message or phone call.",
                "Tap Next, then type the code Apple sends. Two-factor authentication is on.",
            ],
            TwoFactorPath::Web => &[
                "Open account.apple.com (press o) and sign in.",
                "Go to Sign-In and Security \u{2192} Account Security.",
                "Follow the prompts: security questions, then trusted phone numbers.",
                "Type the code sent to your phone. Two-factor authentication is on.",
            ],
        }
    }
}

/// A note for accounts still on the retired two-step verification.
pub const TWO_STEP_NOTE: &str = "If your account still uses the old two-step verification, Apple will move you to \
     two-factor authentication when you turn it on.";

/// The steps to generate an app-specific password; `{label}` is replaced
/// by the suggested label.
pub const APP_PASSWORD_STEPS: [&str; 6] = [
    "Open account.apple.com (press o, or type the address on another device).",
    "Sign in with your Apple Account.",
    "Choose Sign-In and Security \u{2192} App-Specific Passwords.",
    "Click Generate an app-specific password (+). Apple may ask for your password again.",
    "Type the label \u{201c}{label}\u{201d} and click Create.",
    "Copy the password it shows (abcd-efgh-ijkl-mnop), then click Done.",
];

pub const APP_PASSWORD_FACTS: [&str; 2] = [
    "Apple shows the password only once. If you lose it, revoke it and make another.",
    "At most 25 app-specific passwords can be active at a time.",
];

/// How to revoke one, for the reminder after a rotation or removal.
pub fn revoke_instructions(label: Option<&str>) -> String {
    match label {
        Some(l) => format!(
            "Revoke the old password at account.apple.com: Sign-In and Security \u{2192} \
             App-Specific Passwords \u{2192} \u{201c}{l}\u{201d} \u{2192} Revoke."
        ),
        None => "Revoke the old password at account.apple.com: Sign-In and Security \u{2192} \
                 App-Specific Passwords \u{2192} the old label \u{2192} Revoke."
            .to_string(),
    }
}

/// A list of steps, each tickable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checklist {
    pub items: Vec<ChecklistItem>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChecklistItem {
    pub text: String,
    pub done: bool,
}

impl Checklist {
    pub fn new<S: AsRef<str>>(steps: &[S]) -> Self {
        Checklist {
            items: steps
                .iter()
                .map(|s| ChecklistItem {
                    text: s.as_ref().to_string(),
                    done: false,
                })
                .collect(),
        }
    }

    /// Tick (or untick) step `i`; whether it is now ticked.
    pub fn toggle(&mut self, i: usize) -> bool {
        match self.items.get_mut(i) {
            Some(item) => {
                item.done = !item.done;
                item.done
            }
            None => false,
        }
    }

    pub fn done_count(&self) -> usize {
        self.items.iter().filter(|i| i.done).count()
    }

    pub fn all_done(&self) -> bool {
        self.items.iter().all(|i| i.done)
    }
}

/// `icloud-mail-setup on HOST`, the label that lets a person find the
/// password again among the 25.
pub fn suggested_label(hostname: &str) -> String {
    // At most 40 printable characters of the host name, so the label stays
    // within what `account::check_label` accepts (64).
    let h: String = hostname
        .split('.')
        .next()
        .unwrap_or("")
        .trim()
        .chars()
        .filter(|c| {
            !c.is_control()
                && !crate::sys::text::is_bidi_control(*c)
                && !crate::sys::text::is_zero_width(*c)
        })
        .take(40)
        .collect();
    if h.is_empty() {
        "icloud-mail-setup".to_string()
    } else {
        format!("icloud-mail-setup on {h}")
    }
}

pub fn app_password_checklist(label: &str) -> Checklist {
    let steps: Vec<String> = APP_PASSWORD_STEPS
        .iter()
        .map(|s| s.replace("{label}", label))
        .collect();
    Checklist::new(&steps)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticking_counts() {
        let mut c = Checklist::new(&["a", "b", "c"]);
        assert!(c.toggle(0));
        assert!(c.toggle(1));
        assert!(c.toggle(2));
        assert!(c.all_done());
        assert!(!c.toggle(2));
        assert!(!c.toggle(7));
        assert_eq!(c.done_count(), 2);
    }

    #[test]
    fn label_names_the_machine() {
        assert_eq!(
            suggested_label("laptop.local"),
            "icloud-mail-setup on laptop"
        );
        assert_eq!(suggested_label(""), "icloud-mail-setup");
        assert!(
            app_password_checklist("x on y").items[4]
                .text
                .contains("\u{201c}x on y\u{201d}")
        );
    }
}
