//! The `silkroute` binary: parses the command line and maps errors to exit codes.

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
