//! System adapters: the small typed interfaces through which the program
//! touches the machine. Child processes (one runner), the clipboard,
//! desktop notices, terminal echo, atomic files, the log sink, signals,
//! process hardening, and the text rules (escaping, quoting) every value
//! leaving the program goes through.

pub(crate) mod atomic_file;
pub mod base64;
pub mod clipboard;
pub mod echo;
pub mod hardening;
pub mod log;
pub mod notify;
pub(crate) mod process;
pub mod secret;
pub mod stop_signals;
pub mod text;
