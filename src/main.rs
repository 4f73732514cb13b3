use std::process::ExitCode;

use om_upgrade::cli;
use om_upgrade::config::Env;

fn main() -> ExitCode {
    let cli = cli::parse();
    let env = Env::from_process();
    // -q/-v decide the log level; without them RUST_LOG does, else nothing is logged.
    let filter = cli.globals.log_filter(env.get("RUST_LOG"));
    let logs = tracing_subscriber::fmt().with_env_filter(
        tracing_subscriber::EnvFilter::try_new(&filter)
            .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("off")),
    );
    if cli.command.is_none() {
        // The wizard owns the screen: its log goes to a file.
        let file = std::sync::Mutex::new(om_upgrade::tui::log_writer(&env));
        logs.with_ansi(false).with_writer(file).init();
    } else {
        logs.with_writer(std::io::stderr).init();
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::from(1);
        }
    };
    let code = match runtime.block_on(cli::run(cli, env)) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error}");
            if let Some(hint) = error.hint() {
                eprintln!("hint: {hint}");
            }
            error.exit_code()
        }
    };
    // Do not wait for stray tasks (a connection attempt still timing out) at exit.
    runtime.shutdown_timeout(std::time::Duration::from_millis(100));
    ExitCode::from(code as u8)
}
