//! misaki's US lexicon (gold and silver dictionaries) with its lookup rules: part-of-speech
//! entries, capitalisation, function words that depend on the next word ("the", "to", "a"),
//! letter-by-letter acronyms, and the -s / -ed / -ing stems. Numbers are in `lexnum.rs`.

use unicode_normalization::UnicodeNormalization;

use super::dict::{Dict, Entry};
use super::stress::{self, PRIMARY, SECONDARY};
use super::text::{
    char_len, drop_first, drop_last, is_alpha, is_digit_char, lower, superscript_digit, upper,
};

/// What the next word (to the right) tells the current one.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Ctx {
    /// Whether the next word starts with a vowel sound; `None` at the end or before punctuation.
    pub future_vowel: Option<bool>,
    /// The next word is "to".
    pub future_to: bool,
}

/// The coarse class of a Penn tag.
pub fn parent_tag(tag: &str) -> &str {
    if tag.starts_with("VB") {
        "VERB"
    } else if tag.starts_with("NN") {
        "NOUN"
    } else if tag.starts_with("ADV") || tag.starts_with("RB") {
        "ADV"
    } else if tag.starts_with("ADJ") || tag.starts_with("JJ") {
        "ADJ"
    } else {
        tag
    }
}

fn symbol_word(w: &str) -> Option<&'static str> {
    match w {
        "%" => Some("percent"),
        "&" => Some("and"),
        "+" => Some("plus"),
        "@" => Some("at"),
        _ => None,
    }
}

/// Characters the dictionaries are keyed with.
fn lexicon_char(c: char) -> bool {
    c == '\'' || c == '-' || c.is_ascii_alphabetic()
}

const US_TAUS: &str = "AIOWYiuæɑəɛɪɹʊʌ";

/// A token as the lexicon sees it.
#[derive(Debug, Clone, Copy)]
pub struct WordIn<'a> {
    pub text: &'a str,
    pub tag: &'a str,
    pub currency: Option<&'a str>,
    pub is_head: bool,
}

/// The gold and silver dictionaries and their rules.
#[derive(Debug, Default)]
pub struct Lexicon {
    pub gold: Dict,
    pub silver: Dict,
}

impl Lexicon {
    pub fn new(gold: Dict, silver: Dict) -> Self {
        Self { gold, silver }
    }

    fn gold_str(&self, w: &str) -> Option<String> {
        self.gold.get(w).and_then(Entry::default).map(String::from)
    }

    /// Spelled letter by letter, primary stress on the last letter.
    pub fn letters(&self, word: &str) -> Option<String> {
        let mut ps = String::new();
        for c in word.chars().filter(|c| c.is_alphabetic()) {
            ps.push_str(&self.gold_str(&c.to_uppercase().collect::<String>())?);
        }
        let ps = stress::apply(&ps, Some(0.0));
        Some(match ps.rfind(SECONDARY) {
            Some(i) => format!("{}{PRIMARY}{}", &ps[..i], &ps[i + SECONDARY.len_utf8()..]),
            None => ps,
        })
    }

