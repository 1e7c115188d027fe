//! `hoofbeat`: the offline CLI; all logic lives in `analysis::cli`.

fn main() -> std::process::ExitCode {
    analysis::cli::main()
}
