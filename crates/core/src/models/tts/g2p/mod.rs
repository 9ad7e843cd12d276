//! Text to misaki-style phonemes (the alphabet hibari was trained on), without spaCy or
//! espeak-ng: normalize -> tokenize -> tag -> lexicon (with part-of-speech and context rules) ->
//! the OOV net for unknown words -> stress resolution inside hyphenated/compound groups.
//!
//! Behaviour follows hibari's published pipeline so that the phoneme strings match its Python
//! package; the parity set in `tests/fixtures/tts/` measures that.

mod dict;
mod lexicon;
mod lexnum;
mod normalize;
pub mod numbers;
mod oov;
mod stress;
mod tagger;
mod text;
mod tokenize;

use std::collections::HashMap;

use fancy_regex::Regex;

pub use dict::{Dict, Entry};
pub use lexicon::{Ctx, Lexicon, WordIn};
pub use normalize::{Normalizer, Tables};
pub use oov::Oov;
pub use tagger::Tagger;
pub use tokenize::Tokenizer;

use super::TtsError;
use stress::{PRIMARY, is_consonant, is_vowel};

const SUBTOKEN: &str = r"^['‘’]+|[A-ZÀ-ÖØ-Þ](?=[A-ZÀ-ÖØ-Þ][a-zß-öø-ÿ])|(?:^-)?(?:\d?[,.]?\d)+|[-_]+|['‘’]{2,}|[^\W\d_]*?(?:['‘’][^\W\d_])*?[a-zß-öø-ÿ](?=[A-ZÀ-ÖØ-Þ])|[^\W\d_]+(?:['‘’][^\W\d_])*|[^\w\-'‘’]|['‘’]+$";
const LINK: &str = r"\[([^\]]+)\]\(([^\)]*)\)";
const FALLBACK_PIECE: &str = r"[^\W\d_]+(?:['’][^\W\d_]+)*|\d+(?:[,.]\d+)*|[^\w\s]+";
/// Characters that carry no sound inside a token group.
const JUNK: &str = "',-._‘’/";
const PUNCTS: &str = ";:,.!?—…\"“”";
const NON_QUOTE_PUNCTS: &str = ";:,.!?—…";
const PUNCT_TAGS: [&str; 10] = [
    ".", ",", "-LRB-", "-RRB-", "``", "\"\"", "''", ":", "$", "#",
];
const NFP: &str = "NFP";

/// What espeak-ng said for symbols in the reference pipeline.
fn symbol_phonemes(c: char) -> &'static str {
    match c {
        '/' => "slˈæʃ",
        '=' => "ˈikwᵊlz",
        '+' => "plˈʌs",
        '&' => "ænd",
        '@' => "æt",
        '%' => "pəɹsˈɛnt",
        '#' => "hˈæʃ",
        '*' => "ˈæstəɹˌɪsk",
        '~' => "tˈɪldə",
        '^' => "kˈɛɹət",
        '<' => "lˈɛs ðən",
        '>' => "ɡɹˈATəɹ ðən",
        '—' => "—",
        _ => "",
    }
}

fn punct_tag_phonemes(tag: &str) -> Option<&'static str> {
    match tag {
        "-LRB-" => Some("("),
        "-RRB-" => Some(")"),
        "``" => Some("“"),
        "\"\"" | "''" => Some("”"),
        _ => None,
    }
}

fn is_punct_tag(tag: &str) -> bool {
    PUNCT_TAGS.contains(&tag) || tag == NFP
}

#[derive(Debug, Clone, Default)]
struct Tok {
    text: String,
    tag: String,
    /// Whitespace followed the token.
    ws: bool,
    phonemes: Option<String>,
    /// First piece of its token group.
    is_head: bool,
    alias: Option<String>,
    currency: Option<String>,
    /// Keep a space before this piece when the group is joined.
    prespace: bool,
}

