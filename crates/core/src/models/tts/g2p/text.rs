//! String predicates with the meaning the reference pipeline gives them (Unicode-aware
//! `isalpha`, `islower`, `capitalize`, ...), so the rules read the same text the same way.

/// Non-empty and every character a letter.
pub fn is_alpha(s: &str) -> bool {
    !s.is_empty() && s.chars().all(char::is_alphabetic)
}

fn is_cased(c: char) -> bool {
    c.is_lowercase() || c.is_uppercase()
}

/// At least one cased character and none upper case.
pub fn is_lower(s: &str) -> bool {
    s.chars().any(is_cased) && !s.chars().any(char::is_uppercase)
}

/// At least one cased character and none lower case.
pub fn is_upper(s: &str) -> bool {
    s.chars().any(is_cased) && !s.chars().any(char::is_lowercase)
}

/// A Unicode decimal digit (what `str.isdigit` accepts for ordinary text).
pub fn is_digit_char(c: char) -> bool {
    c.is_ascii_digit() || superscript_digit(c).is_some()
}

/// Non-empty and only digits.
pub fn is_digits(s: &str) -> bool {
    !s.is_empty() && s.chars().all(is_digit_char)
}

/// Non-empty and only ASCII digits.
pub fn is_ascii_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// The value of a superscript digit.
pub fn superscript_digit(c: char) -> Option<u32> {
    match c {
        '⁰' => Some(0),
        '¹' => Some(1),
        '²' => Some(2),
        '³' => Some(3),
        '⁴'..='⁹' => Some(c as u32 - '⁴' as u32 + 4),
        _ => None,
    }
}

pub fn lower(s: &str) -> String {
    s.to_lowercase()
}

pub fn upper(s: &str) -> String {
    s.to_uppercase()
}

/// First character upper case, the rest lower case.
pub fn capitalize(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        None => String::new(),
        Some(first) => first
            .to_uppercase()
            .chain(chars.flat_map(char::to_lowercase))
            .collect(),
    }
}

/// Number of characters.
pub fn char_len(s: &str) -> usize {
    s.chars().count()
}

/// `s` without its last `n` characters.
pub fn drop_last(s: &str, n: usize) -> &str {
    let cut = s
        .char_indices()
        .rev()
        .nth(n.saturating_sub(1))
        .map_or(0, |(i, _)| i);
    if n == 0 { s } else { &s[..cut] }
}

/// `s` without its first character.
pub fn drop_first(s: &str) -> &str {
    s.char_indices().nth(1).map_or("", |(i, _)| &s[i..])
}

/// The last `n` characters of `s` (all of it when shorter).
pub fn last_chars(s: &str, n: usize) -> &str {
    let start = s
        .char_indices()
        .rev()
        .nth(n.saturating_sub(1))
        .map_or(0, |(i, _)| i);
    if n == 0 { "" } else { &s[start..] }
}

/// Escapes a string for use inside a regex character class or as a literal.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 2);
    for c in s.chars() {
        if "\\.+*?()|[]{}^$#&-~".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// An alternation of literals, longest first (stable for equal lengths), as the reference's
/// pattern builder does.
pub fn alternation<'a>(words: impl IntoIterator<Item = &'a str>) -> String {
    let mut words: Vec<&str> = words.into_iter().collect();
    words.sort_by_key(|w| std::cmp::Reverse(char_len(w)));
    words
        .iter()
        .map(|w| escape(w))
        .collect::<Vec<_>>()
        .join("|")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn predicates_follow_the_reference_meaning() {
        assert!(is_lower("abc'd") && !is_lower("Abc") && !is_lower("123"));
        assert!(is_upper("ABC1") && !is_upper("1"));
        assert_eq!(capitalize("hELLO"), "Hello");
        assert_eq!(drop_last("héllo", 2), "hél");
        assert_eq!(last_chars("héllo", 3), "llo");
        assert_eq!(last_chars("hé", 3), "hé");
        assert_eq!(drop_first("éa"), "a");
        assert!(is_digits("²3") && !is_digits(""));
        assert_eq!(alternation(["a", "abc", "ab", "xyz"]), "abc|xyz|ab|a");
    }
}
