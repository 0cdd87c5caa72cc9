//! The binary's edge: register every secret before anything is printed, parse arguments (clap's
//! usage errors exit 1, not clap's 2, and are printed so that no raw value can start a workflow
//! command), run the check on a small runtime, exit with the check's code.

use std::ffi::OsString;
use std::process::ExitCode;

use clap::Parser;
use driftgate::action;
use driftgate::cli::{self, Cli};
use driftgate::report::escape::{command_data, guard_text};
use driftgate::secrets;

/// See Cargo.toml: musl's allocator dominated the static binary's time.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

unsafe extern "C" {
    /// mimalloc's `mi_option_set` (v3 `include/mimalloc.h`, linked through the mimalloc crate).
    fn mi_option_set(option: std::ffi::c_int, value: std::ffi::c_long);
}

/// `mi_option_arena_eager_commit` and `mi_option_purge_delay` in the `mi_option_e` of the
/// mimalloc v3 sources that libmimalloc-sys 0.1.49 builds (the versions are pinned in
/// Cargo.toml, so these positions cannot move under us).
const MI_OPTION_ARENA_EAGER_COMMIT: std::ffi::c_int = 4;
const MI_OPTION_PURGE_DELAY: std::ffi::c_int = 15;

/// Commit arena memory as it is used and give freed pages back at once: peak RSS of a
/// 1,000-workflow run 33 MiB instead of 59 MiB, for 5% of the time.
///
/// No transparent huge pages: the kernel backs and zeroes them in 2 MiB folios however little
/// of each is used. With them the 1,000-workflow bench peaked at 43 MiB instead of 32.5 MiB
/// and spent a sixth of its time zeroing pages; `--version` took 8.0 MiB instead of 4.6 MiB.
/// mimalloc's `no_thp` feature (Cargo.toml) stops it asking for them (`madvise`); the process
/// flag set here keeps kernels set to `always` from giving them anyway (children such as the
/// `ssh` relay inherit it, which does them no harm).
fn tune_allocator() {
    // SAFETY: setting an option is thread-safe in mimalloc and takes plain integers; the
    // prctl takes integers and changes only this process's THP flag (ignored where unknown).
    unsafe {
        mi_option_set(MI_OPTION_ARENA_EAGER_COMMIT, 0);
        mi_option_set(MI_OPTION_PURGE_DELAY, 0);
        #[cfg(target_os = "linux")]
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}

fn main() -> ExitCode {
    tune_allocator();
    let getenv = |k: &str| std::env::var(k).ok();
    // Every secret any check may use joins the one redaction path first, so that no output,
    // error messages included, can print it.
    secrets::register_env(&secrets::SECRET_VARS, &getenv);
    let args: Vec<OsString> = std::env::args_os().collect();
    let mut args: Vec<String> = match args
        .iter()
        .map(|a| a.to_str().map(str::to_string))
        .collect::<Option<Vec<_>>>()
    {
        Some(a) => a,
        None => {
            eprintln!(
                "::error title=driftgate::{}",
                command_data("an argument is not valid UTF-8 text")
            );
            return ExitCode::from(1);
        }
    };
    let as_action = action::is_action(&args, &getenv);
    let mut unused_inputs = Vec::new();
    if as_action {
        // The runner hides what it is told to mask, line by line; this is the one place a
        // secret is printed, as the workflow command that masks it.
        for var in secrets::SECRET_VARS {
            if let Some(v) = getenv(var) {
                for line in secrets::mask_commands(&v) {
                    println!("{line}");
                }
            }
        }
        match action::argv(&getenv) {
            Ok(a) => {
                args = a.args;
                unused_inputs = a.warnings;
            }
            // Reported like any result (outputs, summary, report): advisory still passes.
            Err(e) => return ExitCode::from(cli::action_usage(&e)),
        }
    }
    let cli = match Cli::try_parse_from(args) {
        Ok(mut c) => {
            c.action = as_action;
            c.unused_inputs = unused_inputs;
            c
        }
        Err(e) if as_action && e.use_stderr() => {
            // clap's message names flags and values; the workflow's author wrote inputs.
            return ExitCode::from(cli::action_usage(&action::name_inputs(
                &e.render().to_string(),
            )));
        }
        Err(e) => {
            // clap echoes raw argument values: every line is guarded and redacted.
            let text = secrets::redact(&e.render().to_string()).into_owned();
            let text = guard_text(&text);
            if e.use_stderr() {
                eprint!("{text}");
            } else {
                print!("{text}");
            }
            // --help and --version are not errors.
            return ExitCode::from(if e.use_stderr() { 1 } else { 0 });
        }
    };
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!(
                "::error title=driftgate::{}",
                command_data(&secrets::redact(&format!("{e:#}")))
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