impl Tok {
    fn fixed(&self) -> bool {
        self.alias.is_some() || self.phonemes.is_some()
    }

    fn as_word(&self) -> WordIn<'_> {
        WordIn {
            text: self.alias.as_deref().unwrap_or(&self.text),
            tag: &self.tag,
            currency: self.currency.as_deref(),
            is_head: self.is_head,
        }
    }
}

#[derive(Debug)]
enum Word {
    One(Tok),
    Group(Vec<Tok>),
}

/// The text of tokens joined as written.
fn joined_text(toks: &[Tok]) -> String {
    let mut s = String::new();
    for (i, t) in toks.iter().enumerate() {
        s.push_str(&t.text);
        if t.ws && i + 1 < toks.len() {
            s.push(' ');
        }
    }
    s
}

/// A group merged into one token for a lookup.
fn merge(toks: &[Tok]) -> Tok {
    let weight = |t: &Tok| -> usize {
        t.text
            .chars()
            .map(|c| {
                let mut l = c.to_lowercase();
                if l.next() == Some(c) && l.next().is_none() {
                    1
                } else {
                    2
                }
            })
            .sum()
    };
    let mut best = 0;
    for (i, t) in toks.iter().enumerate() {
        if weight(t) > weight(&toks[best]) {
            best = i;
        }
    }
    Tok {
        text: joined_text(toks),
        tag: toks[best].tag.clone(),
        ws: toks.last().is_some_and(|t| t.ws),
        phonemes: None,
        is_head: toks[0].is_head,
        alias: None,
        currency: toks.iter().filter_map(|t| t.currency.clone()).max(),
        prespace: toks[0].prespace,
    }
}

/// Phonemes of a group for the output, with spaces where pieces keep them.
fn merge_phonemes(toks: &[Tok]) -> String {
    let mut ps = String::new();
    for t in toks {
        let p = t.phonemes.as_deref().unwrap_or("");
        if t.prespace && !p.is_empty() && ps.chars().last().is_some_and(|c| !c.is_whitespace()) {
            ps.push(' ');
        }
        ps.push_str(p);
    }
    ps
}

fn next_ctx(ctx: Ctx, ps: Option<&str>, text: &str, tag: &str) -> Ctx {
    let mut vowel = ctx.future_vowel;
    if let Some(c) = ps
        .unwrap_or("")
        .chars()
        .find(|&c| is_vowel(c) || is_consonant(c) || NON_QUOTE_PUNCTS.contains(c))
    {
        vowel = if NON_QUOTE_PUNCTS.contains(c) {
            None
        } else {
            Some(is_vowel(c))
        };
    }
    Ctx {
        future_vowel: vowel,
        future_to: matches!(text, "to" | "To") || (text == "TO" && matches!(tag, "TO" | "IN")),
    }
}

/// The G2P assets, loaded.
#[derive(Debug)]
pub struct G2pAssets {
    pub gold: Dict,
    pub silver: Dict,
    pub tagger: Tagger,
    pub tables: Tables,
    pub exceptions: HashMap<String, Vec<String>>,
}

/// Text to phonemes.
#[derive(Debug)]
pub struct G2p {
    normalizer: Normalizer,
    tokenizer: Tokenizer,
    tagger: Tagger,
    lexicon: Lexicon,
    oov: Option<Oov>,
    subtoken: Regex,
    link: Regex,
    fallback_piece: Regex,
}

fn compile(p: &str) -> Result<Regex, TtsError> {
    Regex::new(p).map_err(|e| TtsError::Asset(format!("G2P pattern: {e}")))
}

impl G2p {
    /// Builds the pipeline; without `oov`, unknown words are skipped.
    pub fn new(assets: G2pAssets, oov: Option<Oov>) -> Result<Self, TtsError> {
        Ok(Self {
            normalizer: Normalizer::new(assets.tables)?,
            tokenizer: Tokenizer::new(assets.exceptions)?,
            tagger: assets.tagger,
            lexicon: Lexicon::new(assets.gold, assets.silver),
            oov,
            subtoken: compile(SUBTOKEN)?,
            link: compile(LINK)?,
            fallback_piece: compile(FALLBACK_PIECE)?,
        })
    }

