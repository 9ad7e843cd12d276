//! The process-wide ONNX Runtime: one shared library (from the pinned `onnxruntime` wheel, or the
//! GPU build with `--gpu`), one environment, and sessions that report which execution provider
//! they actually got.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use ort::environment::Environment;
use ort::ep::{self, ExecutionProvider as _};
use ort::logging::LogLevel;
use ort::session::Session;
use ort::session::builder::GraphOptimizationLevel;

use super::cache::{CacheError, ModelCache};
use super::manifest::Manifest;
use crate::config::ExecutionProvider;

/// ONNX Runtime's session key for exact int8 matrix products on x86, set on every session.
///
/// Our int8 models (smart-turn, hibari, the Whisper conversion, the text encoder) multiply
/// uint8 activations by int8 weights. Without VNNI (AVX2, SSE4.1 and AVX-512 without VNNI: many
/// AMD and older Intel CPUs), ONNX Runtime's kernels sum pairs of those products in saturating
/// 16-bit arithmetic (255 x 127 x 2 clamps at 32767), and the models then compute something else
/// than on a VNNI CPU: measured under emulation, smart-turn called a broken-off question
/// complete (0.87 where VNNI gives 0.44) and hibari changed durations and spectra. With this key
/// set, ONNX Runtime turns the int8 weights into uint8 and runs the exact uint8 x uint8 kernels,
/// which agree with VNNI's. It does so on VNNI CPUs too, where the default kernels are already exact and faster,
/// so the key is set only where [`int8_overflows`]. See BENCHMARKS.md, "Parity across CPU paths".
const X64_QUANT_PRECISION: &str = "session.x64quantprecision";

/// Whether ONNX Runtime's default uint8 x int8 kernels saturate on this CPU: x86 without VNNI
/// (AVX-512 VNNI or AVX-VNNI sum the products in 32 bits).
pub fn int8_overflows() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        !(std::arch::is_x86_feature_detected!("avx512vnni")
            || std::arch::is_x86_feature_detected!("avxvnni"))
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}
/// The CPU build of the runtime library, as named in the manifest.
pub const CPU_LIBRARY: &str = "libonnxruntime.so.1.31.1";
/// The CUDA/TensorRT build, fetched with `tandem models fetch --gpu`.
pub const GPU_LIBRARY: &str = "gpu/libonnxruntime.so.1.31.1";
/// Set to a library path to use another ONNX Runtime build (1.31 or newer); not hash-checked.
pub const DYLIB_ENV: &str = "ORT_DYLIB_PATH";

#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    #[error("ONNX Runtime library is not ready: {0}")]
    Library(#[source] CacheError),
    #[error(
        "cannot load ONNX Runtime from {path}: {message}; run `tandem models fetch` or unset ${DYLIB_ENV}"
    )]
    Load { path: PathBuf, message: String },
    #[error("cannot create the ONNX Runtime environment: {0}")]
    Environment(String),
    #[error("ONNX Runtime was already initialised from {0}; one library per process")]
    AlreadyLoaded(PathBuf),
    #[error("cannot load model {path}: {message}")]
    Session { path: PathBuf, message: String },
}

/// The loaded runtime.
#[derive(Debug)]
pub struct Runtime {
    env: Environment,
    /// The shared library in use.
    pub library: PathBuf,
    /// Whether the library is the GPU build (CUDA/TensorRT providers inside).
    pub gpu_build: bool,
    /// What the configuration asked for.
    pub requested: ExecutionProvider,
}

/// A model session and the provider it runs on.
#[derive(Debug)]
pub struct Model {
    pub session: Session,
    /// The execution provider the session got (after any fallback).
    pub provider: ExecutionProvider,
    pub name: String,
}

/// Whether each provider is usable from this build and library.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ProviderAvailability {
    pub provider: ExecutionProvider,
    pub available: bool,
    pub note: String,
}

static RUNTIME: OnceLock<Runtime> = OnceLock::new();
static INIT_LOCK: Mutex<()> = Mutex::new(());

/// Loads the runtime once per process. Later calls return the same runtime, whatever they ask.
pub fn init(
    cache: &ModelCache,
    manifest: &Manifest,
    requested: ExecutionProvider,
) -> Result<&'static Runtime, RuntimeError> {
    if let Some(rt) = RUNTIME.get() {
        return Ok(rt);
    }
    let _guard = INIT_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(rt) = RUNTIME.get() {
        return Ok(rt);
    }
    let (library, gpu_build) = choose_library(cache, manifest, requested)?;
    let builder = ort::init_from(&library).map_err(|e| RuntimeError::Load {
        path: library.clone(),
        message: e.to_string(),
    })?;
    let env = builder
        .with_name("tandem")
        .with_telemetry(false)
        .build()
        .map_err(|e| RuntimeError::Environment(e.to_string()))?;
    tracing::info!(library = %library.display(), gpu_build, %requested, "ONNX Runtime loaded");
    let rt = Runtime {
        env,
        library,
        gpu_build,
        requested,
    };
    Ok(RUNTIME.get_or_init(|| rt))
}

