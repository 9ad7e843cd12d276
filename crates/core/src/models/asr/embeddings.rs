//! The int8 decoder's token embeddings, looked up here rather than in its graph.
//!
//! Whisper's token embedding is tied to its output projection. A graph that both gathers rows
//! from it and multiplies by it keeps two copies resident: ONNX Runtime packs the projection's
//! constant operand for its int8 kernel, and the gather needs the original (~20 MB more). The
//! int8 decoder therefore takes `embeds` [1, T, 384]: the converter cuts the lookup out of the
//! quantized graph and writes the quantized embedding by row beside it
//! (`whisper-token-embeddings.int8`, see `models/convert_whisper.py`): int8 [vocab][384], then
//! one f32 scale and one int8 zero point per token. Dequantized here as the cut nodes did, the
//! logits are bit for bit the same. A step reads only the rows of its tokens from the file.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

/// The model's width.
pub const D_MODEL: usize = 384;
/// Tokens in the vocabulary.
pub const N_VOCAB: usize = 51864;

#[derive(Debug, thiserror::Error)]
pub enum EmbeddingsError {
    #[error("Whisper token embeddings {path} are unreadable: {source}; run `tandem models fetch`")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "Whisper token embeddings {path} hold {found} bytes, expected {expected}; run `tandem models fetch`"
    )]
    Size {
        path: PathBuf,
        found: u64,
        expected: u64,
    },
    #[error("token id {0} is outside the vocabulary")]
    Token(i64),
}

/// The token embeddings file, open, with the per-token scales and zero points in memory.
#[derive(Debug)]
pub struct TokenEmbeddings {
    path: PathBuf,
    file: File,
    scales: Vec<f32>,
    zero_points: Vec<i8>,
    row: Vec<u8>,
}

impl TokenEmbeddings {
    /// The file's size: the rows, the scales, the zero points.
    pub const BYTES: u64 = (N_VOCAB * D_MODEL + N_VOCAB * 4 + N_VOCAB) as u64;

    pub fn open(path: &Path) -> Result<Self, EmbeddingsError> {
        let io = |source| EmbeddingsError::Io {
            path: path.to_owned(),
            source,
        };
        let mut file = File::open(path).map_err(io)?;
        let found = file.metadata().map_err(io)?.len();
        if found != Self::BYTES {
            return Err(EmbeddingsError::Size {
                path: path.to_owned(),
                found,
                expected: Self::BYTES,
            });
        }
        let mut tail = vec![0u8; N_VOCAB * 5];
        file.seek(SeekFrom::Start((N_VOCAB * D_MODEL) as u64))
            .and_then(|_| file.read_exact(&mut tail))
            .map_err(io)?;
        let (scales, zeros) = tail.split_at(N_VOCAB * 4);
        Ok(Self {
            path: path.to_owned(),
            file,
            scales: scales
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect(),
            zero_points: zeros.iter().map(|&b| b as i8).collect(),
            row: vec![0; D_MODEL],
        })
    }

    /// The embeddings of `tokens`, dequantized, appended to `out` (T x 384, row by row).
    pub fn lookup(&mut self, tokens: &[i64], out: &mut Vec<f32>) -> Result<(), EmbeddingsError> {
        for &t in tokens {
            let id = usize::try_from(t)
                .ok()
                .filter(|&id| id < N_VOCAB)
                .ok_or(EmbeddingsError::Token(t))?;
            self.file
                .seek(SeekFrom::Start((id * D_MODEL) as u64))
                .and_then(|_| self.file.read_exact(&mut self.row))
                .map_err(|source| EmbeddingsError::Io {
                    path: self.path.clone(),
                    source,
                })?;
            let (scale, zero) = (self.scales[id], f32::from(self.zero_points[id]));
            out.extend(
                self.row
                    .iter()
                    .map(|&q| (f32::from(q as i8) - zero) * scale),
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A file laid out as the converter writes it, with row t holding t mod 7 - 3 everywhere.
    fn write_fake(path: &Path) {
        let mut bytes = Vec::with_capacity(TokenEmbeddings::BYTES as usize);
        for t in 0..N_VOCAB {
            bytes.extend(std::iter::repeat_n(((t % 7) as i8 - 3) as u8, D_MODEL));
        }
        for t in 0..N_VOCAB {
            bytes.extend_from_slice(&(0.5 + t as f32).to_le_bytes());
        }
        bytes.extend((0..N_VOCAB).map(|t| (t % 2) as u8));
        std::fs::write(path, bytes).unwrap();
    }

    #[test]
    fn rows_are_read_and_dequantized_by_token() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("emb.int8");
        write_fake(&path);
        let mut e = TokenEmbeddings::open(&path).unwrap();
        let mut out = Vec::new();
        e.lookup(&[50258, 3], &mut out).unwrap();
        assert_eq!(out.len(), 2 * D_MODEL);
        // 50258: q = 50258 % 7 - 3 = 2, zero point 0, scale 50258.5.
        assert_eq!(out[0], 2.0 * 50258.5);
        assert!(out[..D_MODEL].iter().all(|&v| v == out[0]));
        // 3: q = 0, zero point 1, scale 3.5.
        assert_eq!(out[D_MODEL], -3.5);
        assert!(matches!(
            e.lookup(&[N_VOCAB as i64], &mut out),
            Err(EmbeddingsError::Token(_))
        ));
        assert!(matches!(
            e.lookup(&[-1], &mut out),
            Err(EmbeddingsError::Token(-1))
        ));
    }

    #[test]
    fn a_truncated_file_is_refused_with_the_fix() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("emb.int8");
        std::fs::write(&path, [0u8; 100]).unwrap();
        let err = TokenEmbeddings::open(&path).unwrap_err().to_string();
        assert!(
            err.contains("100 bytes") && err.contains("tandem models fetch"),
            "{err}"
        );
    }
}
