//! Numbers as speech recognition writes them, and as a voice says them back.
//!
//! ASR output mixes digits ("25", "1,200", "3.5") with words ("twenty five", "a hundred and
//! ten", "three point one four", "one and a half"). [`words_to_digits`] rewrites every number
//! phrase in a token list as one digit token, so the skills only ever see digits.

/// 0-19 by name.
fn small(word: &str) -> Option<u64> {
    Some(match word {
        "zero" | "nought" => 0,
        "one" => 1,
        "two" => 2,
        "three" => 3,
        "four" => 4,
        "five" => 5,
        "six" => 6,
        "seven" => 7,
        "eight" => 8,
        "nine" => 9,
        "ten" => 10,
        "eleven" => 11,
        "twelve" => 12,
        "thirteen" => 13,
        "fourteen" => 14,
        "fifteen" => 15,
        "sixteen" => 16,
        "seventeen" => 17,
        "eighteen" => 18,
        "nineteen" => 19,
        _ => return None,
    })
}

fn tens(word: &str) -> Option<u64> {
    Some(match word {
        "twenty" => 20,
        "thirty" => 30,
        "forty" | "fourty" => 40,
        "fifty" => 50,
        "sixty" => 60,
        "seventy" => 70,
        "eighty" => 80,
        "ninety" => 90,
        _ => return None,
    })
}

fn scale(word: &str) -> Option<u64> {
    Some(match word {
        "hundred" => 100,
        "thousand" => 1_000,
        "million" => 1_000_000,
        "billion" => 1_000_000_000,
        _ => return None,
    })
}

/// Parses a digit token: "25", "-3", "1,200", "3.5", ".5".
pub fn parse_digits(token: &str) -> Option<f64> {
    let t: String = token.chars().filter(|&c| c != ',').collect();
    let body = t.strip_prefix('-').unwrap_or(&t);
    if body.is_empty()
        || !body.chars().all(|c| c.is_ascii_digit() || c == '.')
        || !body.chars().any(|c| c.is_ascii_digit())
        || body.matches('.').count() > 1
    {
        return None;
    }
    t.parse().ok()
}

/// True for a token that is a number after [`words_to_digits`].
pub fn is_number(token: &str) -> bool {
    parse_digits(token).is_some()
}

/// Is this token the start of a spelled-out number?
fn starts_number(tokens: &[String], i: usize) -> bool {
    let w = tokens[i].as_str();
    if small(w).is_some() || tens(w).is_some() || scale(w).is_some() {
        return true;
    }
    // "a hundred", "a thousand", "a dozen"; "a" on its own is an article.
    matches!(w, "a" | "an")
        && tokens
            .get(i + 1)
            .is_some_and(|n| scale(n).is_some() || n == "dozen")
}

/// Reads one number phrase starting at `i`; returns its value and how many tokens it used.
fn read_number(tokens: &[String], i: usize) -> Option<(f64, usize)> {
    #[derive(PartialEq, Clone, Copy)]
    enum Last {
        Start,
        Small,
        Tens,
        Hundred,
        Big,
    }
    let mut total: f64 = 0.0;
    let mut current: f64 = 0.0;
    let mut last = Last::Start;
    let mut j = i;
    let mut any = false;
    while j < tokens.len() {
        let w = tokens[j].as_str();
        if let Some(v) = parse_digits(w) {
            // Digits only start a phrase ("5 hundred", "1.5 million"), never continue one.
            if last != Last::Start {
                break;
            }
            current = v;
            last = if v < 20.0 { Last::Small } else { Last::Tens };
        } else if matches!(w, "a" | "an") && last == Last::Start && starts_number(tokens, j) {
            current = 1.0;
            last = Last::Small;
        } else if let Some(v) = small(w) {
            if matches!(last, Last::Small)
                || (last == Last::Tens && (current % 10.0 != 0.0 || v >= 10))
            {
                break;
            }
            current += v as f64;
            last = Last::Small;
        } else if let Some(v) = tens(w) {
            if matches!(last, Last::Small | Last::Tens) {
                break;
            }
            current += v as f64;
            last = Last::Tens;
        } else if w == "hundred" {
            if last == Last::Hundred {
                break;
            }
            current = if current == 0.0 { 1.0 } else { current } * 100.0;
            last = Last::Hundred;
        } else if let Some(s) = scale(w) {
            if last == Last::Big && current == 0.0 {
                break;
            }
            total += if current == 0.0 { 1.0 } else { current } * s as f64;
            current = 0.0;
            last = Last::Big;
        } else if w == "dozen" && any {
            current = if current == 0.0 { 1.0 } else { current } * 12.0;
            last = Last::Big;
        } else if w == "and"
            && matches!(last, Last::Hundred | Last::Big)
            && tokens
                .get(j + 1)
                .is_some_and(|n| small(n).is_some() || tens(n).is_some())
        {
            // "a hundred and ten": the "and" belongs to the number.
        } else {
            break;
        }
        any = true;
        j += 1;
    }
    if !any {
        return None;
    }
    let mut value = total + current;
    // "three point one four", "point five" handled by the caller for a missing integer part.
    if tokens.get(j).is_some_and(|t| t == "point") {
        let mut k = j + 1;
        let mut frac = String::new();
        while let Some(d) = tokens.get(k).and_then(|t| small(t).filter(|&d| d < 10)) {
            frac.push(char::from(b'0' + d as u8));
            k += 1;
        }
        if let Some(t) = tokens.get(k).filter(|_| frac.is_empty())
            && t.chars().all(|c| c.is_ascii_digit())
        {
            frac.push_str(t);
            k += 1;
        }
        if !frac.is_empty() {
            value += format!("0.{frac}").parse::<f64>().unwrap_or(0.0);
            j = k;
        }
    }
    // "one and a half", "two and a quarter".
    let rest: Vec<&str> = tokens[j..].iter().take(3).map(String::as_str).collect();
    match rest.as_slice() {
        ["and", "a", "half", ..] => {
            value += 0.5;
            j += 3;
        }
        ["and", "a", "quarter", ..] => {
            value += 0.25;
            j += 3;
        }
        _ => {}
    }
    Some((value, j - i))
}