    pub fn normalizer(&self) -> &Normalizer {
        &self.normalizer
    }

    /// The phoneme string for one sentence (normalized first).
    pub fn phonemize(&mut self, text: &str) -> Result<String, TtsError> {
        let text = self.normalizer.normalize(text);
        self.phonemize_normalized(&text)
    }

    /// The phoneme string for already-normalized text.
    pub fn phonemize_normalized(&mut self, text: &str) -> Result<String, TtsError> {
        let toks = self.tokens(text);
        if toks.is_empty() {
            return Ok(String::new());
        }
        let words = self.retokenize(toks);
        let mut out = String::new();
        for (ps, ws) in self.resolve(words)? {
            let ps = ps.replace('ɾ', "T").replace('ʔ', "t");
            out.push_str(&ps);
            if ws {
                out.push(' ');
            }
        }
        Ok(out.trim().to_owned())
    }

    /// Tokens with tags; `[word](/phonemes/)` sets a word's phonemes directly.
    fn tokens(&self, text: &str) -> Vec<Tok> {
        let mut toks = Vec::new();
        let mut pos = 0;
        for caps in self.link.captures_iter(text).flatten() {
            let (Some(m), Some(word), Some(target)) = (caps.get(0), caps.get(1), caps.get(2))
            else {
                continue;
            };
            toks.extend(self.plain_tokens(&text[pos..m.start()]));
            let f = target.as_str();
            let phonemes = (f.len() > 1 && f.starts_with('/') && f.ends_with('/'))
                .then(|| f[1..].trim_end_matches('/').to_owned());
            toks.push(Tok {
                text: word.as_str().to_owned(),
                tag: "NN".into(),
                ws: text[m.end()..]
                    .chars()
                    .next()
                    .is_some_and(char::is_whitespace),
                phonemes,
                is_head: true,
                ..Tok::default()
            });
            pos = m.end();
        }
        toks.extend(self.plain_tokens(&text[pos..]));
        toks
    }

    fn plain_tokens(&self, text: &str) -> Vec<Tok> {
        let pieces = self.tokenizer.tokenize(text);
        if pieces.is_empty() {
            return Vec::new();
        }
        let words: Vec<&str> = pieces.iter().map(|(t, _)| t.as_str()).collect();
        let tags = self.tagger.tag(&words);
        pieces
            .iter()
            .zip(tags)
            .map(|((t, ws), tag)| Tok {
                text: t.clone(),
                tag,
                ws: *ws,
                is_head: true,
                ..Tok::default()
            })
            .collect()
    }

