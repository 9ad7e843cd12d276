//! Word tokenizer following spaCy's English rules: whole-chunk special cases (contractions,
//! "Mr.", "10am"), prefixes and suffixes peeled off each whitespace-separated chunk, infixes
//! (hyphens, slashes, commas between letters) splitting the rest, and a last pass that joins
//! adjacent pieces spelling a special case ("Sept" + "." -> "Sept.").

use std::collections::HashMap;

use fancy_regex::Regex;

use super::text::escape;
use crate::models::tts::TtsError;

const LETTER: &str = r"[^\W\d_]";
const LOWER: &str = "a-zß-öø-ÿ";
const UPPER: &str = "A-ZÀ-ÖØ-Þ";
const QUOTES: &str = "'\"”“`‘´’‚,„»«「」『』（）〔〕【】《》〈〉";
const PUNCT: &str = "…,:;!?¿¡()[]{}<>_#*&。？！，、；：～·";
const ICONS: &str = "™®©°§¶†‡•";
const CURRENCY: &str = r"\$|£|€|¥|฿|US\$|C\$|A\$|₽|₹|₩|₪|₺|₴|₦|₫|₱|₲|₵|₸|₼|₾|₿";
const UNITS: &str = "km|km²|km³|m|m²|m³|dm|dm²|dm³|cm|cm²|cm³|mm|mm²|mm³|ha|µm|nm|yd|in|ft|kg|g|mg|µg|t|lb|oz|m/s|km/h|kmh|mph|hPa|Pa|mbar|mb|MB|kb|KB|gb|GB|tb|TB|T|G|M|K|%";

/// A token and whether whitespace followed it.
pub type Piece = (String, bool);

/// The compiled tokenizer.
#[derive(Debug)]
pub struct Tokenizer {
    special: HashMap<String, Vec<String>>,
    prefix: Regex,
    suffix: Regex,
    infix: Regex,
    url: Regex,
    chunk: Regex,
}

fn each_char(s: &str) -> impl Iterator<Item = String> + '_ {
    s.chars().map(|c| escape(&c.to_string()))
}

fn compile(p: &str) -> Result<Regex, TtsError> {
    Regex::new(p).map_err(|e| TtsError::Asset(format!("tokenizer pattern: {e}")))
}

impl Tokenizer {
    /// `special`: `tokenizer_exceptions.json`, text -> the tokens it splits into.
    pub fn new(special: HashMap<String, Vec<String>>) -> Result<Self, TtsError> {
        let icons = format!("[{}]", escape(ICONS));
        let (q, p) = (escape(QUOTES), escape(PUNCT));
        let mut prefixes: Vec<String> = ["§", "%", "=", "—", "–", r"\+(?![0-9])", "…", "……"]
            .map(String::from)
            .to_vec();
        prefixes.extend(each_char(PUNCT));
        prefixes.extend([r"\.\.+".to_owned(), "…".to_owned()]);
        prefixes.extend(each_char(QUOTES));
        prefixes.push(CURRENCY.to_owned());
        prefixes.push(icons.clone());

        let mut suffixes: Vec<String> = vec!["…".into(), "……".into()];
        suffixes.extend(each_char(PUNCT));
        suffixes.extend([r"\.\.+".to_owned(), "…".to_owned()]);
        suffixes.extend(each_char(QUOTES));
        suffixes.push(icons.clone());
        suffixes.extend(["'s", "'S", "’s", "’S", "—", "–"].map(String::from));
        suffixes.extend([
            r"(?<=[0-9])\+".to_owned(),
            r"(?<=°[FfCcKk])\.".to_owned(),
            format!(r"(?<=[0-9])(?:{CURRENCY})"),
            format!(r"(?<=[0-9])(?:{UNITS})"),
            format!(r"(?<=[0-9{LOWER}%²\-\+{p}{q}])\."),
            format!(r"(?<=[{UPPER}][{UPPER}])\."),
        ]);

        let infixes = [
            r"\.\.+".to_owned(),
            "…".to_owned(),
            icons,
            r"(?<=[0-9])[+\-\*^](?=[0-9-])".to_owned(),
            format!(r"(?<=[{LOWER}{q}])\.(?=[{UPPER}{q}])"),
            format!(r"(?<={LETTER}),(?={LETTER})"),
            format!(r"(?<=[^\W_])(?:-|–|—|--|---|——|~)(?={LETTER})"),
            format!(r"(?<=[^\W_])[:<>=/](?={LETTER})"),
        ];
        let join = |v: &[String], f: &dyn Fn(&String) -> String| {
            v.iter().map(f).collect::<Vec<_>>().join("|")
        };
        Ok(Self {
            prefix: compile(&join(&prefixes, &|p| format!("^(?:{p})")))?,
            suffix: compile(&join(&suffixes, &|s| format!("(?:{s})$")))?,
            infix: compile(&join(&infixes, &|i| format!("(?:{i})")))?,
            url: compile(
                r"(?i)^(?:(?:https?|ftp)://|www\.)\S+$|^[\w.+-]+@[\w-]+(?:\.[\w-]+)+$|^(?:[\w-]+\.)+(?:com|org|net|edu|gov|io|co|uk|de|fr|info|biz|us|ca|au|tv|me|ly|ai)(?:/\S*)?$",
            )?,
            chunk: compile(r"\S+")?,
            special,
        })
    }

