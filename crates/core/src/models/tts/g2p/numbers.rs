//! English number words (cardinals with "and", ordinals, years, decimals) in the style the
//! lexicon's number reading expects: words only, the caller splits on non-letters.

const ONES: [&str; 20] = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
];
const TENS: [&str; 10] = [
    "", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety",
];
const SCALES: [&str; 12] = [
    "",
    "thousand",
    "million",
    "billion",
    "trillion",
    "quadrillion",
    "quintillion",
    "sextillion",
    "septillion",
    "octillion",
    "nonillion",
    "decillion",
];

/// Words for 0..=999: "three hundred and five", "forty-two".
fn small(n: u128, out: &mut Vec<String>) {
    let mut n = n;
    let start = out.len();
    if n >= 100 {
        out.push(ONES[(n / 100) as usize].to_owned());
        out.push("hundred".to_owned());
        n %= 100;
        if n > 0 {
            out.push("and".to_owned());
        }
    }
    if n >= 20 {
        let tens = TENS[(n / 10) as usize];
        out.push(if !n.is_multiple_of(10) {
            format!("{tens}-{}", ONES[(n % 10) as usize])
        } else {
            tens.to_owned()
        });
    } else if n > 0 || out.len() == start {
        out.push(ONES[n as usize].to_owned());
    }
}

/// "one thousand, two hundred and thirty-four"; `None` past the largest scale word.
pub fn cardinal(n: i128) -> Option<String> {
    if n < 0 {
        return Some(format!("minus {}", cardinal(n.checked_neg()?)?));
    }
    let mut n = n as u128;
    if n < 1000 {
        let mut w = Vec::new();
        small(n, &mut w);
        return Some(w.join(" "));
    }
    let mut groups = Vec::new();
    let mut scale = 0;
    while n > 0 {
        let g = n % 1000;
        n /= 1000;
        if g > 0 {
            let mut w = Vec::new();
            small(g, &mut w);
            let mut text = w.join(" ");
            if scale > 0 {
                text.push(' ');
                text.push_str(SCALES.get(scale)?);
            }
            groups.push(text);
        }
        scale += 1;
    }
    groups.reverse();
    let last = groups.last().cloned().unwrap_or_default();
    let tail = last.rsplit(" and ").next().unwrap_or("");
    if groups.len() > 1 && !tail.contains(' ') && !last.contains("hundred") {
        // "one thousand and one"
        let head = groups[..groups.len() - 1].join(", ");
        return Some(format!("{head} and {last}"));
    }
    Some(groups.join(", "))
}

fn ordinal_word(w: &str) -> String {
    match w {
        "one" => "first".into(),
        "two" => "second".into(),
        "three" => "third".into(),
        "five" => "fifth".into(),
        "eight" => "eighth".into(),
        "nine" => "ninth".into(),
        "twelve" => "twelfth".into(),
        _ => match w.strip_suffix('y') {
            Some(stem) => format!("{stem}ieth"),
            None => format!("{w}th"),
        },
    }
}

/// "twenty-third", "one hundred and first".
pub fn ordinal(n: i128) -> Option<String> {
    let c = cardinal(n)?;
    let (head, last) = match c.rfind(' ') {
        Some(i) => (&c[..=i], &c[i + 1..]),
        None => ("", c.as_str()),
    };
    let last = match last.rfind('-') {
        Some(i) => format!("{}-{}", &last[..i], ordinal_word(&last[i + 1..])),
        None => ordinal_word(last),
    };
    Some(format!("{head}{last}"))
}

/// Years: "nineteen oh-five", "two thousand and five", "twenty ten", "nineteen hundred".
pub fn year(n: i128) -> Option<String> {
    let (high, low) = (n.div_euclid(100), n.rem_euclid(100));
    if high == 0 || (high % 10 == 0 && low < 10) || high >= 100 {
        return cardinal(n);
    }
    let low_text = if low == 0 {
        "hundred".to_owned()
    } else if low < 10 {
        format!("oh-{}", cardinal(low)?)
    } else {
        cardinal(low)?
    };
    Some(format!("{} {low_text}", cardinal(high)?))
}

/// "3.14" -> "three point one four" (trailing zeros dropped, as a float would print).
pub fn decimal(s: &str) -> Option<String> {
    let (ip, fp) = s.split_once('.').unwrap_or((s, ""));
    let fp = fp.trim_end_matches('0');
    let int: i128 = if ip.is_empty() { 0 } else { ip.parse().ok()? };
    let mut words = cardinal(int)?;
    if !fp.is_empty() {
        words.push_str(" point");
        for c in fp.chars() {
            words.push(' ');
            words.push_str(ONES[c.to_digit(10)? as usize]);
        }
    }
    Some(words)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cardinals() {
        assert_eq!(cardinal(0).unwrap(), "zero");
        assert_eq!(cardinal(105).unwrap(), "one hundred and five");
        assert_eq!(cardinal(1001).unwrap(), "one thousand and one");
        assert_eq!(cardinal(1025).unwrap(), "one thousand and twenty-five");
        assert_eq!(
            cardinal(1234).unwrap(),
            "one thousand, two hundred and thirty-four"
        );
        assert_eq!(cardinal(5_005_000).unwrap(), "five million, five thousand");
        assert_eq!(cardinal(-3).unwrap(), "minus three");
    }

    #[test]
    fn ordinals_years_decimals() {
        assert_eq!(ordinal(23).unwrap(), "twenty-third");
        assert_eq!(ordinal(101).unwrap(), "one hundred and first");
        assert_eq!(ordinal(1000).unwrap(), "one thousandth");
        assert_eq!(ordinal(40).unwrap(), "fortieth");
        assert_eq!(year(1905).unwrap(), "nineteen oh-five");
        assert_eq!(year(2005).unwrap(), "two thousand and five");
        assert_eq!(year(2010).unwrap(), "twenty ten");
        assert_eq!(year(1900).unwrap(), "nineteen hundred");
        assert_eq!(decimal("3.140").unwrap(), "three point one four");
        assert_eq!(decimal("2.0").unwrap(), "two");
    }
}
