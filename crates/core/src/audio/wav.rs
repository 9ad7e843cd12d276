//! WAV files in and out: read any PCM WAV (any rate, any channel count, 8/16/24/32-bit integer
//! or 32-bit float) as mono f32 at the rate a model wants, and write mono 16-bit or float WAVs.
//!
//! Resampling uses rubato's FFT resampler (synchronous, anti-aliased; see FACTS: the polynomial
//! resampler leaks aliases when downsampling). Bad input gets a [`WavError`] that names the file,
//! says what is wrong and, where it can, how to fix it.

use std::fs::File;
use std::io::{self, BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use rubato::audioadapter_buffers::direct::InterleavedSlice;
use rubato::{Fft, FixedSync, Resampler};

/// Frames per resampler chunk; rubato rounds it to a multiple of the rates' ratio.
const RESAMPLE_CHUNK_FRAMES: usize = 1024;

/// Sample rates we read and resample. Real audio lies well inside; a header outside is damaged,
/// and resampling from it would plan FFTs of hundreds of millions of points (gigabytes).
pub const SUPPORTED_RATES_HZ: std::ops::RangeInclusive<u32> = 1_000..=768_000;

/// Samples reserved up front: the header's frame count is only a promise (a damaged header can
/// promise gigabytes), so beyond this the buffer grows as samples are really read.
const MAX_RESERVED_SAMPLES: usize = 1 << 22;

/// The largest float sample we pass on, 60 dB over full scale. Float files may go past 1.0;
/// NaN, infinity or 1e38 in one is damage, not sound, and would poison every filter and FFT
/// downstream (rubato panics on it).
const MAX_SAMPLE: f32 = 1_000.0;

/// `x`, with NaN read as silence and anything louder than [`MAX_SAMPLE`] clamped to it.
fn sane(x: f32) -> f32 {
    if x.is_nan() {
        0.0
    } else {
        x.clamp(-MAX_SAMPLE, MAX_SAMPLE)
    }
}

/// What is wrong with a WAV file, or with writing one.
#[derive(Debug, thiserror::Error)]
pub enum WavError {
    #[error("cannot open {path}: {source}")]
    Open {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("{path} is empty (0 bytes); record or export it again")]
    EmptyFile { path: PathBuf },
    #[error(
        "{path} is not a WAV file ({what}); convert it with `sox {path} -r 16000 -c 1 {suggestion}`"
    )]
    NotWav {
        path: PathBuf,
        what: String,
        suggestion: PathBuf,
    },
    #[error("{path} is truncated: {detail}; it was probably cut off while being written or copied")]
    Truncated { path: PathBuf, detail: String },
    #[error("{path} has a WAV header but no audio samples")]
    NoAudio { path: PathBuf },
    #[error(
        "{path} is a WAV file with an unsupported format ({detail}); convert it with `sox {path} -b 16 {suggestion}`"
    )]
    Unsupported {
        path: PathBuf,
        detail: String,
        suggestion: PathBuf,
    },
    #[error("{path} is a malformed WAV file: {detail}")]
    Malformed { path: PathBuf, detail: String },
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("cannot resample {path}: {source}")]
    Resample {
        path: PathBuf,
        #[source]
        source: ResampleError,
    },
    #[error("cannot write {path}: {message}")]
    Write { path: PathBuf, message: String },
}

/// A resampler that could not be built or run.
#[derive(Debug, thiserror::Error)]
#[error("cannot resample {from_hz} Hz to {to_hz} Hz: {message}")]
pub struct ResampleError {
    pub from_hz: u32,
    pub to_hz: u32,
    pub message: String,
}

/// The format of a WAV file, from its header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct WavInfo {
    pub sample_rate_hz: u32,
    pub channels: u16,
    pub bits_per_sample: u16,
    /// IEEE float samples (else integer PCM).
    pub float: bool,
    /// Samples per channel.
    pub frames: u64,
}

impl WavInfo {
    /// Length of the audio in milliseconds.
    pub fn duration_ms(&self) -> u64 {
        self.frames * 1000 / u64::from(self.sample_rate_hz.max(1))
    }
}

/// Reads `path` as mono f32 in [-1, 1] at `rate_hz`, averaging channels and resampling as
/// needed.
pub fn read_mono(path: &Path, rate_hz: u32) -> Result<Vec<f32>, WavError> {
    let (samples, info) = read_mono_native(path)?;
    if info.sample_rate_hz == rate_hz {
        return Ok(samples);
    }
    resample(&samples, info.sample_rate_hz, rate_hz).map_err(|source| WavError::Resample {
        path: path.to_owned(),
        source,
    })
}

