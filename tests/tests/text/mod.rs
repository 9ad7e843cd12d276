//! Word error rate for the ASR tests: one normalization for the reference, the truth and ours.

/// Lower case, hyphens and dashes as spaces, punctuation dropped (apostrophes kept), numbers
/// below a thousand as words and the common titles spelled out, so "10 of clubs" and "ten of
/// clubs" or "Mr. Dashwood" and "mister dashwood" count as the same words.
pub fn words(s: &str) -> Vec<String> {
    s.to_lowercase()
        .replace(['-', '—', '–'], " ")
        .chars()
        .filter(|c| c.is_alphanumeric() || c.is_whitespace() || *c == '\'')
        .collect::<String>()
        .split_whitespace()
        .flat_map(|w| match w {
            "mr" => vec!["mister".to_owned()],
            "mrs" => vec!["missus".to_owned()],
            "dr" => vec!["doctor".to_owned()],
            _ => match w.parse::<u32>() {
                Ok(n) if n < 1000 => number_words(n),
                _ => vec![w.to_owned()],
            },
        })
        .collect()
}

/// "42" -> ["forty", "two"], with the TTS front end's number reading.
fn number_words(n: u32) -> Vec<String> {
    tandem_core::models::tts::g2p::numbers::cardinal(i128::from(n))
        .unwrap_or_else(|| n.to_string())
        .split(|c: char| !c.is_alphabetic())
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Errors and reference words of `hypothesis` against `truth`.
pub fn errors(truth: &str, hypothesis: &str) -> (usize, usize) {
    let t = words(truth);
    (
        tandem_core::text::edit_distance(&t, &words(hypothesis)),
        t.len(),
    )
}

#[test]
fn numbers_and_titles_normalize() {
    assert_eq!(
        words("Mr. Smith's 10 cold-hearted cats, 42!").join(" "),
        "mister smith's ten cold hearted cats forty two"
    );
    assert_eq!(words("105 0").join(" "), "one hundred and five zero");
    assert_eq!(errors("ten of clubs", "10 of clubs."), (0, 3));
    assert_eq!(
        errors("four queen of clubs", "for Queen of Clothes."),
        (2, 4)
    );
}
