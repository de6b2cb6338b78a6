//! `upc-api`: the GraphQL API server and its operator commands.

use std::process::ExitCode;

use api::cli::{Cli, Command};
use api::config::Settings;
use api::server::App;
use clap::Parser;

// Resolving and serialising a page of cases makes thousands of small allocations; mimalloc
// serves them markedly faster than the system allocator (docs/performance.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Some(Command::Schema) = cli.command {
        print!("{}", api::graphql::sdl());
        return ExitCode::SUCCESS;
    }
    let settings = match Settings::from_env() {
        Ok(s) => s,
        Err(e) => return fail(&e),
    };
    api::telemetry::init(&settings.log, settings.log_format);
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(settings).await,
        Command::Migrate => match api::db::connect(&settings).await {
            Ok(db) => match api::db::migrate(&db, &settings).await {
                Ok(()) => {
                    eprintln!("upc-api: migrations applied");
                    ExitCode::SUCCESS
                }
                Err(e) => fail(&e),
            },
            Err(e) => fail(&e),
        },
        Command::DemoData => match App::prepare(settings).await {
            Ok(app) => match api::demo::load(&app.state().db).await {
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
        Command::Audit(command) => api::audit::command::run(&settings, command).await,
        Command::Seed(args) => seed(settings, args).await,
    }
}

/// `upc-api seed`: migrate, then fill the empty database with the synthetic data set.
async fn seed(settings: Settings, args: api::cli::SeedArgs) -> ExitCode {
    let scale = match api::seed::Scale::new(args.scale) {
        Ok(scale) => scale,
        Err(e) => return fail(&e),
    };
    let app = match App::prepare(settings).await {
        Ok(app) => app,
        Err(e) => return fail(&e),
    };
    match api::seed::seed(&app.state().db, scale, args.seed).await {
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

async fn serve(settings: Settings) -> ExitCode {
    let app = match App::prepare(settings).await {
        Ok(app) => app,
        Err(e) => return fail(&e),
    };
    let listener = match app.bind().await {
        Ok(l) => l,
        Err(e) => return fail(&e),
    };
    let addr = listener
        .local_addr()
        .map(|a| a.to_string())
        .unwrap_or_default();
    tracing::info!(
        database = %api::db::redact_url(&app.state().settings.database_url),
        "upc-api listening on http://{addr}/graphql (GraphiQL in a browser; /healthz, /readyz)"
    );
    match app.serve(listener, shutdown_signal()).await {
        Ok(()) => {
            tracing::info!("upc-api stopped");
            ExitCode::SUCCESS
        }
        Err(e) => fail(&e),
    }
}

async fn token(settings: &Settings, args: api::cli::TokenArgs) -> ExitCode {
    let mut roles = std::collections::BTreeSet::new();
    for r in &args.roles {
        match r.parse::<api::auth::Role>() {
            Ok(role) => {
                roles.insert(role);
            }
            Err(_) => {
                let known: Vec<&str> = api::auth::Role::ALL.iter().map(|r| r.as_str()).collect();
                return fail(&format!(
                    "`{r}` is not a role (roles: {})",
                    known.join(", ")
                ));
            }
        }
    }
    let ttl = match api::cli::parse_ttl(&args.ttl) {
        Ok(t) => t,
        Err(e) => return fail(&format!("--ttl: {e}")),
    };
    let auth =
        match api::auth::Authenticator::new(settings.auth_settings(), &settings.data_dir).await {
            Ok(a) => a,
            Err(e) => return fail(&e),
        };
    let subject = args.sub.unwrap_or_else(|| {
        format!(
            "local-{}",
            args.roles.first().map(String::as_str).unwrap_or("user")
        )
    });
    let request = api::auth::MintRequest {
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

async fn shutdown_signal() {
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