/// Reads `path` as mono f32 at its own rate, with its header.
pub fn read_mono_native(path: &Path) -> Result<(Vec<f32>, WavInfo), WavError> {
    let mut reader = open(path)?;
    let info = info_of(&reader);
    check_format(path, &info)?;
    let channels = usize::from(info.channels);
    let expected = info.frames as usize * channels;
    let mut mono = Vec::with_capacity((info.frames as usize).min(MAX_RESERVED_SAMPLES));
    let mut acc = 0.0f32;
    let mut in_frame = 0usize;
    let mut read = 0usize;
    let mut push = |x: f32| {
        acc += x;
        in_frame += 1;
        if in_frame == channels {
            mono.push(acc / channels as f32);
            acc = 0.0;
            in_frame = 0;
        }
    };
    let truncated = |read: usize| WavError::Truncated {
        path: path.to_owned(),
        detail: format!(
            "the header promises {} frames but only {} are present",
            info.frames,
            read / channels
        ),
    };
    if info.float {
        for s in reader.samples::<f32>() {
            let x = s.map_err(|e| sample_error(path, e, || truncated(read)))?;
            push(sane(x));
            read += 1;
        }
    } else {
        let scale = 1.0 / (1u64 << (info.bits_per_sample - 1)) as f32;
        for s in reader.samples::<i32>() {
            push(s.map_err(|e| sample_error(path, e, || truncated(read)))? as f32 * scale);
            read += 1;
        }
    }
    if read < expected {
        return Err(truncated(read));
    }
    Ok((mono, info))
}

/// The header of `path`, without reading the samples.
pub fn read_info(path: &Path) -> Result<WavInfo, WavError> {
    let reader = open(path)?;
    let info = info_of(&reader);
    check_format(path, &info)?;
    Ok(info)
}

/// Resamples mono audio with rubato's FFT resampler. The output has `ceil(len * to / from)`
/// samples, aligned with the input (the resampler's delay is removed).
pub fn resample(samples: &[f32], from_hz: u32, to_hz: u32) -> Result<Vec<f32>, ResampleError> {
    let err = |message: String| ResampleError {
        from_hz,
        to_hz,
        message,
    };
    if from_hz == to_hz {
        return Ok(samples.to_vec());
    }
    if samples.is_empty() {
        return Ok(Vec::new());
    }
    if !SUPPORTED_RATES_HZ.contains(&from_hz) || !SUPPORTED_RATES_HZ.contains(&to_hz) {
        return Err(err(format!(
            "rates must be {}-{} Hz",
            SUPPORTED_RATES_HZ.start(),
            SUPPORTED_RATES_HZ.end()
        )));
    }
    // A sample the FFT cannot sum without overflow makes its output non-real, on which
    // rubato panics.
    let sane_copy: Vec<f32>;
    let samples = if samples.iter().all(|x| x.abs() <= MAX_SAMPLE) {
        samples
    } else {
        sane_copy = samples.iter().map(|&x| sane(x)).collect();
        &sane_copy
    };
    let mut resampler = Fft::<f32>::new(
        from_hz as usize,
        to_hz as usize,
        RESAMPLE_CHUNK_FRAMES,
        1,
        FixedSync::Input,
    )
    .map_err(|e| err(e.to_string()))?;
    let input = InterleavedSlice::new(samples, 1, samples.len()).map_err(|e| err(e.to_string()))?;
    let out = resampler
        .process_all(&input, samples.len(), None)
        .map_err(|e| err(e.to_string()))?;
    Ok(out.take_data())
}

/// Writes mono 16-bit PCM (samples clamped to [-1, 1]).
pub fn write_mono_i16(path: &Path, samples: &[f32], rate_hz: u32) -> Result<(), WavError> {
    write_with(path, mono_i16(rate_hz), |w| {
        samples.iter().try_for_each(|&s| w.write_sample(to_i16(s)))
    })
}

/// The format of [`write_mono_i16`] and [`StreamingWav`].
fn mono_i16(rate_hz: u32) -> hound::WavSpec {
    hound::WavSpec {
        channels: 1,
        sample_rate: rate_hz,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    }
}

/// A sample in [-1, 1] (clamped) as 16-bit PCM.
fn to_i16(s: f32) -> i16 {
    (s.clamp(-1.0, 1.0) * f32::from(i16::MAX)).round() as i16
}

/// A failure writing `path`; the partial file is removed.
fn write_failed(path: &Path, e: hound::Error) -> WavError {
    let _ = std::fs::remove_file(path);
    WavError::Write {
        path: path.to_owned(),
        message: e.to_string(),
    }
}