/// The runtime if it has been loaded.
pub fn get() -> Option<&'static Runtime> {
    RUNTIME.get()
}

fn choose_library(
    cache: &ModelCache,
    manifest: &Manifest,
    requested: ExecutionProvider,
) -> Result<(PathBuf, bool), RuntimeError> {
    if let Some(p) = std::env::var_os(DYLIB_ENV).filter(|p| !p.is_empty()) {
        let p = PathBuf::from(p);
        let gpu = p
            .parent()
            .is_some_and(|d| d.join("libonnxruntime_providers_cuda.so").exists());
        tracing::warn!(library = %p.display(), "using ONNX Runtime from ${DYLIB_ENV} (not hash-checked)");
        return Ok((p, gpu));
    }
    if requested != ExecutionProvider::Cpu {
        match cache.verified_path(manifest, GPU_LIBRARY) {
            Ok(p) => {
                // The providers are loaded by the runtime from its own directory; check them too.
                let providers_ok = manifest
                    .artifacts
                    .iter()
                    .filter(|a| a.file.starts_with("gpu/") && a.file != GPU_LIBRARY)
                    .all(|a| cache.verified_path(manifest, &a.file).is_ok());
                if providers_ok {
                    return Ok((p, true));
                }
                tracing::warn!("GPU runtime present but its provider libraries are not; using CPU");
            }
            Err(CacheError::NotReady {
                state: "missing", ..
            }) => {}
            Err(e) => tracing::warn!("GPU runtime unusable ({e}); using CPU"),
        }
    }
    let p = cache
        .verified_path(manifest, CPU_LIBRARY)
        .map_err(RuntimeError::Library)?;
    Ok((p, false))
}

impl Runtime {
    /// Which providers this build and library can offer. A GPU provider listed as available
    /// still needs the CUDA/TensorRT libraries at session time; sessions fall back to CPU and
    /// log it when they are absent.
    pub fn providers(&self) -> Vec<ProviderAvailability> {
        let in_lib = |ok: ort::Result<bool>| ok.unwrap_or(false);
        let gpu_note = |ok: bool| {
            if ok {
                "in the loaded runtime; needs the CUDA 13 (and cuDNN 9 / TensorRT 10) libraries on LD_LIBRARY_PATH".to_owned()
            } else if self.gpu_build {
                "not in the loaded runtime".to_owned()
            } else {
                "not in the CPU runtime; run `tandem models fetch --gpu` on a machine with an NVIDIA GPU".to_owned()
            }
        };
        let cuda = in_lib(ep::CUDA::is_available());
        let trt = in_lib(ep::TensorRT::is_available());
        vec![
            ProviderAvailability {
                provider: ExecutionProvider::Cpu,
                available: true,
                note: format!("ONNX Runtime from {}", self.library.display()),
            },
            ProviderAvailability {
                provider: ExecutionProvider::Cuda,
                available: cuda,
                note: gpu_note(cuda),
            },
            ProviderAvailability {
                provider: ExecutionProvider::Tensorrt,
                available: trt,
                note: gpu_note(trt),
            },
            ProviderAvailability {
                provider: ExecutionProvider::Directml,
                available: false,
                note: "Windows only; not in this build".to_owned(),
            },
            ProviderAvailability {
                provider: ExecutionProvider::Coreml,
                available: false,
                note: "macOS only; not in this build".to_owned(),
            },
        ]
    }

    /// The providers to try, in order, for a request; CPU is always the last resort.
    fn candidates(&self, requested: ExecutionProvider) -> Vec<ExecutionProvider> {
        use ExecutionProvider as E;
        match requested {
            E::Cpu => vec![],
            E::Auto if self.gpu_build => vec![E::Cuda],
            E::Auto => vec![],
            E::Cuda => vec![E::Cuda],
            E::Tensorrt => vec![E::Tensorrt, E::Cuda],
            E::Directml | E::Coreml => {
                tracing::warn!(provider = %requested, "execution provider not in this build; using CPU");
                vec![]
            }
        }
    }

    /// Loads a model with the configured provider, falling back to CPU; logs what it got.
    pub fn load(
        &self,
        path: &Path,
        name: &str,
        intra_threads: usize,
    ) -> Result<Model, RuntimeError> {
        self.load_with(path, name, intra_threads, self.requested)
    }

    pub fn load_with(
        &self,
        path: &Path,
        name: &str,
        intra_threads: usize,
        requested: ExecutionProvider,
    ) -> Result<Model, RuntimeError> {
        for candidate in self.candidates(requested) {
            let dispatch = match candidate {
                ExecutionProvider::Cuda => ep::CUDA::default().build(),
                ExecutionProvider::Tensorrt => ep::TensorRT::default().build(),
                _ => continue,
            };
            match self.build_session(
                Source::File(path),
                intra_threads,
                Some(dispatch.error_on_failure()),
            ) {
                Ok(session) => {
                    tracing::info!(model = name, provider = %candidate, "session created");
                    return Ok(Model {
                        session,
                        provider: candidate,
                        name: name.to_owned(),
                    });
                }
                Err(message) => {
                    tracing::warn!(model = name, provider = %candidate, %message, "provider failed; trying the next");
                }
            }
        }
        self.cpu_model(Source::File(path), path.to_owned(), name, intra_threads)
    }

