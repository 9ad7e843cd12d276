//! Spoken arithmetic: "what is 17 times 23", "5 plus 3 times 2", "square root of 144",
//! "15 percent of 80", "2 to the power of 10", "add 5 and 7", "divide 10 by 4".
//!
//! Numbers arrive as digits (see [`crate::reasoning::numbers`]). The grammar, loosest first:
//!
//! ```text
//! sum     := product (("plus" | "minus") product)*
//! product := unary (("times" | "x" | "multiplied by" | "divided by" | "over" | "mod") unary)*
//! unary   := ("minus" | "negative" | "square root of" | "cube root of" | "half of"
//!             | "double" | "twice" | "triple") unary | power
//! power   := postfix (("to the power of" | "raised to" | "to the") unary ("power")?)?
//! postfix := NUMBER ("squared" | "cubed" | "percent" ("of" unary)? | "factorial")*
//! ```

use super::{Outcome, SkillAnswer, SkillEnv, starts};
use crate::reasoning::numbers::{parse_digits, plain, speak};

#[derive(Debug, Clone, PartialEq)]
pub enum MathError {
    /// The words are not an arithmetic expression.
    NotMath,
    DivideByZero,
    Domain(&'static str),
}

impl std::fmt::Display for MathError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::NotMath => f.write_str("not an arithmetic expression"),
            Self::DivideByZero => f.write_str("division by zero"),
            Self::Domain(why) => f.write_str(why),
        }
    }
}

struct Parser<'a> {
    t: &'a [String],
    i: usize,
    operators: usize,
}