    fn special_case(
        &self,
        word: &str,
        tag: &str,
        stress: Option<f32>,
        ctx: &Ctx,
    ) -> Option<Option<String>> {
        let ans = |s: &str| Some(Some(s.to_owned()));
        if tag == "ADD" && (word == "." || word == "/") {
            let w = if word == "." { "dot" } else { "slash" };
            return Some(self.lookup(w, None, Some(-0.5), Some(ctx)));
        }
        if let Some(w) = symbol_word(word) {
            return Some(self.lookup(w, None, None, Some(ctx)));
        }
        let inner = word.trim_matches('.');
        if inner.contains('.')
            && is_alpha(&word.replace('.', ""))
            && word.split('.').map(char_len).max().unwrap_or(0) < 3
        {
            return Some(self.letters(word));
        }
        match word {
            "a" | "A" => return ans(if tag == "DT" { "ɐ" } else { "ˈA" }),
            "am" | "Am" | "AM" => {
                if tag.starts_with("NN") {
                    return Some(self.letters(word));
                }
                if ctx.future_vowel.is_none() || word != "am" || stress.is_some_and(|s| s > 0.0) {
                    return Some(self.gold_str("am"));
                }
                return ans("ɐm");
            }
            "an" | "An" | "AN" => {
                if word == "AN" && tag.starts_with("NN") {
                    return Some(self.letters(word));
                }
                return ans("ɐn");
            }
            "I" if tag == "PRP" => return ans("ˌI"),
            "by" | "By" | "BY" if parent_tag(tag) == "ADV" => return ans("bˈI"),
            _ => {}
        }
        if matches!(word, "to" | "To") || (word == "TO" && matches!(tag, "TO" | "IN")) {
            return match ctx.future_vowel {
                None => Some(self.gold_str("to")),
                Some(false) => ans("tə"),
                Some(true) => ans("tʊ"),
            };
        }
        if matches!(word, "in" | "In") || (word == "IN" && tag != "NNP") {
            let mark = if ctx.future_vowel.is_none() || tag != "IN" {
                "ˈ"
            } else {
                ""
            };
            return Some(Some(format!("{mark}ɪn")));
        }
        if matches!(word, "the" | "The") || (word == "THE" && tag == "DT") {
            return ans(if ctx.future_vowel == Some(true) {
                "ði"
            } else {
                "ðə"
            });
        }
        if tag == "IN" && matches!(lower(word).as_str(), "vs" | "vs.") {
            return Some(self.lookup("versus", None, None, Some(ctx)));
        }
        if matches!(word, "used" | "Used" | "USED") {
            let key = if matches!(tag, "VBD" | "JJ") && ctx.future_to {
                "VBD"
            } else {
                "DEFAULT"
            };
            return Some(
                self.gold
                    .get("used")
                    .and_then(|e| e.tag(key).flatten().or_else(|| e.default()))
                    .map(String::from),
            );
        }
        None
    }

    pub fn is_known(&self, word: &str) -> bool {
        if self.gold.contains(word) || symbol_word(word).is_some() || self.silver.contains(word) {
            return true;
        }
        if !is_alpha(word) || !word.chars().all(lexicon_char) {
            return false;
        }
        if char_len(word) == 1 {
            return true;
        }
        if word == upper(word) && self.gold.contains(&lower(word)) {
            return true;
        }
        let rest = drop_first(word);
        rest == upper(rest)
    }

    /// Dictionary lookup with part of speech and stress.
    pub fn lookup(
        &self,
        word: &str,
        tag: Option<&str>,
        stress: Option<f32>,
        ctx: Option<&Ctx>,
    ) -> Option<String> {
        let mut word = word.to_owned();
        let mut is_nnp = false;
        if word == upper(&word) && !self.gold.contains(&word) {
            word = lower(&word);
            is_nnp = tag == Some("NNP");
        }
        let mut entry = self.gold.get(&word);
        if entry.is_none() && !is_nnp {
            entry = self.silver.get(&word);
        }
        let ps: Option<&str> = match entry {
            None => None,
            Some(Entry::Plain(s)) => Some(s),
            Some(e @ Entry::Tagged(_)) => {
                let key = if ctx.is_some_and(|c| c.future_vowel.is_none()) && e.has("None") {
                    Some("None")
                } else if tag.is_some_and(|t| e.has(t)) {
                    tag
                } else {
                    tag.map(parent_tag)
                };
                match key.and_then(|k| e.tag(k)) {
                    Some(p) => p,
                    None => e.default(),
                }
            }
        };
        if (ps.is_none() || (is_nnp && !ps.is_some_and(|p| p.contains(PRIMARY))))
            && let Some(l) = self.letters(&word)
        {
            return Some(l);
        }
        ps.map(|p| stress::apply(p, stress))
    }

    fn plural(stem: &str) -> String {
        match stem.chars().last() {
            Some(c) if "ptkfθ".contains(c) => format!("{stem}s"),
            Some(c) if "szʃʒʧʤ".contains(c) => format!("{stem}ᵻz"),
            _ => format!("{stem}z"),
        }
    }

