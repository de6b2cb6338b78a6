//! The body of `upc-api`'s `main`, in the library so that the `upc` binary of the worker
//! package runs exactly the same commands, adding an in-process reporting worker to `serve`.

use std::future::Future;
use std::pin::Pin;
use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;
use sea_orm::DatabaseConnection;
use tokio::sync::watch;

use super::{Cli, Command};
use crate::config::Settings;
use crate::server::App;

/// Work run beside the server for as long as `serve` runs (the `upc` binary's in-process
/// reporting worker). It is given the server's database connection (on SQLite the one writer
/// connection, so the two never contend for the file), the settings, and a receiver that turns
/// `true` (or closes) when the server is asked to stop; `serve` waits for it to return.
pub type BackgroundTask = Box<
    dyn FnOnce(
            DatabaseConnection,
            Arc<Settings>,
            watch::Receiver<bool>,
        ) -> Pin<Box<dyn Future<Output = ()> + Send>>
        + Send,
>;

/// Parse the command line and run it: what `upc-api` does. `background`, when given, runs
/// beside the server under `serve` (the default command) and is ignored by every other command.
pub async fn main(background: Option<BackgroundTask>) -> ExitCode {
    let cli = Cli::parse();
    if let Some(Command::Schema) = cli.command {
        print!("{}", crate::graphql::sdl());
        return ExitCode::SUCCESS;
    }
    let settings = match Settings::from_env() {
        Ok(s) => s,
        Err(e) => return fail(&e),
    };
    crate::telemetry::init(&settings.log, settings.log_format);
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(settings, background).await,
        Command::Migrate => match crate::db::connect(&settings).await {
            Ok(db) => match crate::db::migrate(&db, &settings).await {
                Ok(()) => {
                    eprintln!("upc-api: migrations applied");
                    ExitCode::SUCCESS
                }
                Err(e) => fail(&e),
            },
            Err(e) => fail(&e),
        },
        Command::DemoData => match App::prepare(settings).await {
            Ok(app) => match crate::demo::load(&app.state().db).await {
                Ok(summary) => {
                    eprintln!("upc-api: demo data loaded: {summary}");
                    ExitCode::SUCCESS
                }
                Err(e) => fail(&e.message()),
            },
            Err(e) => fail(&e),
        },
        Command::Token(args) => token(&settings, args).await,
        Command::Schema => ExitCode::SUCCESS,
        Command::Healthcheck => healthcheck(&settings).await,
        Command::Audit(command) => crate::audit::command::run(&settings, command).await,
        Command::Seed(args) => seed(settings, args).await,
    }
}

/// `upc-api seed`: migrate, then fill the empty database with the synthetic data set.
async fn seed(settings: Settings, args: super::SeedArgs) -> ExitCode {
    let scale = match crate::seed::Scale::new(args.scale) {
        Ok(scale) => scale,
        Err(e) => return fail(&e),
    };
    let app = match App::prepare(settings).await {
        Ok(app) => app,
        Err(e) => return fail(&e),
    };
    match crate::seed::seed(&app.state().db, scale, args.seed).await {
        Ok(counts) => {
            let decisions = counts.decisions();
            match serde_json::to_string(&counts) {
                Ok(json) => println!("{json}"),
                Err(e) => return fail(&e),
            }
            eprintln!(
                "upc-api: seeded {} customers, {} cases, {} restrictions, {decisions} decisions in {:.1} s",
                counts.customers,
                counts.cases,
                counts.restrictions,
                counts.elapsed_ms as f64 / 1000.0
            );
            ExitCode::SUCCESS
        }
        Err(e) => fail(&e),
    }
}

async fn serve(settings: Settings, background: Option<BackgroundTask>) -> ExitCode {
    let app = match App::prepare(settings).await {
        Ok(app) => app,
        Err(e) => return fail(&e),
    };
    let listeners = match app.bind().await {
        Ok(l) => l,
        Err(e) => return fail(&e),
    };
    let addr = listeners
        .api_addr()
        .map(|a| a.to_string())
        .unwrap_or_default();
    tracing::info!(
        database = %crate::db::redact_url(&app.state().settings.database_url),
        "upc-api listening on http://{addr}/graphql (GraphiQL in a browser; /healthz, /readyz)"
    );
    if let Some(metrics) = listeners.metrics_addr() {
        tracing::info!("metrics at http://{metrics}/metrics");
    }
    // The stop signal goes to the server and to the background task alike; if the server
    // returns for any other reason the sender is dropped, which the task also reads as "stop".
    let (stop_tx, stop_rx) = watch::channel(false);
    let background = background.map(|task| {
        tokio::spawn(task(
            app.state().db.clone(),
            app.state().settings.clone(),
            stop_rx,
        ))
    });
    let stop = async move {
        shutdown_signal().await;
        let _ = stop_tx.send(true);
    };
    let served = app.serve(listeners, stop).await;
    if let Some(task) = background
        && let Err(e) = task.await
    {
        tracing::error!(error = %e, "the background task stopped abnormally");
    }
    match served {
        Ok(()) => {
            tracing::info!("upc-api stopped");
            ExitCode::SUCCESS
        }
        Err(e) => fail(&e),
    }
}

async fn token(settings: &Settings, args: super::TokenArgs) -> ExitCode {
    let mut roles = std::collections::BTreeSet::new();
    for r in &args.roles {
        match r.parse::<crate::auth::Role>() {
            Ok(role) => {
                roles.insert(role);
            }
            Err(_) => {
                let known: Vec<&str> = crate::auth::Role::ALL.iter().map(|r| r.as_str()).collect();
                return fail(&format!(
                    "`{r}` is not a role (roles: {})",
                    known.join(", ")
                ));
            }
        }
    }
    let ttl = match super::parse_ttl(&args.ttl) {
        Ok(t) => t,
        Err(e) => return fail(&format!("--ttl: {e}")),
    };
    let auth =
        match crate::auth::Authenticator::new(settings.auth_settings(), &settings.data_dir).await {
            Ok(a) => a,
            Err(e) => return fail(&e),
        };
    let subject = args.sub.unwrap_or_else(|| {
        format!(
            "local-{}",
            args.roles.first().map(String::as_str).unwrap_or("user")
        )
    });
    let request = crate::auth::MintRequest {
        subject,
        name: args.name,
        roles,
        services: args.services.into_iter().collect(),
        ttl,
    };
    match auth.mint(request) {
        Ok(token) => {
            println!("{token}");
            ExitCode::SUCCESS
        }
        Err(e) => fail(&e),
    }
}

async fn healthcheck(settings: &Settings) -> ExitCode {
    let port = settings.bind.port();
    let url = format!("http://127.0.0.1:{port}/readyz");
    match reqwest::Client::new()
        .get(&url)
        .timeout(std::time::Duration::from_secs(3))
        .send()
        .await
    {
        Ok(r) if r.status().is_success() => ExitCode::SUCCESS,
        Ok(r) => fail(&format!("{url} answered {}", r.status())),
        Err(e) => fail(&format!("{url} did not answer: {e}")),
    }
}

/// One clear line on standard error and a non-zero exit: never a panic backtrace.
fn fail(e: &dyn std::fmt::Display) -> ExitCode {
    eprintln!("upc-api: error: {e}");
    ExitCode::FAILURE
}

/// Resolves on SIGTERM or Ctrl-C (SIGINT).
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutdown requested; draining in-flight requests");
}
