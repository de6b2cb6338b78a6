//! `upc-api`: the GraphQL API server and its operator commands (see [`api::cli::main`]).

// Resolving and serialising a page of cases makes thousands of small allocations; mimalloc
// serves them markedly faster than the system allocator (docs/performance.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    api::cli::main(None).await
}
