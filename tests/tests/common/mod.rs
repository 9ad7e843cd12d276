//! What every model-backed test starts from: the model cache, the manifest and ONNX Runtime on
//! the CPU, with the fix in the panic when the models are missing.

use tandem_core::config::{Config, ExecutionProvider};
use tandem_core::models::runtime::{self, Runtime};
use tandem_core::models::{Manifest, ModelCache};

pub fn setup() -> (&'static Runtime, ModelCache, Manifest) {
    let cache = ModelCache::locate(&Config::default()).expect("model cache directory");
    let manifest = Manifest::builtin();
    let rt = runtime::init(&cache, &manifest, ExecutionProvider::Cpu).unwrap_or_else(|e| {
        panic!("{e}\n(these tests need the models: run `tandem models fetch`; make test does)")
    });
    (rt, cache, manifest)
}
