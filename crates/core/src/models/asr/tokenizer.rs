//! Whisper's byte-level BPE vocabulary, for decoding token ids to text. (Recognition never
//! encodes text, so only the id -> text direction is implemented.)

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

#[derive(Debug, thiserror::Error)]
pub enum TokenizerError {
    #[error("cannot read tokenizer {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("tokenizer {path} is malformed: {message}; run `tandem models fetch` to repair it")]
    Malformed { path: PathBuf, message: String },
}

/// Id -> byte string, with the special tokens marked.
#[derive(Debug, Clone)]
pub struct Tokenizer {
    pieces: Vec<Vec<u8>>,
    special: Vec<bool>,
}

#[derive(Deserialize)]
struct File {
    model: Model,
    added_tokens: Vec<Added>,
}

#[derive(Deserialize)]
struct Model {
    vocab: HashMap<String, u32>,
}

#[derive(Deserialize)]
struct Added {
    id: u32,
    content: String,
    special: bool,
}

/// GPT-2's reversible byte <-> printable character map: printable Latin-1 bytes stand for
/// themselves, the other 68 bytes are shifted to U+0100 and up, in byte order.
fn char_to_byte() -> HashMap<char, u8> {
    let mut map = HashMap::with_capacity(256);
    let mut shifted = 0u32;
    for b in 0u32..=255 {
        let printable =
            (0x21..=0x7e).contains(&b) || (0xa1..=0xac).contains(&b) || (0xae..=0xff).contains(&b);
        let c = if printable {
            char::from_u32(b)
        } else {
            shifted += 1;
            char::from_u32(255 + shifted)
        }
        .expect("valid code point");
        map.insert(c, b as u8);
    }
    map
}

impl Tokenizer {
    pub fn load(path: &Path) -> Result<Self, TokenizerError> {
        let bytes = std::fs::read(path).map_err(|source| TokenizerError::Read {
            path: path.to_owned(),
            source,
        })?;
        let malformed = |message: String| TokenizerError::Malformed {
            path: path.to_owned(),
            message,
        };
        let file: File = serde_json::from_slice(&bytes).map_err(|e| malformed(e.to_string()))?;
        let n = file
            .model
            .vocab
            .values()
            .chain(file.added_tokens.iter().map(|a| &a.id))
            .max()
            .map_or(0, |m| *m as usize + 1);
        let mut pieces = vec![Vec::new(); n];
        let mut special = vec![false; n];
        let map = char_to_byte();
        for (piece, id) in &file.model.vocab {
            let bytes: Option<Vec<u8>> = piece.chars().map(|c| map.get(&c).copied()).collect();
            pieces[*id as usize] = bytes
                .ok_or_else(|| malformed(format!("token {id} `{piece}` is not byte-level")))?;
        }
        for a in &file.added_tokens {
            pieces[a.id as usize] = a.content.as_bytes().to_vec();
            special[a.id as usize] = a.special;
        }
        Ok(Self { pieces, special })
    }

    pub fn vocab_size(&self) -> usize {
        self.pieces.len()
    }

    pub fn is_special(&self, id: u32) -> bool {
        self.special.get(id as usize).copied().unwrap_or(true)
    }

    /// The bytes of one token (empty for special tokens and unknown ids).
    pub fn piece(&self, id: u32) -> &[u8] {
        if self.is_special(id) {
            return &[];
        }
        self.pieces.get(id as usize).map_or(&[], Vec::as_slice)
    }

    /// Text of a token sequence, special tokens skipped; invalid UTF-8 is replaced.
    pub fn decode(&self, ids: &[u32]) -> String {
        let bytes: Vec<u8> = ids
            .iter()
            .flat_map(|&id| self.piece(id).iter().copied())
            .collect();
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_map_is_a_bijection() {
        let m = char_to_byte();
        assert_eq!(m.len(), 256);
        let mut bytes: Vec<u8> = m.values().copied().collect();
        bytes.sort_unstable();
        bytes.dedup();
        assert_eq!(bytes.len(), 256);
        assert_eq!(m[&'Ġ'], b' ');
        assert_eq!(m[&'A'], b'A');
    }
}