/// Rewrites spelled-out numbers as digit tokens; other tokens pass through unchanged.
pub fn words_to_digits(tokens: &[String]) -> Vec<String> {
    let mut out = Vec::with_capacity(tokens.len());
    let mut i = 0;
    while i < tokens.len() {
        let t = &tokens[i];
        if t == "point"
            && tokens
                .get(i + 1)
                .is_some_and(|n| small(n).is_some_and(|d| d < 10))
            && !out.last().is_some_and(|p: &String| is_number(p))
        {
            // "point five" on its own.
            let mut frac = String::new();
            let mut k = i + 1;
            while let Some(d) = tokens.get(k).and_then(|t| small(t).filter(|&d| d < 10)) {
                frac.push(char::from(b'0' + d as u8));
                k += 1;
            }
            out.push(format!("0.{frac}"));
            i = k;
            continue;
        }
        if (starts_number(tokens, i) || is_number(t))
            && let Some((value, used)) = read_number(tokens, i)
        {
            out.push(plain(value));
            i += used;
            continue;
        }
        out.push(t.clone());
        i += 1;
    }
    out
}

/// A number as a digit token: "25", "3.5", "-0.25".
pub fn plain(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{}", value as i64)
    } else {
        let s = format!("{value:.6}");
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    }
}

/// A number as the voice should say it: "391", "3.14", "minus 4", "about 0.0001".
pub fn speak(value: f64) -> String {
    if !value.is_finite() {
        return "not a number".to_owned();
    }
    if value < 0.0 {
        return format!("minus {}", speak(-value));
    }
    if value >= 1e15 {
        return format!("about {value:.3e}");
    }
    let rounded = (value * 1e4).round() / 1e4;
    if rounded == 0.0 && value != 0.0 {
        return format!("about {value:.2e}");
    }
    let text = plain(rounded);
    if (rounded - value).abs() > 1e-9 * value.abs().max(1.0) {
        format!("about {text}")
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conv(text: &str) -> String {
        let toks: Vec<String> = text.split_whitespace().map(str::to_owned).collect();
        words_to_digits(&toks).join(" ")
    }

    #[test]
    fn spelled_numbers_become_digits() {
        let cases = [
            ("seventeen times twenty three", "17 times 23"),
            ("twenty five minutes", "25 minutes"),
            ("a hundred and ten", "110"),
            ("one hundred ten", "110"),
            ("two thousand and twenty six", "2026"),
            ("one thousand two hundred", "1200"),
            ("three point one four", "3.14"),
            ("point five", "0.5"),
            ("one and a half hours", "1.5 hours"),
            ("two and a quarter cups", "2.25 cups"),
            ("a dozen eggs", "12 eggs"),
            ("two dozen", "24"),
            ("5 hundred", "500"),
            ("1.5 million", "1500000"),
            ("nineteen eighty four", "19 84"),
            ("twenty twenty", "20 20"),
            ("ninety nine", "99"),
            ("a minute", "a minute"),
            ("set a timer", "set a timer"),
            ("zero", "0"),
            ("fourty two", "42"),
            ("1,200 grams", "1200 grams"),
            ("ten no fifteen", "10 no 15"),
            ("seven hundred thousand", "700000"),
            ("a million", "1000000"),
        ];
        for (input, want) in cases {
            assert_eq!(conv(input), want, "input: {input}");
        }
    }

    #[test]
    fn digits_parse() {
        assert_eq!(parse_digits("1,200"), Some(1200.0));
        assert_eq!(parse_digits("-3"), Some(-3.0));
        assert_eq!(parse_digits(".5"), Some(0.5));
        assert_eq!(parse_digits("abc"), None);
        assert_eq!(parse_digits("1.2.3"), None);
        assert_eq!(parse_digits("-"), None);
    }

    #[test]
    fn numbers_are_spoken_plainly() {
        assert_eq!(speak(391.0), "391");
        assert_eq!(speak(-4.0), "minus 4");
        assert_eq!(speak(2.5), "2.5");
        assert_eq!(speak(1.0 / 3.0), "about 0.3333");
        assert_eq!(speak(0.1 + 0.2), "0.3");
        assert_eq!(speak(f64::INFINITY), "not a number");
    }
}
