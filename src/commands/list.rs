//! `list` subcommand.
