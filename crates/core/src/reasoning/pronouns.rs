//! Pronoun flipping, shared by the skills and the timer announcements.

/// Turns the user's words into the assistant's: "my keys" -> "your keys", "I am" -> "you are".
pub fn flip_pronouns(text: &str) -> String {
    let words: Vec<&str> = text.split_whitespace().collect();
    let mut out = Vec::with_capacity(words.len());
    for (i, w) in words.iter().enumerate() {
        let next = words.get(i + 1).copied();
        let flipped = match (w.to_lowercase().as_str(), next) {
            ("i", _) => "you",
            ("me", _) => "you",
            ("my", _) => "your",
            ("mine", _) => "yours",
            ("myself", _) => "yourself",
            ("am", _) if i > 0 && words[i - 1].eq_ignore_ascii_case("i") => "are",
            ("was", _) if i > 0 && words[i - 1].eq_ignore_ascii_case("i") => "were",
            ("i'm", _) => "you're",
            ("i've", _) => "you've",
            ("i'll", _) => "you'll",
            ("i'd", _) => "you'd",
            ("we", _) => "we",
            _ => w,
        };
        out.push(flipped);
    }
    out.join(" ")
}
