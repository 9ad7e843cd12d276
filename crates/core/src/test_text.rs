//! Transcripts in any script, for the tests of everything that reads one (the floor rules,
//! the skills): ASR can write any Unicode, and none of it may panic.

/// Pieces that stress byte/char handling: multi-byte letters right where an ASCII greeting
/// would end, combining marks, emoji with joiners, right-to-left text, CJK, control characters.
pub(crate) const PIECES: &[&str] = &[
    "hé",
    "héy,",
    "hi\u{301},",
    "ok\u{2026}",
    "Ökay,",
    "ß",
    "İstanbul,",
    "東京",
    "こんにちは、",
    "😀",
    "👩\u{200d}👩\u{200d}👧",
    "مرحبا،",
    "שלום,",
    "Ⅻ",
    "\u{feff}",
    "\u{0}",
    "\t",
    "...",
    "?",
    "!",
    ",",
    "-",
    "mm-hm",
    "Tandem",
    "tandem,",
    "Anna,",
    "hey",
    "stop",
    " ",
    "ǅ",
    "ﬁ",
    "\u{10ffff}",
];

/// A seeded generator (64-bit LCG): the same strings on every run and machine.
pub(crate) struct Lcg(pub(crate) u64);

impl Lcg {
    pub(crate) fn next(&mut self) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) as usize
    }
}

/// Every piece alone, then 2000 seeded mixtures of one to six pieces.
pub(crate) fn transcripts() -> Vec<String> {
    let mut rng = Lcg(18);
    let mut out: Vec<String> = PIECES.iter().map(|p| (*p).to_owned()).collect();
    for _ in 0..2000 {
        let n = 1 + rng.next() % 6;
        let mut t = String::new();
        for _ in 0..n {
            t.push_str(PIECES[rng.next() % PIECES.len()]);
            if !rng.next().is_multiple_of(3) {
                t.push(' ');
            }
        }
        out.push(t);
    }
    out
}

/// Words the rules and skills look for, so that generated text reaches past their first checks.
const WORDS: &[&str] = &[
    "hey", "hi", "oh", "okay", "ok", "so", "um", "set", "a", "timer", "for", "remind", "me", "in",
    "remember", "that", "what", "is", "convert", "to", "how", "many", "delete", "the", "note",
    "time", "read", "this", "call", "minutes", "and", "half", "plus", "times", "divided", "by",
    "five", "12", "3.5", "percent", "stop", "wait", "no", "yeah", "mm-hm", "tandem", "of",
];

/// Property-test transcripts: any `String` at all, or a mixture of the stress pieces, words
/// the rules look for and arbitrary characters, glued with or without spaces and punctuation.
pub(crate) fn any_text() -> impl proptest::strategy::Strategy<Value = String> {
    use proptest::prelude::*;
    let piece = prop_oneof![
        proptest::sample::select(PIECES).prop_map(str::to_owned),
        proptest::sample::select(WORDS).prop_map(|w| format!("{w} ")),
        any::<char>().prop_map(String::from),
        "[ ,.?!…'-]{1,3}",
    ];
    prop_oneof![
        any::<String>(),
        proptest::collection::vec(piece, 0..12).prop_map(|p| p.concat()),
    ]
}

/// The property tests' settings: 256 cases each (`make test` stays fast), and no regression
/// files written into the source tree (a failure prints its minimal case; add it as a test).
pub(crate) fn config() -> proptest::test_runner::Config {
    proptest::test_runner::Config {
        cases: 256,
        failure_persistence: None,
        ..proptest::test_runner::Config::default()
    }
}
