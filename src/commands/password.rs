//! `password` subcommand.
