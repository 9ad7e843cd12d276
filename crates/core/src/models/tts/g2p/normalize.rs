//! Text normalization ahead of tokenizing: readings the lexicon cannot produce by itself
//! (times, dates, units, abbreviations, other currencies, roman numerals, phone numbers,
//! fractions, ranges, symbols). Plain cardinals, ordinals, years, decimals, `$`/`£`/`€` amounts
//! and percents are left to the lexicon layer. The word tables come from `normalize.json`.

use std::collections::HashMap;
use std::fmt;

use fancy_regex::{Captures, Regex};
use serde::Deserialize;
use serde::de::{Deserializer, MapAccess, Visitor};

use super::numbers;
use super::text::{alternation, escape};
use crate::models::tts::TtsError;

/// A JSON object read in file order.
#[derive(Debug, Clone)]
pub struct Ordered<T>(pub Vec<(String, T)>);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Ordered<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = Ordered<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Self::Value, A::Error> {
                let mut v = Vec::new();
                while let Some((k, x)) = m.next_entry()? {
                    v.push((k, x));
                }
                Ok(Ordered(v))
            }
        }
        d.deserialize_map(V(std::marker::PhantomData))
    }
}

/// `normalize.json`.
#[derive(Debug, Clone, Deserialize)]
pub struct Tables {
    pub months: HashMap<String, String>,
    pub titles: Ordered<String>,
    pub abbreviations: Ordered<String>,
    pub units: Ordered<[String; 2]>,
    pub symbols: Ordered<String>,
    pub currency: HashMap<String, [String; 2]>,
    pub roman_cardinal: Vec<String>,
    pub roman_ordinal: Vec<String>,
}

const MONTH_ORDER: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];
const NUM: &str = r"\d+(?:,\d{3})*(?:\.\d+)?";
const ROMAN_NUMERAL: &str =
    r"((?=[IVXLC])M{0,3}(?:CM|CD|D?C{0,3})(?:XC|XL|L?X{0,3})(?:IX|IV|V?I{0,3}))";
const BIG: &str = "hundred|thousand|million|billion|trillion|[kKmMbB]\\b";

/// The compiled normalizer.
#[derive(Debug)]
pub struct Normalizer {
    tables: Tables,
    month_names: Vec<String>,
    titles: HashMap<String, String>,
    abbreviations: HashMap<String, String>,
    units: HashMap<String, [String; 2]>,
    ws: Regex,
    time: Regex,
    date_us: Regex,
    date_iso: Regex,
    month_day: Regex,
    day_month: Regex,
    unit: Regex,
    deg: Regex,
    cents: Regex,
    currency: Regex,
    big_money: Regex,
    title: Regex,
    abbrev: Regex,
    no: Regex,
    hash: Regex,
    roman_c: Regex,
    roman_o: Regex,
    phone: Regex,
    range: Regex,
    fraction: Regex,
    plus: Regex,
    space_punct: Regex,
    symbols: Vec<(String, Regex, String)>,
}

fn re(p: &str) -> Result<Regex, TtsError> {
    Regex::new(p).map_err(|e| TtsError::Asset(format!("normalizer pattern {p:?}: {e}")))
}

fn g<'t>(c: &Captures<'t, str>, i: usize) -> &'t str {
    c.get(i).map_or("", |m| m.as_str())
}

fn int(s: &str) -> i128 {
    s.parse().unwrap_or(0)
}

fn ord(n: i128) -> String {
    numbers::ordinal(n).unwrap_or_default()
}

fn card(n: i128) -> String {
    numbers::cardinal(n).unwrap_or_default()
}

/// Singular for exactly one.
fn plural<'a>(n: &str, words: &'a [String; 2]) -> &'a str {
    if matches!(n.replace(',', "").as_str(), "1" | "1.0" | "-1") {
        &words[0]
    } else {
        &words[1]
    }
}

fn big_word(s: &str) -> &str {
    match s.to_ascii_lowercase().as_str() {
        "k" => "thousand",
        "m" => "million",
        "b" => "billion",
        _ => s,
    }
}

