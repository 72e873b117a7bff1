//! `remove` subcommand.
