//! Averaged-perceptron part-of-speech tagger (Penn Treebank tags) from `tagger.json.gz`. Words
//! with one dominant tag are answered from the tag dictionary; the rest are scored from features
//! of the word, its neighbours and the two previous tags.

use std::collections::{HashMap, HashSet};

use serde::Deserialize;

use super::text::{is_alpha, is_digits, is_lower, is_upper, last_chars, lower};

const START: [&str; 2] = ["-START2-", "-START-"];
const END: [&str; 2] = ["-END-", "-END2-"];

#[derive(Debug, Deserialize)]
struct Model {
    tags: Vec<String>,
    tagdict: HashMap<String, String>,
    #[serde(default)]
    vocab: Option<Vec<String>>,
    weights: HashMap<String, HashMap<String, f64>>,
}

/// The loaded tagger.
#[derive(Debug)]
pub struct Tagger {
    tags: Vec<String>,
    tagdict: HashMap<String, u16>,
    vocab: Option<HashSet<String>>,
    /// Feature -> (tag index, weight), in file order.
    weights: HashMap<String, Vec<(u16, f64)>>,
}

/// The word as the feature window sees it.
fn norm(w: &str) -> String {
    let first = w.chars().next();
    if w.contains('-') && first != Some('-') {
        "!HYPHEN".into()
    } else if is_digits(w) && w.chars().count() == 4 {
        "!YEAR".into()
    } else if first.is_some_and(super::text::is_digit_char) {
        "!DIGITS".into()
    } else {
        lower(w)
    }
}

/// Orthographic shape: "x", "Xx", "XX", "X1", "xX", "d", or a 4-character sketch.
fn shape(w: &str) -> String {
    if is_alpha(w) {
        if is_lower(w) {
            return "x".into();
        }
        if is_upper(w) {
            return if w.chars().count() > 1 { "XX" } else { "X1" }.into();
        }
        let rest = super::text::drop_first(w);
        if w.chars().next().is_some_and(char::is_uppercase) && is_lower(rest) {
            return "Xx".into();
        }
        return "xX".into();
    }
    if is_digits(w) {
        return "d".into();
    }
    w.chars()
        .take(4)
        .map(|c| {
            if super::text::is_digit_char(c) {
                'd'
            } else if c.is_alphabetic() {
                'x'
            } else {
                c
            }
        })
        .collect()
}

impl Tagger {
    /// Parses the decompressed `tagger.json`.
    pub fn from_json(text: &str) -> Result<Self, serde_json::Error> {
        let m: Model = serde_json::from_str(text)?;
        let index: HashMap<&str, u16> = m
            .tags
            .iter()
            .enumerate()
            .map(|(i, t)| (t.as_str(), i as u16))
            .collect();
        let tag_of = |t: &str| index.get(t).copied();
        let tagdict = m
            .tagdict
            .iter()
            .filter_map(|(w, t)| Some((w.clone(), tag_of(t)?)))
            .collect();
        let weights = m
            .weights
            .iter()
            .map(|(f, ws)| {
                let v = ws
                    .iter()
                    .filter_map(|(t, w)| Some((tag_of(t)?, *w)))
                    .collect();
                (f.clone(), v)
            })
            .collect();
        Ok(Self {
            tagdict,
            vocab: m.vocab.map(|v| v.into_iter().collect()),
            weights,
            tags: m.tags,
        })
    }

    fn predict(&self, feats: &[String], scores: &mut [f64]) -> u16 {
        scores.fill(0.0);
        let mut any = false;
        for f in feats {
            if let Some(ws) = self.weights.get(f) {
                for &(t, w) in ws {
                    scores[t as usize] += w;
                    any = true;
                }
            }
        }
        if !any {
            return self.nn();
        }
        // Highest score; ties go to the tag that sorts last.
        let mut best = 0usize;
        for i in 1..self.tags.len() {
            let (a, b) = (scores[i], scores[best]);
            if a > b || (a == b && self.tags[i] > self.tags[best]) {
                best = i;
            }
        }
        best as u16
    }

    fn nn(&self) -> u16 {
        self.tags.iter().position(|t| t == "NN").unwrap_or(0) as u16
    }

    /// The tag's name.
    pub fn name(&self, tag: u16) -> &str {
        &self.tags[tag as usize]
    }

    /// Tags for a sentence's tokens.
    pub fn tag<S: AsRef<str>>(&self, words: &[S]) -> Vec<String> {
        let mut ctx: Vec<String> = START.iter().map(|s| (*s).to_owned()).collect();
        for w in words {
            let w = w.as_ref();
            let n = norm(w);
            let known = self.vocab.as_ref().is_none_or(|v| v.contains(&n));
            ctx.push(if known { n } else { format!("<{}>", shape(w)) });
        }
        ctx.extend(END.iter().map(|s| (*s).to_owned()));
        let mut scores = vec![0.0; self.tags.len()];
        let (mut prev, mut prev2) = (START[1].to_owned(), START[0].to_owned());
        let mut out = Vec::with_capacity(words.len());
        for (i, w) in words.iter().enumerate() {
            let w = w.as_ref();
            let tag = match self.tagdict.get(w) {
                Some(&t) => t,
                None => {
                    let j = i + 2;
                    let first: String = w.chars().take(1).collect();
                    let feats = [
                        "b".to_owned(),
                        format!("s3={}", last_chars(w, 3)),
                        format!("p1={first}"),
                        format!("w={}", ctx[j]),
                        format!("sh={}", shape(w)),
                        if i == 0 { "i0" } else { "i+" }.to_owned(),
                        format!("t-1={prev}"),
                        format!("t-2={prev2}"),
                        format!("t-12={prev},{prev2}"),
                        format!("w-1={}", ctx[j - 1]),
                        format!("s3-1={}", last_chars(&ctx[j - 1], 3)),
                        format!("w-2={}", ctx[j - 2]),
                        format!("w+1={}", ctx[j + 1]),
                        format!("s3+1={}", last_chars(&ctx[j + 1], 3)),
                        format!("w+2={}", ctx[j + 2]),
                    ];
                    self.predict(&feats, &mut scores)
                }
            };
            let name = self.name(tag).to_owned();
            prev2 = std::mem::replace(&mut prev, name.clone());
            out.push(name);
        }
        out
    }
}