    /// Tokens of a line, each with whether whitespace followed it.
    pub fn tokenize(&self, text: &str) -> Vec<Piece> {
        let mut out = Vec::new();
        for m in self.chunk.find_iter(text).flatten() {
            let toks = self.split(m.as_str());
            let ws = m.end() < text.len();
            let n = toks.len();
            out.extend(
                toks.into_iter()
                    .enumerate()
                    .map(|(i, t)| (t, i + 1 == n && ws)),
            );
        }
        out
    }

    fn find_len(r: &Regex, s: &str) -> usize {
        r.find(s).ok().flatten().map_or(0, |m| m.end() - m.start())
    }

    /// Splits one whitespace-free chunk.
    fn split(&self, chunk: &str) -> Vec<String> {
        let special = &self.special;
        if let Some(v) = special.get(chunk) {
            return v.clone();
        }
        let mut s = chunk;
        let (mut pre, mut suf): (Vec<&str>, Vec<&str>) = (Vec::new(), Vec::new());
        let mut last = usize::MAX;
        while !s.is_empty() && s.len() != last && !special.contains_key(s) {
            last = s.len();
            let pre_len = Self::find_len(&self.prefix, s);
            if pre_len > 0 {
                let rest = &s[pre_len..];
                if !rest.is_empty() && special.contains_key(rest) {
                    pre.push(&s[..pre_len]);
                    s = rest;
                    break;
                }
            }
            let suf_len = Self::find_len(&self.suffix, &s[pre_len..]);
            if suf_len > 0 {
                let rest = &s[..s.len() - suf_len];
                if !rest.is_empty() && special.contains_key(rest) {
                    suf.push(&s[s.len() - suf_len..]);
                    s = rest;
                    break;
                }
            }
            if pre_len > 0 && suf_len > 0 && pre_len + suf_len <= s.len() {
                pre.push(&s[..pre_len]);
                suf.push(&s[s.len() - suf_len..]);
                s = &s[pre_len..s.len() - suf_len];
            } else if pre_len > 0 {
                pre.push(&s[..pre_len]);
                s = &s[pre_len..];
            } else if suf_len > 0 {
                suf.push(&s[s.len() - suf_len..]);
                s = &s[..s.len() - suf_len];
            }
        }
        let mut toks: Vec<String> = pre.into_iter().map(String::from).collect();
        if !s.is_empty() {
            if let Some(v) = special.get(s) {
                toks.extend(v.iter().cloned());
            } else if self.url.is_match(s).unwrap_or(false) {
                toks.push(s.to_owned());
            } else {
                let mut start = 0;
                for m in self.infix.find_iter(s).flatten() {
                    if m.start() == 0 || m.start() == m.end() {
                        continue;
                    }
                    if m.start() > start {
                        toks.push(s[start..m.start()].to_owned());
                    }
                    toks.push(m.as_str().to_owned());
                    start = m.end();
                }
                if start < s.len() {
                    toks.push(s[start..].to_owned());
                }
            }
        }
        toks.extend(suf.into_iter().rev().map(String::from));
        if toks.len() > 1 {
            self.rejoin(toks)
        } else {
            toks
        }
    }

    /// Joins runs of three or two pieces that spell a special case.
    fn rejoin(&self, toks: Vec<String>) -> Vec<String> {
        let mut out = Vec::with_capacity(toks.len());
        let mut i = 0;
        'outer: while i < toks.len() {
            for k in [3, 2] {
                if i + k <= toks.len() {
                    let joined = toks[i..i + k].concat();
                    if let Some(v) = self.special.get(&joined) {
                        out.extend(v.iter().cloned());
                        i += k;
                        continue 'outer;
                    }
                }
            }
            out.push(toks[i].clone());
            i += 1;
        }
        out
    }
}
