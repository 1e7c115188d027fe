//! The CLI's errors and the exit codes scripts rely on.

use std::fmt;

/// Exit codes (also in `--help` and the README).
pub mod exit {
    /// Done, and everything went well.
    pub const OK: u8 = 0;
    /// Done, but not everything succeeded: a replayed job ended `dead`, the
    /// wait reached `--timeout` with jobs still pending, or the prompt was declined.
    pub const INCOMPLETE: u8 = 1;
    /// Bad arguments (also a 422 answer: the API rejected an argument), or a
    /// confirmation needed without a terminal and without `--yes`.
    pub const USAGE: u8 = 2;
    /// The API cannot be reached, did not answer in time, or the URL is not the Hoofbeat API.
    pub const UNREACHABLE: u8 = 3;
    /// No token, or the token expired or was revoked; or wrong email or password.
    pub const AUTH: u8 = 4;
    /// The account is not an admin.
    pub const FORBIDDEN: u8 = 5;
    /// Any other error: an error answer of the API (404, 409, 429, 5xx…),
    /// an answer the CLI does not understand, a local file that cannot be written.
    pub const OTHER: u8 = 6;
}

/// The exit code table for `--help`.
pub const EXIT_CODES_HELP: &str = "\
Exit codes:
  0  done, everything succeeded (also: a listing with no rows, nothing matched to replay)
  1  done, but not everything succeeded: a replayed job ended dead, --timeout reached
     with jobs still pending, or the confirmation was declined (nothing sent)
  2  usage error: bad arguments, an argument the API rejected (422), or a
     confirmation needed while stdin is not a terminal and --yes is missing
  3  the API is unreachable, did not answer in time, or the URL is not the Hoofbeat API
  4  authentication: no token, token expired or revoked, wrong email or password
  5  forbidden: the account is not an admin
  6  any other error (an API error answer such as 404/409/429/503, an unexpected answer,
     a token file that cannot be written)

Environment:
  HOOFBEAT_API_URL            the API (default http://127.0.0.1:8080)
  HOOFBEAT_ADMIN_TOKEN        a bearer token; overrides the token file
  HOOFBEAT_ADMIN_TOKEN_FILE   the token file (default $XDG_CONFIG_HOME/hoofbeat/admin-token,
                              else ~/.config/hoofbeat/admin-token), written with mode 0600
  HOOFBEAT_ADMIN_PASSWORD     the password for `login` (else a prompt without echo)";

/// A failure, printed as one line `hoofbeat-admin: <message>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CliError {
    /// Exit 2.
    Usage(String),
    /// Exit 3.
    Unreachable(String),
    /// Exit 4.
    Auth(String),
    /// Exit 5.
    Forbidden(String),
    /// Exit 6.
    Other(String),
    /// Exit 6 too: the API is busy or its database unavailable (429, 503);
    /// worth retrying while following jobs.
    Busy(String),
}

impl CliError {
    /// The process exit code.
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Usage(_) => exit::USAGE,
            CliError::Unreachable(_) => exit::UNREACHABLE,
            CliError::Auth(_) => exit::AUTH,
            CliError::Forbidden(_) => exit::FORBIDDEN,
            CliError::Other(_) | CliError::Busy(_) => exit::OTHER,
        }
    }

    fn message(&self) -> &str {
        match self {
            CliError::Usage(m)
            | CliError::Unreachable(m)
            | CliError::Auth(m)
            | CliError::Forbidden(m)
            | CliError::Other(m)
            | CliError::Busy(m) => m,
        }
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // One line, whatever the server or the OS said.
        f.write_str(&self.message().replace(['\n', '\r'], " "))
    }
}

impl std::error::Error for CliError {}

/// What a command that ran to its end reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Exit 0.
    Done,
    /// Exit 1: done, but not everything succeeded.
    Incomplete,
}

impl Outcome {
    /// The process exit code.
    pub fn exit_code(self) -> u8 {
        match self {
            Outcome::Done => exit::OK,
            Outcome::Incomplete => exit::INCOMPLETE,
        }
    }
}

/// A command's result.
pub type CliResult<T = Outcome> = Result<T, CliError>;
