// Included by the build scripts of the packages whose binaries or tests link llama.cpp.

/// Points this package's binaries, tests and benchmarks at llama.cpp's shared libraries, which
/// `llama-cpp-sys-2` builds into its own output directory: an rpath, so that they start
/// without LD_LIBRARY_PATH (the CPU backends are found through the same directory). The
/// package must depend on `llama-cpp-sys-2` directly to receive its `DEP_LLAMA_*` metadata.
fn llama_rpath() {
    println!("cargo:rerun-if-env-changed=DEP_LLAMA_BACKENDS_DIR");
    let Ok(backends) = std::env::var("DEP_LLAMA_BACKENDS_DIR") else {
        panic!("llama-cpp-sys-2 did not report its backends directory (DEP_LLAMA_BACKENDS_DIR)");
    };
    let lib = std::path::Path::new(&backends)
        .parent()
        .expect("the backends directory has a parent")
        .join("lib");
    println!("cargo:rustc-link-arg=-Wl,-rpath,{}", lib.display());
    llama_complete_links();
}

/// Completes the links `llama-cpp-sys-2` leaves beside the binaries. Its build script
/// hard-links `libllama.so` and friends into `target/<profile>/` and `deps/`, but those are
/// relative symlinks to `libllama.so.0`, which it does not copy: they dangle, and its next
/// build into the same target directory (another feature set, a changed flag) fails with
/// "File exists" when it links them again. Adding the missing names makes them resolve.
/// Nothing loads the libraries through these links: the rpath above points at the build's
/// own copies.
fn llama_complete_links() {
    let (Ok(backends), Ok(out)) = (
        std::env::var("DEP_LLAMA_BACKENDS_DIR"),
        std::env::var("OUT_DIR"),
    ) else {
        return;
    };
    let lib = std::path::Path::new(&backends)
        .parent()
        .expect("the backends directory has a parent")
        .join("lib");
    // OUT_DIR is <target>/<profile>/build/<package>-<hash>/out.
    let Some(profile) = std::path::Path::new(&out).ancestors().nth(3) else {
        return;
    };
    let Ok(entries) = std::fs::read_dir(&lib) else {
        return;
    };
    let names: Vec<std::ffi::OsString> = entries
        .filter_map(Result::ok)
        .map(|e| e.file_name())
        .filter(|n| n.to_string_lossy().contains(".so"))
        .collect();
    for dir in [profile.to_path_buf(), profile.join("deps"), profile.join("examples")] {
        if !dir.is_dir() {
            continue;
        }
        for name in &names {
            let link = dir.join(name);
            if std::fs::symlink_metadata(&link).is_err() {
                // Another package's build script may have made it meanwhile: fine.
                let _ = std::os::unix::fs::symlink(lib.join(name), &link);
            }
        }
    }
}
