//! A pronunciation dictionary (misaki's gold or silver lexicon) kept compact: its ~90 000 plain
//! entries as one string of keys and pronunciations with a sorted index of offsets, looked up
//! by binary search; the few hundred entries with a pronunciation per part of speech in a map.
//! A map of owned strings held ~30 MB for the two lexicons; this holds ~8 MB, and is read
//! from the JSON without a map in between.

use std::collections::HashMap;
use std::fmt;

use serde::Deserialize;
use serde::de::{Deserializer, MapAccess, Visitor};

use super::text::{capitalize, char_len, lower};

/// A dictionary value: one pronunciation, or one per part of speech (some absent).
#[derive(Debug, Clone, Copy)]
pub enum Entry<'a> {
    Plain(&'a str),
    Tagged(&'a [(String, Option<String>)]),
}

impl<'a> Entry<'a> {
    pub fn tag(self, tag: &str) -> Option<Option<&'a str>> {
        match self {
            Entry::Plain(_) => None,
            Entry::Tagged(v) => v.iter().find(|(k, _)| k == tag).map(|(_, p)| p.as_deref()),
        }
    }

    pub fn has(self, tag: &str) -> bool {
        self.tag(tag).is_some()
    }

    pub fn default(self) -> Option<&'a str> {
        match self {
            Entry::Plain(s) => Some(s),
            Entry::Tagged(_) => self.tag("DEFAULT").flatten(),
        }
    }
}

/// One plain entry: its key is `text[key..pron]`, its pronunciation `text[pron..end]`.
#[derive(Debug, Clone, Copy)]
struct Span {
    key: u32,
    pron: u32,
    end: u32,
}

/// A dictionary where a lower-case key also answers to its Capitalized form and the other way
/// round, unless that form has its own entry.
#[derive(Debug, Default)]
pub struct Dict {
    text: String,
    /// Sorted by key, one per key.
    plain: Vec<Span>,
    tagged: HashMap<String, Vec<(String, Option<String>)>>,
}

impl Dict {
    /// Builds a dictionary from entries in file order; a key given twice keeps its last value
    /// (as a JSON object read into a map does).
    #[cfg(test)]
    fn from_entries<'e>(entries: impl IntoIterator<Item = (&'e str, Owned)>) -> Self {
        let mut d = Builder::default();
        for (key, value) in entries {
            d.push(key.to_owned(), value);
        }
        d.finish()
    }

    fn key(&self, s: Span) -> &str {
        &self.text[s.key as usize..s.pron as usize]
    }

    fn exact(&self, w: &str) -> Option<Entry<'_>> {
        if let Some(v) = self.tagged.get(w) {
            return Some(Entry::Tagged(v));
        }
        let i = self.plain.binary_search_by(|s| self.key(*s).cmp(w)).ok()?;
        let s = self.plain[i];
        Some(Entry::Plain(&self.text[s.pron as usize..s.end as usize]))
    }

    pub fn get(&self, w: &str) -> Option<Entry<'_>> {
        if let Some(v) = self.exact(w) {
            return Some(v);
        }
        if char_len(w) < 2 {
            return None;
        }
        let wl = lower(w);
        if w == wl {
            let c = capitalize(w);
            return if c != w { self.exact(&c) } else { None };
        }
        if w == capitalize(&wl) {
            return self.exact(&wl);
        }
        None
    }

    pub fn contains(&self, w: &str) -> bool {
        self.get(w).is_some()
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.plain.len() + self.tagged.len()
    }
}

/// An offset into a table's string (its tables stay far below 4 GiB).
pub(super) fn offset(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// `items` sorted by `key`, one per key: of items with equal keys the last one in `items`, as
/// a JSON object read into a map keeps the last value of a repeated key.
pub(super) fn sorted_last_of_each<'k, T>(mut items: Vec<T>, key: impl Fn(&T) -> &'k str) -> Vec<T> {
    // Stable: among equal keys the last one stays last.
    items.sort_by(|a, b| key(a).cmp(key(b)));
    let mut kept: Vec<T> = Vec::with_capacity(items.len());
    for item in items {
        match kept.last_mut() {
            Some(last) if key(last) == key(&item) => *last = item,
            _ => kept.push(item),
        }
    }
    kept
}

/// A value as read: what [`Dict::from_entries`] takes.
#[derive(Debug, Clone)]
pub enum Owned {
    Plain(String),
    Tagged(Vec<(String, Option<String>)>),
}

