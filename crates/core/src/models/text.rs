//! What the words are: a pretrained sentence encoder (all-MiniLM-L6-v2, Apache-2.0, converted at
//! fetch time from its safetensors weights to ONNX and quantized to int8 by
//! `models/convert_text_encoder.py`) and our own small head on its embedding (trained by
//! `scripts/text/train.py` on our phrasings; data card `models/text/DATA_CARD.md`), which says what kind of utterance a transcript is: a
//! request to us, a request cut off mid-thought, a backchannel, a cut-in, talk to someone else
//! in the room, one side of a phone call, or the TV. The floor policy reads it instead of word
//! lists (`--policy model`).
//!
//! Interfaces: the encoder takes `input_ids` and `attention_mask` (i64 [n, seq]) and gives
//! `embedding` f32 [n, 384], unit length; the head takes `embedding` and gives `probs` f32
//! [n, 7] in [`KINDS`] order. The tokenizer is BERT's uncased WordPiece, written here from its
//! description (the converter has the same one in Python, and the training script uses it).

use std::collections::HashMap;

use ort::value::TensorRef;
use unicode_normalization::UnicodeNormalization;

use super::Manifest;
use super::cache::{CacheError, ModelCache};
use super::derive::{TEXT_ENCODER, TEXT_VOCAB};
use super::runtime::{Model, Runtime, RuntimeError};
use crate::interaction::TextProbs;

/// The bundled head's name in the manifest and in `models/text/`.
pub const HEAD_FILE: &str = "text/text-head.int8.onnx";
/// The head's bytes, compiled in.
pub const HEAD_BYTES: &[u8] = include_bytes!("../../../../models/text/text-head.int8.onnx");
/// The head's outputs, in order.
pub const KINDS: [&str; 7] = [
    "request",
    "unfinished",
    "backchannel",
    "interruption",
    "side_talk",
    "phone",
    "background",
];
pub const EMBEDDING_DIM: usize = 384;
/// Ids per transcript, [CLS] and [SEP] included (a turn's words fit; a longer one is judged by
/// its opening).
pub const MAX_TOKENS: usize = 64;
/// A word longer than this is unknown.
const MAX_WORD_CHARS: usize = 100;

#[derive(Debug, thiserror::Error)]
pub enum TextError {
    #[error(transparent)]
    Cache(#[from] CacheError),
    #[error(transparent)]
    Runtime(#[from] RuntimeError),
    #[error("cannot read the text encoder's vocabulary {path}: {source}")]
    Vocab {
        path: String,
        source: std::io::Error,
    },
    #[error(
        "the text encoder's vocabulary has no {0} token; run `tandem models fetch` to convert it again"
    )]
    Special(&'static str),
    #[error(transparent)]
    Bundled(#[from] super::BundledError),
    #[error("the text model does not have the expected inputs/outputs: {0}")]
    Signature(String),
    #[error("text model inference failed: {0}")]
    Inference(#[from] ort::Error),
}

/// BERT's uncased WordPiece tokenizer.
#[derive(Debug, Clone)]
pub struct Tokenizer {
    vocab: HashMap<String, i64>,
    cls: i64,
    sep: i64,
    unk: i64,
}

impl Tokenizer {
    /// From a vocabulary with one token per line (the line number is the id).
    pub fn from_lines(text: &str) -> Result<Self, TextError> {
        let vocab: HashMap<String, i64> = text
            .lines()
            .enumerate()
            .map(|(i, t)| (t.to_owned(), i as i64))
            .collect();
        let id = |t: &'static str| vocab.get(t).copied().ok_or(TextError::Special(t));
        Ok(Self {
            cls: id("[CLS]")?,
            sep: id("[SEP]")?,
            unk: id("[UNK]")?,
            vocab,
        })
    }

    /// The ids of `text`: [CLS], its pieces (at most `max_len - 2`), [SEP].
    pub fn encode(&self, text: &str, max_len: usize) -> Vec<i64> {
        let mut ids = vec![self.cls];
        let room = max_len.saturating_sub(2);
        'words: for word in basic_words(text) {
            for id in self.pieces(&word) {
                if ids.len() > room {
                    break 'words;
                }
                ids.push(id);
            }
        }
        ids.push(self.sep);
        ids
    }

    /// Greedy longest-match-first pieces of one word ("##" marks a piece inside a word).
    fn pieces(&self, word: &str) -> Vec<i64> {
        let chars: Vec<char> = word.chars().collect();
        if chars.len() > MAX_WORD_CHARS {
            return vec![self.unk];
        }
        let mut out = Vec::new();
        let mut start = 0;
        let mut piece = String::new();
        while start < chars.len() {
            let mut end = chars.len();
            let found = loop {
                if end == start {
                    break None;
                }
                piece.clear();
                if start > 0 {
                    piece.push_str("##");
                }
                piece.extend(&chars[start..end]);
                if let Some(&id) = self.vocab.get(&piece) {
                    break Some(id);
                }
                end -= 1;
            };
            match found {
                Some(id) => out.push(id),
                None => return vec![self.unk],
            }
            start = end;
        }
        out
    }
}

/// BERT's basic tokenization: control characters out, whitespace normalized, CJK ideographs
/// apart, lower case without accents, punctuation split off as single characters.
fn basic_words(text: &str) -> Vec<String> {
    let mut spaced = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if c == '\0' || c == '\u{fffd}' || is_control(c) {
            continue;
        }
        if c.is_whitespace() {
            spaced.push(' ');
        } else if is_cjk(c) {
            spaced.push(' ');
            spaced.push(c);
            spaced.push(' ');
        } else {
            spaced.push(c);
        }
    }
    let mut words = Vec::new();
    for raw in spaced.split_whitespace() {
        let plain: String = raw
            .to_lowercase()
            .nfd()
            .filter(|&c| !unicode_normalization::char::is_combining_mark(c))
            .collect();
        let mut current = String::new();
        for c in plain.chars() {
            if is_punctuation(c) {
                if !current.is_empty() {
                    words.push(std::mem::take(&mut current));
                }
                words.push(c.to_string());
            } else {
                current.push(c);
            }
        }
        if !current.is_empty() {
            words.push(current);
        }
    }
    words
}

fn is_control(c: char) -> bool {
    if matches!(c, '\t' | '\n' | '\r') {
        return false;
    }
    // Cc, and the common format characters (Cf): soft hyphen, zero-width and direction marks,
    // the byte order mark.
    c.is_control()
        || matches!(c, '\u{ad}' | '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{2064}' | '\u{feff}')
}

fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x4E00..=0x9FFF | 0x3400..=0x4DBF | 0x20000..=0x2A6DF | 0x2A700..=0x2B73F
        | 0x2B740..=0x2B81F | 0x2B820..=0x2CEAF | 0xF900..=0xFAFF | 0x2F800..=0x2FA1F)
}

