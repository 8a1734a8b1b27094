//! The `maillage` binary: see `maillage --help`.

/// mimalloc: the server allocates many small short-lived objects per request (rows,
/// GraphQL values); glibc's allocator spent about a quarter of the CPU time on them.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    maillage::cli::run().await
}