    /// Splits tokens into sub-tokens (letters, digit runs, case changes), marks punctuation and
    /// currency, and groups pieces that were written together.
    fn retokenize(&self, tokens: Vec<Tok>) -> Vec<Word> {
        let mut words: Vec<Word> = Vec::new();
        let mut currency: Option<String> = None;
        let tags: Vec<String> = tokens.iter().map(|t| t.tag.clone()).collect();
        for (i, token) in tokens.into_iter().enumerate() {
            let mut subs: Vec<Tok> = if token.fixed() {
                vec![token.clone()]
            } else {
                self.subtoken
                    .find_iter(&token.text)
                    .flatten()
                    .map(|m| Tok {
                        text: m.as_str().to_owned(),
                        ws: false,
                        is_head: true,
                        prespace: false,
                        ..token.clone()
                    })
                    .collect()
            };
            let Some(last) = subs.last_mut() else {
                continue;
            };
            last.ws = token.ws;
            let n = subs.len();
            let texts: Vec<String> = subs.iter().map(|t| t.text.clone()).collect();
            for (j, mut tk) in subs.into_iter().enumerate() {
                if tk.fixed() {
                } else if tk.tag == "$" && Lexicon::currency_units(&tk.text).is_some() {
                    currency = Some(tk.text.clone());
                    tk.phonemes = Some(String::new());
                } else if tk.tag == ":" && (tk.text == "-" || tk.text == "–") {
                    tk.phonemes = Some("—".into());
                } else if is_punct_tag(&tk.tag)
                    && !tk
                        .text
                        .chars()
                        .all(|c| c.to_lowercase().all(|l| l.is_ascii_lowercase()))
                {
                    tk.phonemes = Some(match punct_tag_phonemes(&tk.tag) {
                        Some(p) => p.to_owned(),
                        None => tk.text.chars().filter(|c| PUNCTS.contains(*c)).collect(),
                    });
                } else if currency.is_some() {
                    if tk.tag != "CD" {
                        currency = None;
                    } else if j + 1 == n && tags.get(i + 1).is_none_or(|t| t != "CD") {
                        tk.currency = currency.clone();
                    }
                } else if 0 < j && j + 1 < n && tk.text == "2" {
                    let around: String = texts[j - 1]
                        .chars()
                        .last()
                        .into_iter()
                        .chain(texts[j + 1].chars().next())
                        .collect();
                    if text::is_alpha(&around) {
                        tk.alias = Some("to".into());
                    }
                }
                if tk.fixed() {
                    words.push(Word::One(tk));
                } else if let Some(Word::Group(g)) = words.last_mut()
                    && g.last().is_some_and(|t| !t.ws)
                {
                    tk.is_head = false;
                    g.push(tk);
                } else if tk.ws {
                    words.push(Word::One(tk));
                } else {
                    words.push(Word::Group(vec![tk]));
                }
            }
        }
        words
            .into_iter()
            .map(|w| match w {
                Word::Group(mut g) if g.len() == 1 => Word::One(g.remove(0)),
                w => w,
            })
            .collect()
    }

    /// Unknown word: letters go to the OOV net, digit runs to the number reader, symbols to a
    /// small table.
    fn fallback(&mut self, text: &str) -> Result<String, TtsError> {
        let pieces: Vec<String> = self
            .fallback_piece
            .find_iter(text)
            .flatten()
            .map(|m| m.as_str().to_owned())
            .collect();
        let mut out = Vec::new();
        for piece in pieces {
            let first = piece.chars().next().unwrap_or(' ');
            let ps = if Lexicon::is_digit_char(first) {
                self.lexicon.number(&piece, None, false)
            } else if first.is_alphabetic() {
                match self.oov.as_mut() {
                    Some(oov) => oov.pronounce(&piece)?,
                    None => None,
                }
            } else {
                Some(piece.chars().map(symbol_phonemes).collect())
            };
            if let Some(ps) = ps.filter(|p| !p.is_empty()) {
                out.push(ps);
            }
        }
        Ok(out.join(" "))
    }

    /// Fills in phonemes right to left (each word sees the one after it) and returns
    /// `(phonemes, whitespace after)` per output token.
    fn resolve(&mut self, mut words: Vec<Word>) -> Result<Vec<(String, bool)>, TtsError> {
        let mut ctx = Ctx::default();
        for w in words.iter_mut().rev() {
            match w {
                Word::One(tk) => {
                    if tk.phonemes.is_none() {
                        tk.phonemes = self.lexicon.pronounce(tk.as_word(), &ctx);
                    }
                    if tk.phonemes.is_none() {
                        let text = tk.text.clone();
                        tk.phonemes = Some(self.fallback(&text)?);
                    }
                    ctx = next_ctx(ctx, tk.phonemes.as_deref(), &tk.text, &tk.tag);
                }
                Word::Group(g) => ctx = self.resolve_group(g, ctx)?,
            }
        }
        Ok(words
            .into_iter()
            .map(|w| match w {
                Word::One(t) => (t.phonemes.unwrap_or_default(), t.ws),
                Word::Group(g) => (merge_phonemes(&g), g.last().is_some_and(|t| t.ws)),
            })
            .collect())
    }