/// ASCII punctuation and symbols, and the Unicode punctuation blocks a transcript may carry
/// (general punctuation such as curly quotes, dashes and the ellipsis; Latin-1's ¡ « » ¿ and
/// friends; CJK and full-width punctuation).
fn is_punctuation(c: char) -> bool {
    c.is_ascii_punctuation()
        || matches!(c as u32,
            0xA1 | 0xA7 | 0xAB | 0xB6 | 0xB7 | 0xBB | 0xBF | 0x37E | 0x387
            | 0x2010..=0x2027 | 0x2030..=0x2043 | 0x2045..=0x2051 | 0x2053..=0x205E
            | 0x3001..=0x3003 | 0x3008..=0x3011 | 0x3014..=0x301F
            | 0xFF01..=0xFF03 | 0xFF05..=0xFF0A | 0xFF0C..=0xFF0F | 0xFF1A | 0xFF1B
            | 0xFF1F | 0xFF20 | 0xFF3B..=0xFF3D | 0xFF3F | 0xFF5B | 0xFF5D)
}

/// The encoder and the head, with the tokenizer.
#[derive(Debug)]
pub struct TextModel {
    encoder: Model,
    head: Model,
    tokenizer: Tokenizer,
}

impl TextModel {
    /// Loads the verified encoder and vocabulary from the cache and the pinned head from the
    /// binary, on one CPU thread each.
    pub fn load(
        runtime: &Runtime,
        cache: &ModelCache,
        manifest: &Manifest,
    ) -> Result<Self, TextError> {
        let vocab_path = cache.verified_path(manifest, TEXT_VOCAB)?;
        let vocab = std::fs::read_to_string(&vocab_path).map_err(|source| TextError::Vocab {
            path: vocab_path.display().to_string(),
            source,
        })?;
        let tokenizer = Tokenizer::from_lines(&vocab)?;
        let encoder = runtime.load(
            &cache.verified_path(manifest, TEXT_ENCODER)?,
            "text_encoder",
            1,
        )?;
        super::verify_bundled(manifest, HEAD_FILE, HEAD_BYTES)?;
        let head = runtime.load_bundled(HEAD_BYTES, HEAD_FILE, 1)?;
        let pinned = manifest
            .derived
            .iter()
            .find(|d| d.file == TEXT_ENCODER)
            .map(|d| d.sha256.as_str());
        Self::from_models(encoder, head, tokenizer, pinned)
    }

