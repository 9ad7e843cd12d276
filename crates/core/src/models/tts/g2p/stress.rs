//! Phoneme inventory and stress marks.

pub const PRIMARY: char = 'ˈ';
pub const SECONDARY: char = 'ˌ';

pub fn is_vowel(c: char) -> bool {
    "AIOQWYaiuæɑɒɔəɛɜɪʊʌᵻ".contains(c)
}

pub fn is_consonant(c: char) -> bool {
    "bdfhjklmnpstvwzðŋɡɹɾʃʒʤʧθ".contains(c)
}

fn is_diphthong(c: char) -> bool {
    "AIOQWYʤʧ".contains(c)
}

fn is_stress(c: char) -> bool {
    c == PRIMARY || c == SECONDARY
}

/// Syllable weight used to pick which parts of a compound keep their stress.
pub fn weight(ps: &str) -> usize {
    ps.chars()
        .map(|c| if is_diphthong(c) { 2 } else { 1 })
        .sum()
}

/// Puts a stress mark in front of the first vowel.
fn with_mark(mark: char, ps: &str) -> String {
    let mut out = String::with_capacity(ps.len() + 2);
    let mut placed = false;
    for c in ps.chars() {
        if !placed && is_vowel(c) {
            out.push(mark);
            placed = true;
        }
        out.push(c);
    }
    out
}

/// Adjusts a word's stress. `stress` is a level: below -1 removes all marks, -1 (or 0 / -0.5
/// on a word with primary stress) demotes primary to secondary, 0 to 1 adds secondary stress
/// to an unstressed word, 1 and up promotes secondary to primary, above 1 adds primary stress.
pub fn apply(ps: &str, stress: Option<f32>) -> String {
    let Some(s) = stress else {
        return ps.to_owned();
    };
    let has_primary = ps.contains(PRIMARY);
    let has_secondary = ps.contains(SECONDARY);
    let unstressed = !ps.chars().any(is_stress);
    let has_vowel = ps.chars().any(is_vowel);
    if s < -1.0 {
        ps.chars().filter(|&c| !is_stress(c)).collect()
    } else if s == -1.0 || ((s == 0.0 || s == -0.5) && has_primary) {
        ps.chars()
            .filter(|&c| c != SECONDARY)
            .map(|c| if c == PRIMARY { SECONDARY } else { c })
            .collect()
    } else if (s == 0.0 || s == 0.5 || s == 1.0) && unstressed {
        if has_vowel {
            with_mark(SECONDARY, ps)
        } else {
            ps.to_owned()
        }
    } else if s >= 1.0 && !has_primary && has_secondary {
        ps.replace(SECONDARY, &PRIMARY.to_string())
    } else if s > 1.0 && unstressed {
        if has_vowel {
            with_mark(PRIMARY, ps)
        } else {
            ps.to_owned()
        }
    } else {
        ps.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stress_levels() {
        assert_eq!(apply("hˈɛlO", Some(-2.0)), "hɛlO");
        assert_eq!(apply("ˌAbˈɛl", Some(-1.0)), "Abˌɛl");
        assert_eq!(apply("ðə", Some(0.5)), "ðˌə");
        assert_eq!(apply("ðə", Some(2.0)), "ðˈə");
        assert_eq!(apply("ˌæt", Some(2.0)), "ˈæt");
        assert_eq!(apply("st", Some(2.0)), "st");
        assert_eq!(apply("x", None), "x");
    }
}
