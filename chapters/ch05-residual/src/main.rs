use clap::Parser;

fn main() -> std::process::ExitCode {
    // Bad arguments: clap prints a message and exits with status 2.
    let cli = ch05_residual::cli::Cli::parse();
    book_support::cli::report_exit(cli.run())
}
