//! `clv-desk`: with no subcommand opens the window; subcommands are in [`clv_desk::cli`].

fn main() -> std::process::ExitCode {
    clv_desk::cli::main()
}