#[derive(Default)]
struct Builder {
    text: String,
    plain: Vec<Span>,
    tagged: HashMap<String, Vec<(String, Option<String>)>>,
}

impl Builder {
    fn push(&mut self, key: String, value: Owned) {
        match value {
            Owned::Plain(p) => {
                self.tagged.remove(&key);
                let k = self.text.len();
                self.text.push_str(&key);
                let pron = self.text.len();
                self.text.push_str(&p);
                self.plain.push(Span {
                    key: offset(k),
                    pron: offset(pron),
                    end: offset(self.text.len()),
                });
            }
            // A later tagged value replaces an earlier plain one: `finish` drops plain entries
            // whose key is tagged.
            Owned::Tagged(v) => {
                self.tagged.insert(key, v);
            }
        }
    }

    fn finish(self) -> Dict {
        let Builder {
            mut text,
            plain,
            tagged,
        } = self;
        let key = |s: &Span| &text[s.key as usize..s.pron as usize];
        let mut kept = sorted_last_of_each(plain, key);
        kept.retain(|s| !tagged.contains_key(key(s)));
        kept.shrink_to_fit();
        text.shrink_to_fit();
        Dict {
            text,
            plain: kept,
            tagged,
        }
    }
}

impl<'de> Deserialize<'de> for Owned {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Owned;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a phoneme string or an object of them")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Owned, E> {
                Ok(Owned::Plain(v.to_owned()))
            }
            fn visit_string<E: serde::de::Error>(self, v: String) -> Result<Owned, E> {
                Ok(Owned::Plain(v))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Owned, A::Error> {
                let mut v = Vec::new();
                while let Some((k, x)) = m.next_entry::<String, Option<String>>()? {
                    v.push((k, x));
                }
                Ok(Owned::Tagged(v))
            }
        }
        d.deserialize_any(V)
    }
}

/// Read straight from the JSON object, one entry at a time.
impl<'de> Deserialize<'de> for Dict {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Dict;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object of words and their pronunciations")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Dict, A::Error> {
                let mut b = Builder::default();
                while let Some((k, v)) = m.next_entry::<String, Owned>()? {
                    b.push(k, v);
                }
                Ok(b.finish())
            }
        }
        d.deserialize_map(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(s: &str) -> Owned {
        Owned::Plain(s.into())
    }

    #[test]
    fn looks_up_plain_and_tagged_entries_and_their_capitalized_forms() {
        let d: Dict = serde_json::from_str(
            r#"{"read": {"DEFAULT": "ɹˈid", "VBD": "ɹˈɛd", "None": null}, "cat": "kˈæt",
                "Anna": "ˈænə", "zebra": "zˈibɹə", "ünïcode": "u"}"#,
        )
        .unwrap();
        assert_eq!(d.len(), 5);
        assert!(matches!(d.get("cat"), Some(Entry::Plain("kˈæt"))));
        assert!(matches!(d.get("Cat"), Some(Entry::Plain("kˈæt"))));
        assert!(matches!(d.get("anna"), Some(Entry::Plain("ˈænə"))));
        assert!(matches!(d.get("ünïcode"), Some(Entry::Plain("u"))));
        assert!(d.get("CAT").is_none());
        assert!(d.get("dog").is_none());
        assert!(d.get("c").is_none());
        let read = d.get("read").unwrap();
        assert_eq!(read.default(), Some("ɹˈid"));
        assert_eq!(read.tag("VBD"), Some(Some("ɹˈɛd")));
        assert_eq!(read.tag("None"), Some(None));
        assert_eq!(read.tag("NN"), None);
    }

    #[test]
    fn a_key_given_twice_keeps_its_last_value() {
        let tagged = Owned::Tagged(vec![("DEFAULT".into(), Some("t".into()))]);
        let d = Dict::from_entries([
            ("b", plain("1")),
            ("a", plain("2")),
            ("b", plain("3")),
            ("c", tagged.clone()),
            ("c", plain("4")),
            ("d", plain("5")),
            ("d", tagged),
        ]);
        assert!(matches!(d.get("b"), Some(Entry::Plain("3"))));
        assert!(matches!(d.get("a"), Some(Entry::Plain("2"))));
        assert!(matches!(d.get("c"), Some(Entry::Plain("4"))));
        assert_eq!(d.get("d").and_then(Entry::default), Some("t"));
        assert_eq!(d.len(), 4);
    }
}