fn roman_value(s: &str) -> i128 {
    let v = |c: char| match c {
        'I' => 1,
        'V' => 5,
        'X' => 10,
        'L' => 50,
        'C' => 100,
        'D' => 500,
        'M' => 1000,
        _ => 0,
    };
    let cs: Vec<i128> = s.chars().map(v).collect();
    cs.iter()
        .enumerate()
        .map(|(i, &x)| {
            if cs.get(i + 1).is_some_and(|&n| n > x) {
                -x
            } else {
                x
            }
        })
        .sum()
}

/// Replaces every match with what `f` returns.
fn sub(r: &Regex, text: &str, mut f: impl FnMut(&Captures<'_, str>) -> String) -> String {
    r.replace_all(text, |c: &Captures<'_, str>| f(c))
        .into_owned()
}

impl Normalizer {
    pub fn new(tables: Tables) -> Result<Self, TtsError> {
        let month_names: Vec<String> =
            MONTH_ORDER
                .iter()
                .map(|k| {
                    tables.months.get(*k).cloned().ok_or_else(|| {
                        TtsError::Asset(format!("normalize.json: months lacks {k:?}"))
                    })
                })
                .collect::<Result<_, _>>()?;
        let capitalized: Vec<String> = MONTH_ORDER
            .iter()
            .map(|m| super::text::capitalize(m))
            .collect();
        let months = alternation(
            month_names
                .iter()
                .map(String::as_str)
                .chain(capitalized.iter().map(String::as_str))
                .chain(["Sept"]),
        );
        let keys = |o: &Ordered<String>| alternation(o.0.iter().map(|(k, _)| k.as_str()));
        let units_alt = alternation(tables.units.0.iter().map(|(k, _)| k.as_str()));
        let list = |v: &[String]| alternation(v.iter().map(String::as_str));
        let symbols = tables
            .symbols
            .0
            .iter()
            .map(|(sym, word)| {
                let pat = if "=<>~".contains(sym.as_str()) {
                    format!(r"(?<=\S) ?{} ?(?=\S)", escape(sym))
                } else {
                    escape(sym)
                };
                let rep = if word.is_empty() {
                    " ".to_owned()
                } else {
                    format!(" {word} ")
                };
                Ok((sym.clone(), re(&pat)?, rep))
            })
            .collect::<Result<_, TtsError>>()?;
        Ok(Self {
            ws: re(r"\s+")?,
            time: re(
                r"\b(\d{1,2}):(\d{2})(?::(\d{2}))?(?:\s?([AaPp])\.?[Mm]\.?(?![A-Za-z]))?(?!\d)",
            )?,
            date_us: re(r"\b(\d{1,2})/(\d{1,2})/(\d{4}|\d{2})\b")?,
            date_iso: re(r"\b(\d{4})-(\d{2})-(\d{2})\b")?,
            month_day: re(&format!(
                r"\b({months})\.? (\d{{1,2}})(?:st|nd|rd|th)?\b(?![\d:%])(,? \d{{4}}\b)?"
            ))?,
            day_month: re(&format!(r"\b(the )?(\d{{1,2}}) (?:of )?({months})\b\.?"))?,
            unit: re(&format!(r"(?<![\w.])(-?{NUM})\s?({units_alt})(?![\w])"))?,
            deg: re(&format!(r"(?<![\w.])(-?{NUM})\s?°\s?([CF])?(?![\w])"))?,
            cents: re(&format!(r"(?<![\w.])({NUM})\s?¢"))?,
            currency: re(&format!(
                r"(?<![\w])([¥₹₩]|Rs\.?|USD|EUR|GBP)\s?({NUM})(?:\s?({BIG}))?"
            ))?,
            big_money: re(&format!(r"([$£€])({NUM})\s?({BIG})"))?,
            title: re(&format!(r"\b({})\.? (?=[A-Z])", keys(&tables.titles)))?,
            abbrev: re(&format!(
                r"(?<![\w.])({})(?![\w])",
                keys(&tables.abbreviations)
            ))?,
            no: re(r"\b(No|Nos)\. ?(?=\d)")?,
            hash: re(r"(?<![\w&])#(?=\d)")?,
            roman_c: re(&format!(
                r"\b({}) {ROMAN_NUMERAL}\b(?![.'’]\w)",
                list(&tables.roman_cardinal)
            ))?,
            roman_o: re(&format!(
                r"\b({}) {ROMAN_NUMERAL}\b(?![.'’]\w)",
                list(&tables.roman_ordinal)
            ))?,
            phone: re(r"(?<![\w.\-])(?:\d{3}-)?\d{3}-\d{4}(?![\w.\-])")?,
            range: re(r"(?<![\w.\-])(\d{1,4})\s?[-–]\s?(\d{1,4})(?![\w.\-%])")?,
            fraction: re(r"(?<![\w./])(\d{1,2})/(\d{1,2})(?![\w./])")?,
            plus: re(r"(?<![\w+])\+(?=\d)")?,
            space_punct: re(r" +([,.;:!?])")?,
            symbols,
            titles: tables.titles.0.iter().cloned().collect(),
            abbreviations: tables.abbreviations.0.iter().cloned().collect(),
            units: tables.units.0.iter().cloned().collect(),
            month_names,
            tables,
        })
    }

    /// The title abbreviations ("Dr", "St", ...), for sentence splitting.
    pub fn titles(&self) -> impl Iterator<Item = &str> {
        self.tables.titles.0.iter().map(|(k, _)| k.as_str())
    }

    fn month<'a>(&'a self, name: &'a str) -> &'a str {
        let key: String = name.to_lowercase().chars().take(3).collect();
        self.tables.months.get(&key).map_or(name, String::as_str)
    }

    fn date(&self, year: Option<&str>, month: i128, day: i128) -> Option<String> {
        if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
            return None;
        }
        let mut s = format!("{} {}", self.month_names[month as usize - 1], ord(day));
        if let Some(y) = year {
            s.push_str(", ");
            s.push_str(y);
        }
        Some(s)
    }

    fn time(c: &Captures<'_, str>, text: &str) -> String {
        let (h, mi, sec, ap) = (int(g(c, 1)), int(g(c, 2)), c.get(3), c.get(4));
        if h > 24 || mi > 59 || sec.is_some_and(|s| int(s.as_str()) > 59) {
            return g(c, 0).to_owned();
        }
        let mut w = card(h);
        if mi == 0 {
            if ap.is_none() && sec.is_none() {
                w.push_str(" o'clock");
            }
        } else if mi < 10 {
            w.push_str(" oh ");
            w.push_str(&card(mi));
        } else {
            w.push(' ');
            w.push_str(&card(mi));
        }
        if let Some(s) = sec {
            let s = int(s.as_str());
            w.push_str(&format!(
                " and {}{}",
                card(s),
                if s == 1 { " second" } else { " seconds" }
            ));
        }
        if let Some(ap) = ap {
            // Dotted so the lexicon spells the letters.
            let end = c.get(0).map_or(0, |m| m.end());
            let dot = if text[end..].starts_with('.') {
                ""
            } else {
                "."
            };
            w.push_str(&format!(" {}.M{dot}", ap.as_str().to_uppercase()));
        }
        w
    }

    fn fraction(&self, a: i128, b: i128) -> String {
        const UNITS: [&str; 11] = [
            "", "", "half", "third", "quarter", "fifth", "sixth", "seventh", "eighth", "ninth",
            "tenth",
        ];
        if 0 < a && a < b && b <= 10 {
            let unit = UNITS[b as usize];
            if unit == "half" {
                return if a == 1 {
                    "one half".into()
                } else {
                    format!("{a} halves")
                };
            }
            return format!("{a} {unit}{}", if a == 1 { "" } else { "s" });
        }
        if (1..=12).contains(&a) && (1..=31).contains(&b) {
            return self.date(None, a, b).unwrap_or_default();
        }
        format!("{a} slash {b}")
    }

    fn currency_words(&self, sym: &str) -> &[String; 2] {
        static EMPTY: [String; 2] = [String::new(), String::new()];
        self.tables.currency.get(sym).unwrap_or(&EMPTY)
    }

    /// Normalizes one sentence.
    pub fn normalize(&self, text: &str) -> String {
        let text = self.ws.replace_all(text, " ");
        let text = text.trim();
        if text.is_empty() {
            return String::new();
        }
        let mut t = text
            .replace('\u{a0}', " ")
            .replace('’', "'")
            .replace('‒', "-")
            .replace('―', "—");
        t = {
            let src = t.clone();
            sub(&self.time, &t, |c| Self::time(c, &src))
        };
        t = sub(&self.date_iso, &t, |c| {
            self.date(Some(g(c, 1)), int(g(c, 2)), int(g(c, 3)))
                .unwrap_or_else(|| g(c, 0).to_owned())
        });
        t = sub(&self.date_us, &t, |c| {
            let (a, b) = (int(g(c, 1)), int(g(c, 2)));
            let mut y = g(c, 3).to_owned();
            if y.len() == 2 {
                y = format!("{}{y}", if int(&y) > 30 { "19" } else { "20" });
            }
            let (mo, d) = if a <= 12 { (a, b) } else { (b, a) };
            self.date(Some(&y), mo, d)
                .unwrap_or_else(|| g(c, 0).to_owned())
        });
        t = sub(&self.big_money, &t, |c| {
            format!(
                "{} {} {}",
                g(c, 2),
                big_word(g(c, 3)),
                self.currency_words(g(c, 1))[1]
            )
        });
        t = sub(&self.cents, &t, |c| {
            format!("{} {}", g(c, 1), plural(g(c, 1), self.currency_words("¢")))
        });
        t = sub(&self.currency, &t, |c| {
            let words = self.currency_words(g(c, 1).trim_end_matches('.'));
            let n = g(c, 2);
            match c.get(3) {
                Some(big) => format!("{n} {} {}", big_word(big.as_str()), words[1]),
                None => format!("{n} {}", plural(n, words)),
            }
        });
        t = sub(&self.deg, &t, |c| {
            let n = g(c, 1);
            let degrees = [String::from("degree"), String::from("degrees")];
            let scale = match g(c, 2) {
                "C" => " Celsius",
                "F" => " Fahrenheit",
                _ => "",
            };
            format!("{n} {}{scale}", plural(n, &degrees))
        });
        t = sub(&self.unit, &t, |c| {
            let n = g(c, 1);
            match self.units.get(g(c, 2)) {
                Some(words) => format!("{n} {}", plural(n, words)),
                None => g(c, 0).to_owned(),
            }
        });
        t = sub(&self.month_day, &t, |c| {
            let day = int(g(c, 2));
            if !(1..=31).contains(&day) {
                return g(c, 0).to_owned();
            }
            format!("{} {}{}", self.month(g(c, 1)), ord(day), g(c, 3))
        });
        t = sub(&self.day_month, &t, |c| {
            let day = int(g(c, 2));
            if !(1..=31).contains(&day) {
                return g(c, 0).to_owned();
            }
            format!("the {} of {}", ord(day), self.month(g(c, 3)))
        });
        t = sub(&self.title, &t, |c| {
            format!("{} ", self.titles.get(g(c, 1)).map_or("", String::as_str))
        });
        t = {
            let len = t.len();
            sub(&self.abbrev, &t, |c| {
                let key = g(c, 1);
                let mut out = self.abbreviations.get(key).cloned().unwrap_or_default();
                if c.get(0).is_some_and(|m| m.end() == len) && key.ends_with('.') {
                    out.push('.');
                }
                out
            })
        };
        t = sub(&self.no, &t, |c| {
            if g(c, 1) == "No" {
                "Number "
            } else {
                "Numbers "
            }
            .to_owned()
        });
        t = sub(&self.hash, &t, |_| "number ".to_owned());
        t = sub(&self.roman_c, &t, |c| {
            format!("{} {}", g(c, 1), roman_value(g(c, 2)))
        });
        t = sub(&self.roman_o, &t, |c| {
            format!("{} the {}", g(c, 1), ord(roman_value(g(c, 2))))
        });
        t = sub(&self.phone, &t, |c| {
            let spaced: Vec<String> = g(c, 0)
                .replace('-', ", ")
                .chars()
                .map(String::from)
                .collect();
            spaced.join(" ")
        });
        t = sub(&self.fraction, &t, |c| {
            self.fraction(int(g(c, 1)), int(g(c, 2)))
        });
        t = sub(&self.range, &t, |c| format!("{} to {}", g(c, 1), g(c, 2)));
        t = sub(&self.plus, &t, |_| "plus ".to_owned());
        for (sym, pattern, word) in &self.symbols {
            if t.contains(sym.as_str()) {
                t = sub(pattern, &t, |_| word.clone());
            }
        }
        let t = self.ws.replace_all(&t, " ");
        let t = self.space_punct.replace_all(&t, "$1");
        t.trim().to_owned()
    }
}
