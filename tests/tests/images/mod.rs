//! The committed test images (tests/fixtures/vision; sources and licenses in the README there).

use std::path::{Path, PathBuf};

use tandem_core::vision::{Frame, image};

pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/vision")
        .join(name)
}

/// The image as a frame stamped at 0 ms.
pub fn frame(name: &str) -> Frame {
    image::load(&fixture(name), 0).unwrap()
}