    pub fn suffix_s(stem: Option<String>) -> Option<String> {
        stem.filter(|s| !s.is_empty()).map(|s| Self::plural(&s))
    }

    fn stem_s(
        &self,
        word: &str,
        tag: &str,
        stress: Option<f32>,
        ctx: Option<&Ctx>,
    ) -> Option<String> {
        if char_len(word) < 3 || !word.ends_with('s') {
            return None;
        }
        let stem = if !word.ends_with("ss") && self.is_known(drop_last(word, 1)) {
            drop_last(word, 1).to_owned()
        } else if (word.ends_with("'s")
            || (char_len(word) > 4 && word.ends_with("es") && !word.ends_with("ies")))
            && self.is_known(drop_last(word, 2))
        {
            drop_last(word, 2).to_owned()
        } else if char_len(word) > 4
            && word.ends_with("ies")
            && self.is_known(&format!("{}y", drop_last(word, 3)))
        {
            format!("{}y", drop_last(word, 3))
        } else {
            return None;
        };
        Self::suffix_s(self.lookup(&stem, Some(tag), stress, ctx))
    }

    pub fn suffix_ed(stem: Option<String>) -> Option<String> {
        let stem = stem.filter(|s| !s.is_empty())?;
        let last = stem.chars().last()?;
        Some(if "pkfθʃsʧ".contains(last) {
            format!("{stem}t")
        } else if last == 'd' {
            format!("{stem}ᵻd")
        } else if last != 't' {
            format!("{stem}d")
        } else if char_len(&stem) < 2 {
            format!("{stem}ɪd")
        } else if US_TAUS.contains(stem.chars().rev().nth(1)?) {
            format!("{}ɾᵻd", drop_last(&stem, 1))
        } else {
            format!("{stem}ᵻd")
        })
    }

    fn stem_ed(
        &self,
        word: &str,
        tag: &str,
        stress: Option<f32>,
        ctx: Option<&Ctx>,
    ) -> Option<String> {
        if char_len(word) < 4 || !word.ends_with('d') {
            return None;
        }
        let stem = if !word.ends_with("dd") && self.is_known(drop_last(word, 1)) {
            drop_last(word, 1)
        } else if char_len(word) > 4
            && word.ends_with("ed")
            && !word.ends_with("eed")
            && self.is_known(drop_last(word, 2))
        {
            drop_last(word, 2)
        } else {
            return None;
        };
        Self::suffix_ed(self.lookup(stem, Some(tag), stress, ctx))
    }

    pub fn suffix_ing(stem: Option<String>) -> Option<String> {
        let stem = stem.filter(|s| !s.is_empty())?;
        let mut rev = stem.chars().rev();
        let (last, before) = (rev.next(), rev.next());
        if last == Some('t') && before.is_some_and(|c| US_TAUS.contains(c)) {
            return Some(format!("{}ɾɪŋ", drop_last(&stem, 1)));
        }
        Some(format!("{stem}ɪŋ"))
    }

    fn stem_ing(
        &self,
        word: &str,
        tag: &str,
        stress: Option<f32>,
        ctx: Option<&Ctx>,
    ) -> Option<String> {
        if char_len(word) < 5 || !word.ends_with("ing") {
            return None;
        }
        let base = drop_last(word, 3);
        let doubled = {
            let cs: Vec<char> = base.chars().rev().take(2).collect();
            word.ends_with("cking")
                || (cs.len() == 2 && cs[0] == cs[1] && "bcdgklmnprstvxz".contains(cs[0]))
        };
        let stem = if char_len(word) > 5 && self.is_known(base) {
            base.to_owned()
        } else if self.is_known(&format!("{base}e")) {
            format!("{base}e")
        } else if char_len(word) > 5 && doubled && self.is_known(drop_last(word, 4)) {
            drop_last(word, 4).to_owned()
        } else {
            return None;
        };
        Self::suffix_ing(self.lookup(&stem, Some(tag), stress, ctx))
    }

