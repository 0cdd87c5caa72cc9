//! The binary's edge: parse arguments (clap's usage errors exit 1, not clap's 2), run the
//! check on a small runtime, exit with the check's code.

use std::process::ExitCode;

use clap::Parser;
use driftgate::cli::{self, Cli};

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            // --help and --version are not errors.
            return ExitCode::from(if e.use_stderr() { 1 } else { 0 });
        }
    };
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!(
                "::error title=driftgate::{}",
                driftgate::report::escape::command_data(&format!("{e:#}"))
            );
            ExitCode::from(1)
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<u8> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    Ok(rt.block_on(cli::run(cli)))
}
