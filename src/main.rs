//! The `maillage` binary: see `maillage --help`.

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    maillage::cli::run().await
}
