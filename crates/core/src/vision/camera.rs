//! Camera discovery through nokhwa (V4L2 on Linux).

/// Names of the cameras this machine offers; an error says why none could be listed.
#[cfg(feature = "camera")]
pub fn list() -> Result<Vec<String>, String> {
    nokhwa::query(nokhwa::utils::ApiBackend::Auto)
        .map(|cams| cams.iter().map(|c| c.human_name()).collect())
        .map_err(|e| e.to_string())
}

#[cfg(not(feature = "camera"))]
pub fn list() -> Result<Vec<String>, String> {
    Err("this build has no camera support (feature `camera` off)".into())
}