impl Parser<'_> {
    fn eat(&mut self, phrase: &[&str]) -> bool {
        if starts(&self.t[self.i..], phrase) {
            self.i += phrase.len();
            true
        } else {
            false
        }
    }

    fn eat_any(&mut self, phrases: &[&[&str]]) -> Option<usize> {
        let k = phrases.iter().position(|p| starts(&self.t[self.i..], p))?;
        self.i += phrases[k].len();
        self.operators += 1;
        Some(k)
    }

    fn sum(&mut self) -> Result<f64, MathError> {
        let mut v = self.product()?;
        while let Some(k) = self.eat_any(&[&["plus"], &["minus"], &["less"], &["take", "away"]]) {
            let rhs = self.product()?;
            v = if k == 0 { v + rhs } else { v - rhs };
        }
        Ok(v)
    }

    fn product(&mut self) -> Result<f64, MathError> {
        let mut v = self.unary()?;
        while let Some(k) = self.eat_any(&[
            &["times"],
            &["x"],
            &["multiplied", "by"],
            &["divided", "by"],
            &["over"],
            &["mod"],
            &["modulo"],
            &["divided", "into"],
        ]) {
            let rhs = self.unary()?;
            v = match k {
                0..=2 => v * rhs,
                3 | 4 if rhs == 0.0 => return Err(MathError::DivideByZero),
                3 | 4 => v / rhs,
                5 | 6 if rhs == 0.0 => return Err(MathError::DivideByZero),
                5 | 6 => v.rem_euclid(rhs),
                _ if v == 0.0 => return Err(MathError::DivideByZero),
                _ => rhs / v,
            };
        }
        Ok(v)
    }

    fn unary(&mut self) -> Result<f64, MathError> {
        self.eat(&["the"]);
        if let Some(k) = self.eat_any(&[
            &["minus"],
            &["negative"],
            &["square", "root", "of"],
            &["root", "of"],
            &["cube", "root", "of"],
            &["half", "of"],
            &["double"],
            &["twice"],
            &["triple"],
            &["a", "third", "of"],
            &["a", "quarter", "of"],
            &["square", "of"],
        ]) {
            let v = self.unary()?;
            return match k {
                0 | 1 => Ok(-v),
                2 | 3 if v < 0.0 => Err(MathError::Domain(
                    "the square root of a negative number isn't a real number",
                )),
                2 | 3 => Ok(v.sqrt()),
                4 => Ok(v.cbrt()),
                5 => Ok(v / 2.0),
                6 | 7 => Ok(v * 2.0),
                8 => Ok(v * 3.0),
                9 => Ok(v / 3.0),
                10 => Ok(v / 4.0),
                _ => Ok(v * v),
            };
        }
        self.power()
    }

    fn power(&mut self) -> Result<f64, MathError> {
        let base = self.postfix()?;
        if self
            .eat_any(&[
                &["to", "the", "power", "of"],
                &["raised", "to", "the", "power", "of"],
                &["raised", "to", "the"],
                &["raised", "to"],
                &["to", "the"],
                &["power"],
            ])
            .is_some()
        {
            let ordinal = self.t.get(self.i).and_then(|w| ordinal(w));
            let exp = match ordinal {
                Some(n) => {
                    self.i += 1;
                    n
                }
                None => self.unary()?,
            };
            // "3 to the 4th": ASR splits "4th" into "4 th".
            if self
                .t
                .get(self.i)
                .is_some_and(|w| matches!(w.as_str(), "th" | "st" | "nd" | "rd"))
            {
                self.i += 1;
            }
            self.eat(&["power"]);
            let v = base.powf(exp);
            return if v.is_finite() {
                Ok(v)
            } else {
                Err(MathError::Domain("that number is too big for me"))
            };
        }
        Ok(base)
    }

    fn postfix(&mut self) -> Result<f64, MathError> {
        let mut v = match self.t.get(self.i).and_then(|w| parse_digits(w)) {
            Some(v) => {
                self.i += 1;
                v
            }
            None if self.eat(&["pi"]) => std::f64::consts::PI,
            None => return Err(MathError::NotMath),
        };
        loop {
            if self.eat(&["squared"]) {
                self.operators += 1;
                v *= v;
            } else if self.eat(&["cubed"]) {
                self.operators += 1;
                v = v * v * v;
            } else if self.eat(&["percent", "of"]) {
                self.operators += 1;
                v = v / 100.0 * self.unary()?;
            } else if self.eat(&["percent"]) {
                self.operators += 1;
                v /= 100.0;
            } else if self.eat(&["factorial"]) {
                self.operators += 1;
                if v < 0.0 || v.fract() != 0.0 || v > 170.0 {
                    return Err(MathError::Domain(
                        "factorials are for whole numbers from 0 to 170",
                    ));
                }
                v = (1..=v as u64).map(|k| k as f64).product();
            } else {
                return Ok(v);
            }
        }
    }
}

/// "second" -> 2 ... "tenth" -> 10, for powers.
fn ordinal(word: &str) -> Option<f64> {
    let n = match word {
        "second" => 2,
        "third" => 3,
        "fourth" => 4,
        "fifth" => 5,
        "sixth" => 6,
        "seventh" => 7,
        "eighth" => 8,
        "ninth" => 9,
        "tenth" => 10,
        _ => return None,
    };
    Some(f64::from(n))
}

/// Evaluates an expression in words; it must use at least one operator.
pub fn evaluate(tokens: &[String]) -> Result<f64, MathError> {
    let mut p = Parser {
        t: tokens,
        i: 0,
        operators: 0,
    };
    let v = p.sum()?;
    if p.i != tokens.len() || p.operators == 0 {
        return Err(MathError::NotMath);
    }
    Ok(v)
}

/// Leading words that only ask: "what is", "calculate", "how much is", "can you work out".
const ASKING: &[&str] = &[
    "what",
    "is",
    "are",
    "whats",
    "calculate",
    "compute",
    "how",
    "much",
    "tell",
    "me",
    "solve",
    "evaluate",
    "work",
    "out",
    "figure",
    "do",
    "does",
    "know",
    "answer",
    "result",
    "of",
    "equals",
    "quick",
    "quickly",
    "math",
    "maths",
    "question",
    "you",
];

