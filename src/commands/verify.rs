//! `verify` subcommand.