    fn word(&self, word: &str, tag: &str, stress: Option<f32>, ctx: &Ctx) -> Option<String> {
        if let Some(Some(ps)) = self.special_case(word, tag, stress, ctx) {
            return Some(ps);
        }
        let wl = lower(word);
        let rest = drop_first(word);
        let mut word = word.to_owned();
        if char_len(&word) > 1
            && is_alpha(&word.replace('\'', ""))
            && word != wl
            && (tag != "NNP" || char_len(&word) > 7)
            && !self.gold.contains(&word)
            && !self.silver.contains(&word)
            && (word == upper(&word) || rest == lower(rest))
            && (self.gold.contains(&wl)
                || self.silver.contains(&wl)
                || [Self::stem_s, Self::stem_ed, Self::stem_ing]
                    .iter()
                    .any(|f| f(self, &wl, tag, stress, Some(ctx)).is_some_and(|p| !p.is_empty())))
        {
            word = wl;
        }
        if self.is_known(&word) {
            return self.lookup(&word, Some(tag), stress, Some(ctx));
        }
        if let Some(stem) = word.strip_suffix("s'") {
            let w = format!("{stem}'s");
            if self.is_known(&w) {
                return self.lookup(&w, Some(tag), stress, Some(ctx));
            }
        }
        if let Some(stem) = word.strip_suffix('\'')
            && self.is_known(stem)
        {
            return self.lookup(stem, Some(tag), stress, Some(ctx));
        }
        if let Some(p) = self.stem_s(&word, tag, stress, Some(ctx)) {
            return Some(p);
        }
        if let Some(p) = self.stem_ed(&word, tag, stress, Some(ctx)) {
            return Some(p);
        }
        self.stem_ing(&word, tag, Some(stress.unwrap_or(0.5)), Some(ctx))
    }

    /// "dollars" for "$" and so on.
    pub fn currency_units(sym: &str) -> Option<(&'static str, &'static str)> {
        match sym {
            "$" => Some(("dollar", "cent")),
            "£" => Some(("pound", "pence")),
            "€" => Some(("euro", "cent")),
            _ => None,
        }
    }

    fn append_currency(&self, ps: String, currency: Option<&str>) -> String {
        let Some((unit, _)) = currency.and_then(Self::currency_units) else {
            return ps;
        };
        match self.stem_s(&format!("{unit}s"), "", None, None) {
            Some(c) if !c.is_empty() => format!("{ps} {c}"),
            _ => ps,
        }
    }

    /// Pronunciation of a token (misaki's lexicon entry point); `None` if the rules do not
    /// know it.
    pub fn pronounce(&self, tk: WordIn<'_>, ctx: &Ctx) -> Option<String> {
        let word: String = tk
            .text
            .replace(['‘', '’'], "'")
            .nfkc()
            .map(|c| match superscript_digit(c) {
                Some(d) if !c.is_ascii_digit() => char::from_digit(d, 10).unwrap_or(c),
                _ => c,
            })
            .collect();
        let stress = if word == lower(&word) {
            None
        } else if word == upper(&word) {
            Some(2.0)
        } else {
            Some(0.5)
        };
        if let Some(ps) = self.word(&word, tk.tag, stress, ctx) {
            return Some(self.append_currency(ps, tk.currency));
        }
        if Self::is_number(&word, tk.is_head) {
            return self.number(&word, tk.currency, tk.is_head);
        }
        None
    }

    /// Whether a token reads as a number ("1,200", "3rd", "1990s", "-5").
    pub fn is_number(word: &str, is_head: bool) -> bool {
        if !word.chars().any(|c| c.is_ascii_digit()) {
            return false;
        }
        let mut w = word;
        for s in ["ing", "'d", "ed", "'s", "st", "nd", "rd", "th", "s"] {
            if let Some(x) = w.strip_suffix(s) {
                w = x;
                break;
            }
        }
        w.chars().enumerate().all(|(i, c)| {
            c.is_ascii_digit() || c == ',' || c == '.' || (is_head && i == 0 && c == '-')
        })
    }

    pub(crate) fn is_digit_char(c: char) -> bool {
        is_digit_char(c)
    }
}
