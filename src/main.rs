//! The binary's edge: parse arguments (clap's usage errors exit 1, not clap's 2), run the
//! check on a small runtime, exit with the check's code.

use std::process::ExitCode;

use clap::Parser;
use driftgate::action;
use driftgate::cli::{self, Cli};

fn main() -> ExitCode {
    let getenv = |k: &str| std::env::var(k).ok();
    let mut args: Vec<String> = std::env::args().collect();
    if action::is_action(&args, &getenv) {
        // Secrets the runner should hide from the log; this is the one place a token is
        // printed, as the workflow command that masks it.
        for var in [
            action::input_var("token"),
            "DRIFTGATE_REGISTRY_PASSWORD".to_string(),
        ] {
            if let Some(v) = getenv(&var).filter(|v| !v.trim().is_empty()) {
                println!("::add-mask::{}", v.trim());
            }
        }
        match action::argv(&getenv) {
            Ok(a) => args = a,
            Err(e) => {
                println!(
                    "::error title=driftgate::{}",
                    driftgate::report::escape::command_data(&e)
                );
                return ExitCode::from(1);
            }
        }
    }
    let cli = match Cli::try_parse_from(args) {
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