    /// Loads a model bundled into the binary, on the CPU (a model so small that a GPU round
    /// trip would cost more than the inference). `name` is shown in errors and logs.
    pub fn load_bundled(
        &self,
        bytes: &[u8],
        name: &str,
        intra_threads: usize,
    ) -> Result<Model, RuntimeError> {
        let shown = PathBuf::from(format!("(bundled) {name}"));
        self.cpu_model(Source::Memory(bytes), shown, name, intra_threads)
    }

    /// A CPU session from `source`; errors name `shown`.
    fn cpu_model(
        &self,
        source: Source<'_>,
        shown: PathBuf,
        name: &str,
        intra_threads: usize,
    ) -> Result<Model, RuntimeError> {
        let session = self
            .build_session(source, intra_threads, None)
            .map_err(|message| RuntimeError::Session {
                path: shown,
                message,
            })?;
        tracing::info!(model = name, provider = "cpu", "session created");
        Ok(Model {
            session,
            provider: ExecutionProvider::Cpu,
            name: name.to_owned(),
        })
    }

    /// A session with exact int8 kernels: the default ones on a VNNI CPU, else
    /// [`X64_QUANT_PRECISION`] where ONNX Runtime can rewrite the graph for it, the default
    /// kernels otherwise. (Its rewrite refuses some
    /// graphs: hibari's shares int8 weights between nodes and fails with "Attempt to replace
    /// the existing tensor"; that model keeps the default kernels and their CPU-dependent
    /// rounding, measured in BENCHMARKS.md.)
    fn build_session(
        &self,
        source: Source<'_>,
        intra_threads: usize,
        provider: Option<ep::ExecutionProviderDispatch>,
    ) -> Result<Session, String> {
        let before = crate::memory::resident_mb();
        let built = self.build_session_inner(source, intra_threads, provider);
        tracing::debug!(model = %source, ?before, after = ?crate::memory::resident_mb(), "resident MB around the session's creation");
        built
    }

    fn build_session_inner(
        &self,
        source: Source<'_>,
        intra_threads: usize,
        provider: Option<ep::ExecutionProviderDispatch>,
    ) -> Result<Session, String> {
        if !int8_overflows() {
            return self.try_build_session(source, intra_threads, provider, false);
        }
        match self.try_build_session(source, intra_threads, provider.clone(), true) {
            Ok(session) => Ok(session),
            Err(message) => {
                // Expected for hibari (see above): nothing a user can act on, so not on their
                // terminal.
                tracing::debug!(model = %source, %message, "exact int8 kernels refused; using the default kernels");
                self.try_build_session(source, intra_threads, provider, false)
            }
        }
    }

    fn try_build_session(
        &self,
        source: Source<'_>,
        intra_threads: usize,
        provider: Option<ep::ExecutionProviderDispatch>,
        exact_int8: bool,
    ) -> Result<Session, String> {
        let mut b = Session::builder(&self.env)
            .map_err(|e| e.to_string())?
            .with_optimization_level(GraphOptimizationLevel::All)
            .map_err(|e| e.to_string())?
            .with_intra_threads(intra_threads)
            .map_err(|e| e.to_string())?;
        if exact_int8 {
            // ONNX Runtime logs a graph its rewrite refuses as an error of its own before the
            // error comes back to us; the fallback above handles it, so only fatal messages.
            b = b
                .with_config_entry(X64_QUANT_PRECISION, "1")
                .map_err(|e| e.to_string())?
                .with_log_level(LogLevel::Fatal)
                .map_err(|e| e.to_string())?;
        }
        // No CPU arena: ONNX Runtime's arena keeps every block it grows (by doubling) for the
        // session's life, so one long utterance raised the process's memory for good (a
        // one-time +78 MiB step in the hour-long session, BENCHMARKS.md); plain allocations
        // are given back. Same speed in the live bench.
        let cpu = ep::CPU::default().with_arena_allocator(false).build();
        let providers = match provider {
            Some(p) => vec![p, cpu],
            None => vec![cpu],
        };
        b = b
            .with_execution_providers(providers)
            .map_err(|e| e.to_string())?;
        match source {
            Source::File(path) => b.commit_from_file(path),
            Source::Memory(bytes) => b.commit_from_memory(bytes),
        }
        .map_err(|e| e.to_string())
    }
}

/// Where a model's bytes come from.
#[derive(Clone, Copy)]
enum Source<'a> {
    File(&'a Path),
    Memory(&'a [u8]),
}

impl std::fmt::Display for Source<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::File(path) => write!(f, "{}", path.display()),
            Self::Memory(bytes) => write!(f, "(bundled, {} bytes)", bytes.len()),
        }
    }
}