/// Writes mono 32-bit float PCM (samples as they are).
pub fn write_mono_f32(path: &Path, samples: &[f32], rate_hz: u32) -> Result<(), WavError> {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: rate_hz,
        bits_per_sample: 32,
        sample_format: hound::SampleFormat::Float,
    };
    write_with(path, spec, |w| {
        samples.iter().try_for_each(|&s| w.write_sample(s))
    })
}

/// A mono 16-bit WAV written as it is produced (a long simulated session's output, without
/// holding it in memory), exactly `len` samples long: what comes past `len` is dropped,
/// [`Self::finish`] pads the rest with silence. A writer that fails or is dropped unfinished
/// removes its file.
pub struct StreamingWav {
    writer: Option<hound::WavWriter<io::BufWriter<File>>>,
    path: std::path::PathBuf,
    written: usize,
    len: usize,
}

impl StreamingWav {
    pub fn create(path: &Path, rate_hz: u32, len: usize) -> Result<StreamingWav, WavError> {
        let writer =
            hound::WavWriter::create(path, mono_i16(rate_hz)).map_err(|e| write_failed(path, e))?;
        Ok(StreamingWav {
            writer: Some(writer),
            path: path.to_owned(),
            written: 0,
            len,
        })
    }

    /// Appends samples (up to the length given at creation).
    pub fn write(&mut self, samples: &[f32]) -> Result<(), WavError> {
        let take = samples.len().min(self.len - self.written);
        let Some(w) = self.writer.as_mut() else {
            return Ok(());
        };
        let result = samples[..take]
            .iter()
            .try_for_each(|&s| w.write_sample(to_i16(s)));
        self.written += take;
        result.map_err(|e| self.fail(e))
    }

    /// Pads to the full length with silence and finalises the header.
    pub fn finish(mut self) -> Result<(), WavError> {
        let Some(mut w) = self.writer.take() else {
            return Ok(());
        };
        let result = (self.written..self.len)
            .try_for_each(|_| w.write_sample(0i16))
            .and_then(|()| w.finalize());
        result.map_err(|e| self.fail(e))
    }

    fn fail(&mut self, e: hound::Error) -> WavError {
        self.writer = None;
        write_failed(&self.path, e)
    }
}

impl std::fmt::Debug for StreamingWav {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamingWav")
            .field("path", &self.path)
            .field("written", &self.written)
            .field("len", &self.len)
            .finish()
    }
}

