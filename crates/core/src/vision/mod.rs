//! Vision: camera discovery today; camera sources and visual context as the camera issue lands.

pub mod camera;
