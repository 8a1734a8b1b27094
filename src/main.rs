//! The `maillage` binary: see `maillage --help`.

/// mimalloc: the server allocates many small short-lived objects per request (rows,
/// GraphQL values); glibc's allocator spent about a quarter of the CPU time on them.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match maillage::cli::run().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            // One line, each cause once: "what failed: why".
            eprintln!("Error: {}", one_line(&err));
            std::process::ExitCode::FAILURE
        }
    }
}

/// The error and its causes joined by ": ", leaving out a cause that repeats the one
/// before it (sea-orm and sqlx wrap the same message twice).
fn one_line(err: &anyhow::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    for cause in err.chain() {
        let text = cause.to_string();
        if !parts.last().is_some_and(|last| last.ends_with(&text)) {
            parts.push(text);
        }
    }
    parts.join(": ")
}
