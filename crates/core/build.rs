include!("../../build-support/llama_rpath.rs");

fn main() {
    llama_rpath();
    quiet_audio_shim();
}

/// Builds `native/quiet_audio.c` (see there) where devices are reached through ALSA: Linux
/// with the `devices` feature.
fn quiet_audio_shim() {
    println!("cargo:rerun-if-changed=native/quiet_audio.c");
    let linux = std::env::var("CARGO_CFG_TARGET_OS").is_ok_and(|os| os == "linux");
    if !linux || std::env::var_os("CARGO_FEATURE_DEVICES").is_none() {
        return;
    }
    cc::Build::new()
        .file("native/quiet_audio.c")
        .warnings(true)
        .compile("tandem_quiet_audio");
    println!("cargo:rustc-link-lib=dl");
}