    /// A group of pieces written together: the longest span (from the right) the lexicon
    /// knows wins; if a piece is left that it cannot read, the whole group goes to the fallback.
    fn resolve_group(&mut self, g: &mut [Tok], mut ctx: Ctx) -> Result<Ctx, TtsError> {
        let (mut left, mut right) = (0, g.len());
        let mut needs_fallback = false;
        while left < right {
            let span = &g[left..right];
            let found = if span.iter().any(Tok::fixed) {
                None
            } else {
                let tk = merge(span);
                self.lexicon
                    .pronounce(tk.as_word(), &ctx)
                    .map(|ps| (ps, tk))
            };
            if let Some((ps, tk)) = found {
                ctx = next_ctx(ctx, Some(&ps), &tk.text, &tk.tag);
                g[left].phonemes = Some(ps);
                for x in &mut g[left + 1..right] {
                    x.phonemes = Some(String::new());
                }
                right = left;
                left = 0;
            } else if left + 1 < right {
                left += 1;
            } else {
                right -= 1;
                let tk = &mut g[right];
                if tk.phonemes.is_none() {
                    if tk.text.chars().all(|c| JUNK.contains(c)) {
                        tk.phonemes = Some(String::new());
                    } else {
                        needs_fallback = true;
                        break;
                    }
                }
                left = 0;
            }
        }
        if needs_fallback {
            let tk = merge(g);
            let ps = self.fallback(&tk.text)?;
            g[0].phonemes = Some(ps);
            for x in &mut g[1..] {
                x.phonemes = Some(String::new());
            }
        } else {
            resolve_stress(g);
        }
        Ok(ctx)
    }
}

/// Inside a group that reads as one word, keeps primary stress on the heavier half.
fn resolve_stress(g: &mut [Tok]) {
    let text = joined_text(g);
    let classes: std::collections::HashSet<u8> = text
        .chars()
        .filter(|c| !JUNK.contains(*c))
        .map(|c| {
            if c.is_alphabetic() {
                0
            } else if c.is_ascii_digit() {
                1
            } else {
                2
            }
        })
        .collect();
    let prespace = text.contains(' ') || text.contains('/') || classes.len() > 1;
    let n = g.len();
    for (i, tk) in g.iter_mut().enumerate() {
        if tk.phonemes.is_none() {
            if i + 1 == n && NON_QUOTE_PUNCTS.contains(tk.text.as_str()) {
                tk.phonemes = Some(tk.text.clone());
            } else if tk.text.chars().all(|c| JUNK.contains(c)) {
                tk.phonemes = Some(String::new());
            }
        } else if i > 0 {
            tk.prespace = prespace;
        }
    }
    if prespace {
        return;
    }
    let mut idx: Vec<(bool, usize, usize)> = g
        .iter()
        .enumerate()
        .filter_map(|(i, t)| {
            let p = t.phonemes.as_deref().filter(|p| !p.is_empty())?;
            Some((p.contains(PRIMARY), stress::weight(p), i))
        })
        .collect();
    let demote = |t: &mut Tok| {
        if let Some(p) = t.phonemes.as_deref() {
            t.phonemes = Some(stress::apply(p, Some(-0.5)));
        }
    };
    if idx.len() == 2 && g[idx[0].2].text.chars().count() == 1 {
        demote(&mut g[idx[1].2]);
        return;
    }
    let primaries = idx.iter().filter(|x| x.0).count();
    if idx.len() < 2 || primaries <= idx.len().div_ceil(2) {
        return;
    }
    idx.sort();
    for &(_, _, i) in &idx[..idx.len() / 2] {
        demote(&mut g[i]);
    }
}
