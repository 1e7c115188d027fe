//! `hoofbeat`: the offline CLI; all logic lives in `analysis::cli`.

fn main() -> std::process::ExitCode {
    // A build for newer CPUs names what this one lacks instead of dying of
    // SIGILL later (see `shared::cpu`).
    if let Err(e) = shared::cpu::check() {
        eprintln!("hoofbeat: {e}");
        return std::process::ExitCode::from(2);
    }
    analysis::cli::main()
}
