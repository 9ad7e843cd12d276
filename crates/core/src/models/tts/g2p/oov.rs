//! Out-of-vocabulary words: a small character transformer (`oov.onnx`) trained on espeak-ng's
//! readings; one ONNX call per word, output collapsed CTC-style (repeats merged, blanks dropped).

use std::collections::HashMap;

use ort::value::TensorRef;
use serde::Deserialize;

use crate::models::runtime::Model;
use crate::models::tts::TtsError;

#[derive(Debug, Deserialize)]
struct Meta {
    #[serde(rename = "in")]
    input: Vec<String>,
    out: Vec<String>,
    maxlen: usize,
}

/// The loaded OOV net.
#[derive(Debug)]
pub struct Oov {
    model: Model,
    input: HashMap<char, i64>,
    output: Vec<String>,
    maxlen: usize,
}

impl Oov {
    /// `meta_json`: `oov.json` (the character tables).
    pub fn new(model: Model, meta_json: &str) -> Result<Self, TtsError> {
        let meta: Meta = serde_json::from_str(meta_json)
            .map_err(|e| TtsError::Asset(format!("oov.json: {e}")))?;
        let mut input = HashMap::new();
        for (i, s) in meta.input.iter().enumerate() {
            let mut cs = s.chars();
            if let (Some(c), None) = (cs.next(), cs.next()) {
                input.insert(c, i as i64 + 1);
            }
        }
        Ok(Self {
            model,
            input,
            output: meta.out,
            maxlen: meta.maxlen,
        })
    }

    /// Phonemes for one word; `None` if none of its characters are known.
    pub fn pronounce(&mut self, word: &str) -> Result<Option<String>, TtsError> {
        let ids: Vec<i64> = word
            .chars()
            .filter_map(|c| self.input.get(&c).copied())
            .take(self.maxlen)
            .collect();
        if ids.is_empty() {
            return Ok(None);
        }
        let outputs = self
            .model
            .session
            .run(ort::inputs![TensorRef::from_array_view((
                [1usize, ids.len()],
                ids.as_slice()
            ))?])?;
        let (_, out) = outputs[0].try_extract_tensor::<i64>()?;
        let mut ps = String::new();
        let mut prev = 0i64;
        for &i in out {
            if i != prev
                && i != 0
                && let Some(s) = usize::try_from(i - 1).ok().and_then(|k| self.output.get(k))
            {
                ps.push_str(s);
            }
            prev = i;
        }
        Ok(Some(ps))
    }
}
