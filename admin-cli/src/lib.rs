//! `hoofbeat-admin`: the admin CLI of Hoofbeat over its admin HTTP API.
//!
//! - [`cli`]: the command line; [`commands`]: one module per command.
//! - [`client`]: HTTP, timeouts, and every failure mapped to one line and an exit code.
//! - [`token`]: the token file (mode 0600) or `HOOFBEAT_ADMIN_TOKEN`.
//! - [`error`]: the exit codes; [`model`]: the API's answers;
//!   [`table`], [`when`]: output tables, `2h` / RFC 3339 arguments.

use std::process::ExitCode;

use clap::Parser;

pub mod cli;
pub mod client;
pub mod commands;
pub mod error;
pub mod model;
pub mod table;
pub mod token;
pub mod when;

/// Parses the command line, runs the command, prints a failure as one line
/// on stderr and returns the documented exit code.
pub fn main() -> ExitCode {
    // Usage errors exit 2, --help and --version 0 (clap's own convention, ours too).
    let cli = cli::Cli::parse();
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("hoofbeat-admin: cannot start: {e}");
            return ExitCode::from(error::exit::OTHER);
        }
    };
    match rt.block_on(commands::run(cli)) {
        Ok(outcome) => ExitCode::from(outcome.exit_code()),
        Err(e) => {
            eprintln!("hoofbeat-admin: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}
