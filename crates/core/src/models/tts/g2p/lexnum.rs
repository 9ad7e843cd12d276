//! How the lexicon reads numbers: cardinals, ordinals ("3rd"), years ("1990"), digit strings
//! read one by one (not the head of a token group, or leading zeros), decimals, money with
//! `$`/`£`/`€`, and the -s / -ed / -ing suffixes ("1990s").

use super::lexicon::Lexicon;
use super::numbers;
use super::text::is_ascii_digits;

const ORDINALS: [&str; 4] = ["st", "nd", "rd", "th"];

/// Splits off a trailing run of lower-case letters and apostrophes.
fn split_suffix(word: &str) -> (&str, &str) {
    let cut = word
        .char_indices()
        .rev()
        .take_while(|(_, c)| c.is_ascii_lowercase() || *c == '\'')
        .last()
        .map_or(word.len(), |(i, _)| i);
    (&word[..cut], &word[cut..])
}

fn parse(s: &str) -> Option<i128> {
    if s.is_empty() {
        return None;
    }
    s.parse().ok()
}

impl Lexicon {
    /// Pronounces each letters-only word of `words` (number words) and appends them.
    fn push_words(&self, words: &str, out: &mut Vec<String>) -> Option<()> {
        for w in words.split(|c: char| !c.is_ascii_lowercase()) {
            if w.is_empty() || w == "and" {
                continue;
            }
            let stress = if w == "point" { Some(-2.0) } else { None };
            out.push(self.lookup(w, None, stress, None)?);
        }
        Some(())
    }

    fn push_cardinal(&self, digits: &str, out: &mut Vec<String>) -> Option<()> {
        let words = numbers::cardinal(parse(digits)?)?;
        self.push_words(&words, out)
    }

    fn push_each_digit(&self, digits: &str, out: &mut Vec<String>) -> Option<()> {
        for d in digits.chars() {
            self.push_cardinal(&d.to_string(), out)?;
        }
        Some(())
    }

    /// Amounts of money: "$3.50" -> "three dollars and fifty cents".
    fn is_money(word: &str) -> bool {
        match word.matches('.').count() {
            0 => true,
            1 => word.split('.').nth(1).map_or(0, |c| c.chars().count()) < 3,
            _ => false,
        }
    }

    /// The reading of a number token; `None` if it is not one.
    pub fn number(&self, word: &str, currency: Option<&str>, is_head: bool) -> Option<String> {
        let (mut word, suffix) = split_suffix(word);
        let mut out: Vec<String> = Vec::new();
        if let Some(rest) = word.strip_prefix('-') {
            out.push(self.lookup("minus", None, None, None)?);
            word = rest;
        }
        let currency_units = currency.and_then(Lexicon::currency_units);
        if is_ascii_digits(word) && ORDINALS.contains(&suffix) {
            self.push_words(&numbers::ordinal(parse(word)?)?, &mut out)?;
        } else if out.is_empty()
            && word.chars().count() == 4
            && currency_units.is_none()
            && is_ascii_digits(word)
        {
            self.push_words(&numbers::year(parse(word)?)?, &mut out)?;
        } else if !is_head && !word.contains('.') {
            let num = word.replace(',', "");
            let len = num.chars().count();
            if num.starts_with('0') || len > 3 {
                self.push_each_digit(&num, &mut out)?;
            } else if len == 3 && !num.ends_with("00") {
                let cs: Vec<char> = num.chars().collect();
                self.push_cardinal(&cs[0].to_string(), &mut out)?;
                if cs[1] == '0' {
                    out.push(self.lookup("O", None, Some(-2.0), None)?);
                    self.push_each_digit(&cs[2].to_string(), &mut out)?;
                } else {
                    self.push_cardinal(&cs[1..].iter().collect::<String>(), &mut out)?;
                }
            } else {
                self.push_cardinal(&num, &mut out)?;
            }
        } else if word.matches('.').count() > 1 || !is_head {
            for num in word.replace(',', "").split('.') {
                if num.is_empty() {
                    continue;
                }
                let len = num.chars().count();
                if num.starts_with('0') || (len != 2 && num.chars().skip(1).any(|c| c != '0')) {
                    self.push_each_digit(num, &mut out)?;
                } else {
                    self.push_cardinal(num, &mut out)?;
                }
            }
        } else if let Some((major, minor)) = currency_units.filter(|_| Self::is_money(word)) {
            let plain = word.replace(',', "");
            let mut pairs: Vec<(i128, &str)> = plain
                .split('.')
                .zip([major, minor])
                .map(|(n, unit)| Some((if n.is_empty() { 0 } else { parse(n)? }, unit)))
                .collect::<Option<_>>()?;
            if pairs.len() > 1 {
                if pairs[1].0 == 0 {
                    pairs.truncate(1);
                } else if pairs[0].0 == 0 {
                    pairs.remove(0);
                }
            }
            for (i, (num, unit)) in pairs.into_iter().enumerate() {
                if i > 0 {
                    out.push(self.lookup("and", None, None, None)?);
                }
                self.push_words(&numbers::cardinal(num)?, &mut out)?;
                let unit_ps = if num.abs() != 1 && unit != "pence" {
                    Lexicon::suffix_s(self.lookup(unit, None, None, None))
                } else {
                    self.lookup(unit, None, None, None)
                };
                out.push(unit_ps?);
            }
        } else {
            let words = if is_ascii_digits(word) {
                numbers::cardinal(parse(word)?)?
            } else if !word.contains('.') {
                let n = parse(&word.replace(',', ""))?;
                if ORDINALS.contains(&suffix) {
                    numbers::ordinal(n)?
                } else {
                    numbers::cardinal(n)?
                }
            } else {
                let w = word.replace(',', "");
                if let Some(frac) = w.strip_prefix('.') {
                    let digits: Option<Vec<String>> = frac
                        .chars()
                        .map(|c| numbers::cardinal(c.to_digit(10)? as i128))
                        .collect();
                    format!("point {}", digits?.join(" "))
                } else {
                    numbers::decimal(&w)?
                }
            };
            self.push_words(&words, &mut out)?;
        }
        if out.is_empty() {
            return None;
        }
        let joined = out.join(" ");
        match suffix {
            "s" | "'s" => Lexicon::suffix_s(Some(joined)),
            "ed" | "'d" => Lexicon::suffix_ed(Some(joined)),
            "ing" => Lexicon::suffix_ing(Some(joined)),
            _ => Some(joined),
        }
    }
}
