//! Where text is cut for the model: sentences (not after titles or initials such as "Dr." or
//! "J.", nor before a lower-case word), and clauses inside long phoneme strings.

use std::collections::HashSet;

use fancy_regex::Regex;

use super::TtsError;

#[derive(Debug)]
pub struct Splitter {
    sentence_end: Regex,
    paragraph: Regex,
    titles: HashSet<String>,
}

impl Splitter {
    pub fn new<'a>(titles: impl Iterator<Item = &'a str>) -> Result<Self, TtsError> {
        let re = |p: &str| Regex::new(p).map_err(|e| TtsError::Asset(format!("splitter: {e}")));
        Ok(Self {
            sentence_end: re(r#"(?<=[.!?…])["”’)\]]*\s+(?=\S)"#)?,
            paragraph: re(r"\n\s*\n|\n")?,
            titles: titles.map(String::from).collect(),
        })
    }

    /// Whether the punctuation ending at byte `end` closes a sentence.
    fn ends_sentence(&self, para: &str, end: usize, next: char) -> bool {
        if next.is_lowercase() {
            return false;
        }
        if !para[..end].ends_with('.') {
            return true;
        }
        let start = para[..end].rfind(' ').map_or(0, |i| i + 1);
        let word = para[start..end - 1].trim_start_matches(['(', '"', '“', '\'', '‘']);
        let initial = word.chars().count() == 1 && word.chars().all(char::is_uppercase);
        !(self.titles.contains(word) || initial)
    }

    pub fn sentences(&self, text: &str) -> Vec<String> {
        let mut out = Vec::new();
        let text = text.trim();
        let mut pos = 0;
        let mut paras = Vec::new();
        for m in self.paragraph.find_iter(text).flatten() {
            paras.push(&text[pos..m.start()]);
            pos = m.end();
        }
        paras.push(&text[pos..]);
        for para in paras {
            let para = para.trim();
            let mut cut = 0;
            for m in self.sentence_end.find_iter(para).flatten() {
                let next = para[m.end()..].chars().next().unwrap_or(' ');
                if self.ends_sentence(para, m.start(), next) {
                    out.push(para[cut..m.start()].to_owned());
                    cut = m.end();
                }
            }
            out.push(para[cut..].to_owned());
        }
        out.retain(|s| !s.trim().is_empty());
        out
    }
}

/// Splits a phoneme string after clause punctuation (`, ; : —`) followed by spaces.
pub fn clauses(ps: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut chars = ps.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if matches!(c, ',' | ';' | ':' | '—') {
            let after = i + c.len_utf8();
            let mut end = after;
            while let Some(&(j, w)) = chars.peek() {
                if !w.is_whitespace() {
                    break;
                }
                end = j + w.len_utf8();
                chars.next();
            }
            if end > after {
                out.push(&ps[start..after]);
                start = end;
            }
        }
    }
    out.push(&ps[start..]);
    out
}

/// Packs clauses greedily into chunks of at most `max_chars` characters (a longer clause
/// stays whole); strings that fit are returned as they are.
pub fn pack_clauses(ps: &str, max_chars: usize) -> Vec<String> {
    if ps.is_empty() {
        return Vec::new();
    }
    if ps.chars().count() <= max_chars {
        return vec![ps.to_owned()];
    }
    let mut chunks = Vec::new();
    let mut cur = String::new();
    for part in clauses(ps) {
        if !cur.is_empty() && cur.chars().count() + part.chars().count() + 1 > max_chars {
            chunks.push(std::mem::take(&mut cur));
            cur.push_str(part);
        } else {
            if !cur.is_empty() {
                cur.push(' ');
            }
            cur.push_str(part);
        }
    }
    if !cur.is_empty() {
        chunks.push(cur);
    }
    chunks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentences_skip_titles_initials_and_lowercase() {
        let s = Splitter::new(["Dr", "Mr"].into_iter()).unwrap();
        assert_eq!(
            s.sentences(
                "Dr. Smith met J. K. Rowling. Then they left! \"Why?\" she asked. e.g. this"
            ),
            vec![
                "Dr. Smith met J. K. Rowling.",
                "Then they left!",
                "\"Why?\" she asked. e.g. this"
            ]
        );
        assert_eq!(
            s.sentences("One.\n\nTwo.\nThree"),
            vec!["One.", "Two.", "Three"]
        );
    }

    #[test]
    fn clauses_pack() {
        assert_eq!(clauses("a, b;  c d"), vec!["a,", "b;", "c d"]);
        assert_eq!(
            pack_clauses("aaaa, bbbb, cccc", 10),
            vec!["aaaa,", "bbbb, cccc"]
        );
        assert_eq!(pack_clauses("short", 10), vec!["short"]);
    }
}