    /// Wraps the sessions after checking their inputs, outputs and labels, and, given the
    /// encoder's pinned sha256, that the head was trained on that encoder.
    pub fn from_models(
        encoder: Model,
        head: Model,
        tokenizer: Tokenizer,
        encoder_sha256: Option<&str>,
    ) -> Result<Self, TextError> {
        let names = |m: &Model| -> (Vec<String>, Vec<String>) {
            (
                m.session
                    .inputs()
                    .iter()
                    .map(|o| o.name().to_owned())
                    .collect(),
                m.session
                    .outputs()
                    .iter()
                    .map(|o| o.name().to_owned())
                    .collect(),
            )
        };
        let (ins, outs) = names(&encoder);
        if ins != ["input_ids", "attention_mask"] || outs != ["embedding"] {
            return Err(TextError::Signature(format!(
                "encoder inputs {ins:?} and outputs {outs:?}, expected [\"input_ids\", \"attention_mask\"] and [\"embedding\"]"
            )));
        }
        let (ins, outs) = names(&head);
        if ins != ["embedding"] || outs != ["probs"] {
            return Err(TextError::Signature(format!(
                "head inputs {ins:?} and outputs {outs:?}, expected [\"embedding\"] and [\"probs\"]"
            )));
        }
        let meta = head.session.metadata()?;
        let kinds = meta.custom("labels");
        let trained_on = meta.custom("encoder_sha256");
        drop(meta);
        if kinds.as_deref() != Some(KINDS.join(",").as_str()) {
            return Err(TextError::Signature(format!(
                "head metadata labels is {kinds:?}, this build reads {}",
                KINDS.join(",")
            )));
        }
        if let Some(pinned) = encoder_sha256
            && trained_on.as_deref() != Some(pinned)
        {
            return Err(TextError::Signature(format!(
                "the head was trained on the encoder {trained_on:?}, the pinned one is {pinned}"
            )));
        }
        Ok(Self {
            encoder,
            head,
            tokenizer,
        })
    }

    /// The sentence embedding of `text` (unit length).
    pub fn embed(&mut self, text: &str) -> Result<Vec<f32>, TextError> {
        let ids = self.tokenizer.encode(text, MAX_TOKENS);
        let mask = vec![1i64; ids.len()];
        let outputs = self.encoder.session.run(ort::inputs![
            "input_ids" => TensorRef::from_array_view(([1usize, ids.len()], ids.as_slice()))?,
            "attention_mask" => TensorRef::from_array_view(([1usize, mask.len()], mask.as_slice()))?,
        ])?;
        let (_, e) = outputs["embedding"].try_extract_tensor::<f32>()?;
        if e.len() != EMBEDDING_DIM {
            return Err(TextError::Signature(format!(
                "{} embedding values, expected {EMBEDDING_DIM}",
                e.len()
            )));
        }
        Ok(e.to_vec())
    }

    /// What kind of utterance `text` is.
    pub fn judge(&mut self, text: &str) -> Result<TextProbs, TextError> {
        let e = self.embed(text)?;
        let outputs = self
            .head
            .session
            .run(ort::inputs![TensorRef::from_array_view((
                [1usize, EMBEDDING_DIM],
                e.as_slice()
            ))?])?;
        let (_, p) = outputs["probs"].try_extract_tensor::<f32>()?;
        match p {
            [
                request,
                unfinished,
                backchannel,
                interruption,
                side_talk,
                phone,
                background,
            ] => Ok(TextProbs {
                request: *request,
                unfinished: *unfinished,
                backchannel: *backchannel,
                interruption: *interruption,
                side_talk: *side_talk,
                phone: *phone,
                background: *background,
            }),
            other => Err(TextError::Signature(format!(
                "`probs` has {} values, expected {}",
                other.len(),
                KINDS.len()
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tok() -> Tokenizer {
        let vocab = [
            "[PAD]", "[UNK]", "[CLS]", "[SEP]", "set", "a", "timer", "for", "ten", "min", "##utes",
            ".", ",", "cafe", "naive", "?", "un", "##aff", "##able", "'", "s", "what", "世",
        ];
        Tokenizer::from_lines(&vocab.join("\n")).unwrap()
    }

    #[test]
    fn wordpiece_splits_words_and_punctuation() {
        let t = tok();
        assert_eq!(
            t.encode("Set a timer for ten minutes.", 64),
            vec![2, 4, 5, 6, 7, 8, 9, 10, 11, 3]
        );
        assert_eq!(t.encode("unaffable", 64), vec![2, 16, 17, 18, 3]);
        // Accents and case go; an unknown word is one [UNK]; curly quotes are punctuation.
        assert_eq!(
            t.encode("CAFÉ naïve, what\u{2019}s", 64),
            vec![2, 13, 14, 12, 21, 1, 20, 3]
        );
        assert_eq!(t.encode("", 64), vec![2, 3]);
        assert_eq!(t.encode("\u{200b}\t世界", 64), vec![2, 22, 1, 3]);
    }

    #[test]
    fn long_text_is_cut_to_the_limit_with_its_end_marker() {
        let t = tok();
        let ids = t.encode(&"timer ".repeat(200), MAX_TOKENS);
        assert_eq!(ids.len(), MAX_TOKENS);
        assert_eq!(ids[0], 2);
        assert_eq!(*ids.last().unwrap(), 3);
    }

    #[test]
    fn a_vocabulary_without_special_tokens_is_refused() {
        assert!(matches!(
            Tokenizer::from_lines("a\nb"),
            Err(TextError::Special("[CLS]"))
        ));
    }
}