/// Trailing words that only ask: "... equal", "... make", "... come to".
const TRAILING: &[&str] = &[
    "equal", "equals", "make", "makes", "is", "come", "comes", "to", "give", "gives", "be",
    "exactly", "again", "please", "for", "me", "in", "total",
];

/// Rewrites verb forms into infix: "add 5 and 7" -> "5 plus 7", "subtract 3 from 10" ->
/// "10 minus 3", "divide 10 by 4", "multiply 6 by 7", "the sum of 5 and 7".
fn verb_forms(t: &[String]) -> Option<Vec<String>> {
    let s = |x: &str| x.to_owned();
    let (op, rest): (&str, &[String]) = match t.first().map(String::as_str)? {
        "add" | "sum" => ("plus", &t[1..]),
        "subtract" => ("minus", &t[1..]),
        "multiply" | "product" => ("times", &t[1..]),
        "divide" => ("divided by", &t[1..]),
        _ => return None,
    };
    let rest = rest.strip_prefix(&[s("of")]).unwrap_or(rest);
    let sep = rest
        .iter()
        .position(|w| matches!(w.as_str(), "and" | "to" | "from" | "by"))?;
    let (a, b) = (&rest[..sep], &rest[sep + 1..]);
    let sep_word = rest[sep].as_str();
    let (lhs, rhs) = match (op, sep_word) {
        ("minus", "from") => (b, a),
        ("plus", "to") => (b, a),
        _ => (a, b),
    };
    let mut out: Vec<String> = lhs.to_vec();
    out.extend(op.split(' ').map(s));
    for w in rhs {
        // "the sum of 1 and 2 and 3".
        if w == "and" && matches!(op, "plus" | "times") {
            out.push(s(op));
        } else {
            out.push(w.clone());
        }
    }
    Some(out)
}

/// The expression part of a question, without the asking words around it.
fn expression(t: &[String]) -> Vec<String> {
    let mut start = 0;
    while start < t.len()
        && ASKING.contains(&t[start].as_str())
        && parse_digits(&t[start]).is_none()
    {
        start += 1;
    }
    let mut end = t.len();
    while end > start && TRAILING.contains(&t[end - 1].as_str()) {
        end -= 1;
    }
    let core = &t[start..end];
    let core = core.strip_prefix(&["the".to_owned()]).unwrap_or(core);
    verb_forms(core).unwrap_or_else(|| core.to_vec())
}

/// "Is 17 a prime number?", "is 91 prime" (the language model said 17 is not): the answer, with
/// the smallest factor when there is one.
fn prime(t: &[String]) -> Option<String> {
    let (n, rest) = match t {
        [is, n, rest @ ..] if is == "is" => (n, rest),
        _ => return None,
    };
    let asks = matches!(
        rest.iter()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .as_slice(),
        ["prime"] | ["a", "prime"] | ["a", "prime", "number"] | ["prime", "number"]
    );
    let n = parse_digits(n).filter(|n| asks && n.fract() == 0.0 && *n >= 0.0 && *n < 1e12)? as u64;
    let factor = (2..)
        .take_while(|d| d * d <= n)
        .find(|d| n.is_multiple_of(*d));
    Some(match (n, factor) {
        (0 | 1, _) => format!("No, {n} is not a prime number."),
        (_, None) => format!("Yes, {n} is a prime number."),
        (_, Some(d)) => format!("No, {n} is not prime: it is {d} times {}.", n / d),
    })
}

/// Money as the voice says it: "9", "22.50".
fn money(v: f64) -> String {
    let cents = (v * 100.0).round() / 100.0;
    if cents.fract() == 0.0 {
        plain(cents)
    } else {
        format!("{cents:.2}")
    }
}

