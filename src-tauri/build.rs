include!("../build-support/llama_rpath.rs");

fn main() {
    llama_rpath();
    tauri_build::build();
}
