//! `store` subcommand.