/// An amount at `i`: "45", "45 dollars" (the normalizer writes "$45" so): the value, its
/// currency word (if any) and the index after it.
fn amount_at(t: &[String], i: usize) -> Option<(f64, Option<&'static str>, usize)> {
    let v = parse_digits(t.get(i)?).filter(|v| *v >= 0.0)?;
    let word = t.get(i + 1).and_then(|n| match n.as_str() {
        "dollars" | "dollar" | "bucks" => Some("dollars"),
        "pounds" | "pound" | "quid" => Some("pounds"),
        "euros" | "euro" => Some("euros"),
        _ => None,
    });
    let end = if word.is_some() { i + 2 } else { i + 1 };
    Some((v, word, end))
}

/// "What's a 20% tip on 45 dollars?" (the language model answered "20% of 45 is 1. So, 20 x .1
/// = 2 dollars ..."): the tip and the total.
fn tip(t: &[String]) -> Option<String> {
    let at = t.iter().position(|w| w == "tip")?;
    // The percentage: "20 percent tip", "tip of 20 percent".
    let pct = (0..t.len().saturating_sub(1))
        .find(|&i| t[i + 1] == "percent")
        .and_then(|i| parse_digits(&t[i]))?;
    let on = (at + 1..t.len()).find(|&i| matches!(t[i].as_str(), "on" | "for"))?;
    let (bill, currency, _) = amount_at(t, on + 1)?;
    let unit = currency.map_or(String::new(), |c| format!(" {c}"));
    let tip = bill * pct / 100.0;
    Some(format!(
        "A {} percent tip on {}{unit} is {}{unit}, {}{unit} in all.",
        plain(pct),
        money(bill),
        money(tip),
        money(bill + tip)
    ))
}

/// "Split 90 pounds between 4 people", "divide the bill of 60 dollars 3 ways" (the language
/// model said it would "split 90 pounds between 4 people"): each one's share.
fn split(t: &[String]) -> Option<String> {
    let verb = t
        .iter()
        .position(|w| matches!(w.as_str(), "split" | "divide" | "share"))?;
    let (total, currency, end) = (verb + 1..t.len()).find_map(|i| amount_at(t, i))?;
    let rest = &t[end..];
    let between = rest
        .first()
        .is_some_and(|w| matches!(w.as_str(), "between" | "among" | "amongst" | "by" | "into"));
    let n_at = usize::from(between);
    let n = rest
        .get(n_at)
        .and_then(|w| parse_digits(w))
        .filter(|n| n.fract() == 0.0 && *n >= 2.0)?;
    let whom = rest.get(n_at + 1).map(String::as_str);
    if !matches!(whom, Some("people" | "ways" | "persons" | "of")) {
        return None;
    }
    let unit = currency.map_or(String::new(), |c| format!(" {c}"));
    Some(format!(
        "{}{unit} split {} ways is {}{unit} each.",
        money(total),
        plain(n),
        money(total / n)
    ))
}

pub(super) fn answer(t: &[String], _env: &SkillEnv<'_>) -> Option<Outcome> {
    if let Some(text) = prime(t).or_else(|| tip(t)).or_else(|| split(t)) {
        return Some(Outcome::Answer(SkillAnswer::say("math", text)));
    }
    let expr = expression(t);
    let text = match evaluate(&expr) {
        Ok(v) => {
            let spoken = expr.join(" ");
            if expr.len() <= 9 {
                format!("{spoken} is {}.", speak(v))
            } else {
                format!("That's {}.", speak(v))
            }
        }
        Err(MathError::NotMath) => return None,
        Err(MathError::DivideByZero) => "Dividing by zero isn't defined.".to_owned(),
        Err(MathError::Domain(why)) => format!("I can't work that out: {why}."),
    };
    let text = super::sentence(&text);
    Some(Outcome::Answer(SkillAnswer::say("math", text)))
}

/// Evaluates text for the LLM's calculator tool.
pub fn calculate(expression: &str) -> Result<f64, MathError> {
    let u = crate::reasoning::Utterance::parse(expression);
    evaluate(&self::expression(&u.tokens))
}
