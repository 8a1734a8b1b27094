//! Rebuilds the binary when the web front or the vendored assets change: `include_dir!`
//! (src/front.rs) embeds them without telling cargo which files it read.
fn main() {
    println!("cargo:rerun-if-changed=front");
    println!("cargo:rerun-if-changed=assets");
}