impl Drop for StreamingWav {
    fn drop(&mut self) {
        if self.writer.take().is_some() {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// Creates the file, writes, finalises; removes the partial file on failure.
fn write_with(
    path: &Path,
    spec: hound::WavSpec,
    body: impl FnOnce(&mut hound::WavWriter<io::BufWriter<File>>) -> hound::Result<()>,
) -> Result<(), WavError> {
    let result = hound::WavWriter::create(path, spec).and_then(|mut w| {
        body(&mut w)?;
        w.finalize()
    });
    result.map_err(|e| write_failed(path, e))
}

type Reader = hound::WavReader<BufReader<File>>;

/// Opens the file, recognises what it is, and hands a WAV to hound.
fn open(path: &Path) -> Result<Reader, WavError> {
    let mut file = File::open(path).map_err(|source| WavError::Open {
        path: path.to_owned(),
        source,
    })?;
    let read_err = |source| WavError::Read {
        path: path.to_owned(),
        source,
    };
    let mut head = [0u8; 12];
    let mut n = 0;
    while n < head.len() {
        match file.read(&mut head[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(read_err(e)),
        }
    }
    sniff(path, &head[..n])?;
    file.seek(SeekFrom::Start(0)).map_err(read_err)?;
    hound::WavReader::new(BufReader::new(file)).map_err(|e| match e {
        hound::Error::IoError(e) if is_eof(&e) => WavError::Truncated {
            path: path.to_owned(),
            detail: "the file ends inside its header".to_owned(),
        },
        hound::Error::IoError(e) => read_err(e),
        hound::Error::Unsupported => WavError::Unsupported {
            path: path.to_owned(),
            detail: "compressed or unusual WAV encoding".to_owned(),
            suggestion: converted_name(path),
        },
        other => WavError::Malformed {
            path: path.to_owned(),
            detail: other.to_string(),
        },
    })
}

/// Checks the first bytes: a RIFF/WAVE header, or a clear word on what the file is instead.
fn sniff(path: &Path, head: &[u8]) -> Result<(), WavError> {
    if head.is_empty() {
        return Err(WavError::EmptyFile {
            path: path.to_owned(),
        });
    }
    if head.starts_with(b"RIFF") {
        return match head.get(8..12) {
            None => Err(WavError::Truncated {
                path: path.to_owned(),
                detail: format!("only {} bytes, less than a RIFF header", head.len()),
            }),
            Some(b"WAVE") => Ok(()),
            Some(kind) => Err(not_wav(
                path,
                format!(
                    "a RIFF file of type {:?}, not WAVE",
                    String::from_utf8_lossy(kind)
                ),
            )),
        };
    }
    let what = if head.starts_with(b"RIFX") {
        "a big-endian RIFX file".to_owned()
    } else if head.starts_with(b"RF64") || head.starts_with(b"BW64") {
        "an RF64 (64-bit) WAV, which is not supported".to_owned()
    } else if head.starts_with(b"ID3")
        || (head.len() >= 2 && head[0] == 0xFF && head[1] & 0xE0 == 0xE0)
    {
        "MP3 data, RIFF header missing".to_owned()
    } else if head.starts_with(b"fLaC") {
        "FLAC data, RIFF header missing".to_owned()
    } else if head.starts_with(b"OggS") {
        "Ogg data, RIFF header missing".to_owned()
    } else if head.starts_with(b"FORM") {
        "AIFF data, RIFF header missing".to_owned()
    } else if head.get(4..8) == Some(b"ftyp") {
        "MP4/M4A data, RIFF header missing".to_owned()
    } else if head.starts_with(&[0x1A, 0x45, 0xDF, 0xA3]) {
        "WebM/Matroska data, RIFF header missing".to_owned()
    } else {
        "RIFF header missing".to_owned()
    };
    Err(not_wav(path, what))
}

fn not_wav(path: &Path, what: String) -> WavError {
    WavError::NotWav {
        path: path.to_owned(),
        what,
        suggestion: converted_name(path),
    }
}

/// `x.mp3` -> `x.wav`; `x.wav` -> `x-16k.wav` (so sox does not overwrite its input).
fn converted_name(path: &Path) -> PathBuf {
    let is_wav = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("wav"));
    if is_wav {
        let stem = path.file_stem().unwrap_or_default().to_string_lossy();
        path.with_file_name(format!("{stem}-16k.wav"))
    } else {
        path.with_extension("wav")
    }
}

fn info_of(reader: &Reader) -> WavInfo {
    let spec = reader.spec();
    WavInfo {
        sample_rate_hz: spec.sample_rate,
        channels: spec.channels,
        bits_per_sample: spec.bits_per_sample,
        float: spec.sample_format == hound::SampleFormat::Float,
        frames: u64::from(reader.duration()),
    }
}

fn check_format(path: &Path, info: &WavInfo) -> Result<(), WavError> {
    let unsupported = |detail: String| WavError::Unsupported {
        path: path.to_owned(),
        detail,
        suggestion: converted_name(path),
    };
    if info.channels == 0 || info.sample_rate_hz == 0 {
        return Err(WavError::Malformed {
            path: path.to_owned(),
            detail: format!("{} channels at {} Hz", info.channels, info.sample_rate_hz),
        });
    }
    if !SUPPORTED_RATES_HZ.contains(&info.sample_rate_hz) {
        return Err(unsupported(format!(
            "{} Hz; rates from {} to {} Hz are read",
            info.sample_rate_hz,
            SUPPORTED_RATES_HZ.start(),
            SUPPORTED_RATES_HZ.end()
        )));
    }
    match (info.float, info.bits_per_sample) {
        (true, 32) | (false, 1..=32) => {}
        (true, bits) => return Err(unsupported(format!("{bits}-bit float"))),
        (false, bits) => return Err(unsupported(format!("{bits}-bit integer"))),
    }
    if info.frames == 0 {
        return Err(WavError::NoAudio {
            path: path.to_owned(),
        });
    }
    Ok(())
}

/// hound reports a short read as `Other` with a fixed message, std as `UnexpectedEof`.
fn is_eof(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::UnexpectedEof || e.to_string().contains("read enough bytes")
}

fn sample_error(path: &Path, e: hound::Error, truncated: impl FnOnce() -> WavError) -> WavError {
    match e {
        hound::Error::IoError(e) if is_eof(&e) => truncated(),
        hound::Error::IoError(source) => WavError::Read {
            path: path.to_owned(),
            source,
        },
        other => WavError::Malformed {
            path: path.to_owned(),
            detail: other.to_string(),
        },
    }
}

#[cfg(test)]
#[path = "wav_tests.rs"]
mod tests;
