//! Averaged-perceptron part-of-speech tagger (Penn Treebank tags) from `tagger.json.gz`. Words
//! with one dominant tag are answered from the tag dictionary; the rest are scored from features
//! of the word, its neighbours and the two previous tags.

use std::collections::{HashMap, HashSet};

use serde::Deserialize;

use super::dict::{offset, sorted_last_of_each};
use super::text::{is_alpha, is_digits, is_lower, is_upper, last_chars, lower};

const START: [&str; 2] = ["-START2-", "-START-"];
const END: [&str; 2] = ["-END-", "-END2-"];

#[derive(Debug, Deserialize)]
struct Model {
    tags: Vec<String>,
    tagdict: HashMap<String, String>,
    #[serde(default)]
    vocab: Option<Vec<String>>,
    weights: ReadWeights,
}

/// The loaded tagger.
#[derive(Debug)]
pub struct Tagger {
    tags: Vec<String>,
    tagdict: HashMap<String, u16>,
    vocab: Option<HashSet<String>>,
    weights: Weights,
}

/// Feature -> (tag, weight) pairs, compact: the ~80 000 feature names back to back in one
/// string with a sorted index, their ~290 000 weights in two flat arrays (a map of maps held
/// ~15 MB; this ~5 MB).
#[derive(Debug, Default)]
struct Weights {
    names: String,
    /// Sorted by name: (name start, name end, end of its pairs in `tag`/`weight`); its pairs
    /// start where the previous feature's end, in file order.
    index: Vec<(u32, u32, u32)>,
    tag: Vec<u16>,
    weight: Vec<f64>,
}

/// [`Weights`] as read straight from the JSON: tags numbered as first met there, until
/// [`ReadWeights::renumber`] numbers them by the model's tag list.
#[derive(Debug, Default)]
struct ReadWeights {
    weights: Weights,
    /// Tag names in the numbering of `weights.tag`.
    seen: Vec<String>,
}

impl Weights {
    fn name(&self, i: &(u32, u32, u32)) -> &str {
        &self.names[i.0 as usize..i.1 as usize]
    }

    /// The (tag, weight) pairs of feature `f`.
    fn get(&self, f: &str) -> Option<impl Iterator<Item = (u16, f64)> + '_> {
        let i = self.index.binary_search_by(|e| self.name(e).cmp(f)).ok()?;
        let start = if i == 0 { 0 } else { self.index[i - 1].2 } as usize;
        let end = self.index[i].2 as usize;
        Some(
            self.tag[start..end]
                .iter()
                .copied()
                .zip(self.weight[start..end].iter().copied()),
        )
    }
}

impl ReadWeights {
    /// Numbers tags by `index` (the model's list), dropping pairs of tags it lacks.
    fn renumber(self, index: &HashMap<&str, u16>) -> Weights {
        let ReadWeights { mut weights, seen } = self;
        let map: Vec<Option<u16>> = seen
            .iter()
            .map(|t| index.get(t.as_str()).copied())
            .collect();
        let (mut tag, mut weight) = (Vec::new(), Vec::new());
        let mut start = 0usize;
        for e in &mut weights.index {
            for j in start..e.2 as usize {
                if let Some(t) = map[weights.tag[j] as usize] {
                    tag.push(t);
                    weight.push(weights.weight[j]);
                }
            }
            start = e.2 as usize;
            e.2 = offset(tag.len());
        }
        tag.shrink_to_fit();
        weight.shrink_to_fit();
        Weights {
            tag,
            weight,
            ..weights
        }
    }
}

/// Pairs stored by feature as read, then the index sorted (a repeated name keeps its last
/// pairs, as a map would).
impl<'de> Deserialize<'de> for ReadWeights {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Pairs<'w>(&'w mut ReadWeights);
        impl<'de> serde::de::DeserializeSeed<'de> for Pairs<'_> {
            type Value = ();
            fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
                d.deserialize_map(self)
            }
        }
        impl<'de> serde::de::Visitor<'de> for Pairs<'_> {
            type Value = ();
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an object of tags and weights")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut m: A) -> Result<(), A::Error> {
                let ReadWeights { weights: w, seen } = self.0;
                while let Some((t, x)) = m.next_entry::<std::borrow::Cow<'de, str>, f64>()? {
                    let n = match seen.iter().position(|s| *s == t) {
                        Some(n) => n,
                        None => {
                            seen.push(t.into_owned());
                            seen.len() - 1
                        }
                    };
                    w.tag
                        .push(u16::try_from(n).map_err(serde::de::Error::custom)?);
                    w.weight.push(x);
                }
                Ok(())
            }
        }
        struct Features;
        impl<'de> serde::de::Visitor<'de> for Features {
            type Value = ReadWeights;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an object of features")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut m: A,
            ) -> Result<ReadWeights, A::Error> {
                let mut read_weights = ReadWeights::default();
                // (name start, name end, pairs start, pairs end) in file order.
                let mut read: Vec<(u32, u32, u32, u32)> = Vec::new();
                while let Some(name) = m.next_key::<std::borrow::Cow<'de, str>>()? {
                    let w = &mut read_weights.weights;
                    let start = w.names.len();
                    w.names.push_str(&name);
                    let pairs = w.tag.len();
                    m.next_value_seed(Pairs(&mut read_weights))?;
                    let w = &read_weights.weights;
                    read.push((
                        offset(start),
                        offset(w.names.len()),
                        offset(pairs),
                        offset(w.tag.len()),
                    ));
                }
                let w = &mut read_weights.weights;
                let names = &w.names;
                let kept = sorted_last_of_each(read, |e| &names[e.0 as usize..e.1 as usize]);
                // Pairs in the index's order, so each feature's end is the next one's start.
                let (mut tag, mut weight) = (
                    Vec::with_capacity(w.tag.len()),
                    Vec::with_capacity(w.weight.len()),
                );
                w.index = kept
                    .iter()
                    .map(|&(s, e, p, q)| {
                        tag.extend_from_slice(&w.tag[p as usize..q as usize]);
                        weight.extend_from_slice(&w.weight[p as usize..q as usize]);
                        (s, e, offset(tag.len()))
                    })
                    .collect();
                w.tag = tag;
                w.weight = weight;
                w.names.shrink_to_fit();
                Ok(read_weights)
            }
        }
        d.deserialize_map(Features)
    }
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
        let weights = m.weights.renumber(&index);
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
                for (t, w) in ws {
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
