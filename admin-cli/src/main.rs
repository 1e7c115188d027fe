//! `hoofbeat-admin`: see the library for the commands.

fn main() -> std::process::ExitCode {
    admin_cli::main()
}
