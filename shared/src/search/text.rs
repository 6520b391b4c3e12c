//! Text as the search index sees it: one token per character, and one per pair of characters.
//!
//! SQLite's tokenizers split Chinese poorly (unicode61 makes a whole run of Han characters one
//! token; trigram cannot find keys shorter than three characters). So every letter, digit or Han
//! character is indexed as its own token (columns `name`, `intro`, `tags`), and every pair of
//! neighbouring ones as a token too (`name_bi`, `intro_bi`, `tags_bi`). A one-character word of a
//! key is looked up as a character; a longer word as the phrase of its pairs (`周末夜跑` is
//! `"周末 末夜 夜跑"`), which finds exactly the texts holding it, from lists far shorter than
//! those of single characters. Runs of other characters (spaces, punctuation, emoji) become one
//! boundary token, so a phrase never matches across them. Every token is prefixed by its group's
//! type, so that a search reads only its type's lists.

/// A private-use character: a token for the tokenizer, never produced from a search key.
const BOUNDARY: char = '\u{E000}';

/// The characters of `text` that searches compare, lowercased; other runs become [`BOUNDARY`].
pub fn normalize(text: &str) -> Vec<char> {
    let mut out = Vec::with_capacity(text.len());
    for c in text.chars() {
        if c.is_alphanumeric() {
            out.extend(c.to_lowercase());
        } else if out.last().is_some_and(|last| *last != BOUNDARY) {
            out.push(BOUNDARY);
        }
    }
    if out.last() == Some(&BOUNDARY) {
        out.pop();
    }
    out
}

/// `text` as indexed: its normalized characters separated by spaces, each prefixed by `prefix`
/// (an alphanumeric word, such as the group type's token) so that the index keeps separate,
/// short lists per prefix. A boundary stays unprefixed: no search asks for it.
pub fn spaced(text: &str, prefix: &str) -> String {
    let mut out = String::with_capacity(text.len() * (prefix.len() + 2));
    for c in normalize(text) {
        if c != BOUNDARY {
            out.push_str(prefix);
        }
        out.push(c);
        out.push(' ');
    }
    out
}

/// Several texts (tags) as indexed, with a boundary between each two.
pub fn spaced_list(items: &[String], prefix: &str) -> String {
    let boundary = format!("{BOUNDARY} ");
    items
        .iter()
        .map(|item| spaced(item, prefix))
        .collect::<Vec<_>>()
        .join(&boundary)
}

/// `text` as prefixed pairs of neighbouring characters, separated by spaces; a boundary stays a
/// boundary.
pub fn pairs(text: &str, prefix: &str) -> String {
    let chars = normalize(text);
    let mut out = String::with_capacity(text.len() * (prefix.len() + 3));
    for (i, c) in chars.iter().enumerate() {
        if *c == BOUNDARY {
            out.push(BOUNDARY);
            out.push(' ');
        } else if let Some(next) = chars.get(i + 1).filter(|n| **n != BOUNDARY) {
            out.push_str(prefix);
            out.push(*c);
            out.push(*next);
            out.push(' ');
        }
    }
    out
}

/// Several texts (tags) as pairs, with a boundary between each two.
pub fn pairs_list(items: &[String], prefix: &str) -> String {
    let boundary = format!("{BOUNDARY} ");
    items
        .iter()
        .map(|item| pairs(item, prefix))
        .collect::<Vec<_>>()
        .join(&boundary)
}

/// Which indexed text a search looks in.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Field {
    All,
    Name,
    Tags,
    Intro,
}

impl Field {
    /// The FTS5 column filter for words of one character (`pairs` false) or more.
    fn columns(self, pairs: bool) -> &'static str {
        match (self, pairs) {
            (Field::All, false) => "{name intro tags}",
            (Field::All, true) => "{name_bi intro_bi tags_bi}",
            (Field::Name, false) => "name",
            (Field::Name, true) => "name_bi",
            (Field::Tags, false) => "tags",
            (Field::Tags, true) => "tags_bi",
            (Field::Intro, false) => "intro",
            (Field::Intro, true) => "intro_bi",
        }
    }
}

/// The words of a search key, normalized: split at whitespace, each kept only if it has a
/// character that search compares. Punctuation inside a word splits it in the index too, so
/// such a word becomes several words.
pub fn words(key: &str) -> Vec<Vec<char>> {
    key.split_whitespace()
        .flat_map(|word| {
            normalize(word)
                .split(|c| *c == BOUNDARY)
                .map(<[char]>::to_vec)
                .collect::<Vec<_>>()
        })
        .filter(|w| !w.is_empty())
        .collect()
}

/// An FTS5 expression matching rows whose `field` contains every word of `key` as a substring, in
/// text indexed with `prefix`, or `None` when the key has no searchable word. With [`Field::All`],
/// each word may be in any field.
pub fn match_expression(key: &str, field: Field, prefix: &str) -> Option<String> {
    let terms: Vec<String> = words(key)
        .iter()
        .map(|w| {
            let (columns, tokens): (_, Vec<String>) = match w.as_slice() {
                [c] => (field.columns(false), vec![format!("{prefix}{c}")]),
                _ => (
                    field.columns(true),
                    w.windows(2)
                        .map(|p| format!("{prefix}{}{}", p[0], p[1]))
                        .collect(),
                ),
            };
            // Only letters and digits reach here, so the phrase needs no escaping.
            format!("{columns} : \"{}\"", tokens.join(" "))
        })
        .collect();
    (!terms.is_empty()).then(|| terms.join(" AND "))
}

/// How often `word` occurs in `text` (both normalized): relevance outside the index.
pub fn occurrences(text: &[char], word: &[char]) -> usize {
    if word.is_empty() || word.len() > text.len() {
        return 0;
    }
    text.windows(word.len()).filter(|w| *w == word).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spacing_and_boundaries() {
        assert_eq!(spaced("Rust学习", ""), "r u s t 学 习 ");
        assert_eq!(spaced("a, b", ""), "a \u{E000} b ");
        assert_eq!(spaced("  周末！", ""), "周 末 ");
        assert_eq!(spaced("夜 跑!", "k1"), "k1夜 \u{E000} k1跑 ");
        assert_eq!(
            spaced_list(&["篮球".into(), "夜跑".into()], ""),
            "篮 球 \u{E000} 夜 跑 "
        );
    }

    #[test]
    fn keys_become_phrases() {
        let all = |k| match_expression(k, Field::All, "");
        assert_eq!(all("学").as_deref(), Some("{name intro tags} : \"学\""));
        assert_eq!(
            all(" 学习  Go ").as_deref(),
            Some("{name_bi intro_bi tags_bi} : \"学习\" AND {name_bi intro_bi tags_bi} : \"go\"")
        );
        assert_eq!(
            match_expression("周末夜跑", Field::Name, "k1").as_deref(),
            Some("name_bi : \"k1周末 k1末夜 k1夜跑\"")
        );
        assert_eq!(
            all("c++/java").as_deref(),
            Some("{name intro tags} : \"c\" AND {name_bi intro_bi tags_bi} : \"ja av va\"")
        );
        assert_eq!(all("  !!  "), None);
        assert_eq!(all("\"x").as_deref(), Some("{name intro tags} : \"x\""));
    }

    #[test]
    fn pairs_stop_at_boundaries() {
        assert_eq!(pairs("周末夜跑", ""), "周末 末夜 夜跑 ");
        assert_eq!(pairs("ab, cd", "k1"), "k1ab \u{E000} k1cd ");
        assert_eq!(pairs("a", ""), "");
        assert_eq!(
            pairs_list(&["篮球".into(), "跑".into()], ""),
            "篮球 \u{E000} "
        );
    }

    #[test]
    fn occurrences_count_substrings() {
        let text = normalize("篮球篮球, 打篮球");
        assert_eq!(occurrences(&text, &normalize("篮球")), 3);
        assert_eq!(occurrences(&text, &normalize("球打")), 0);
    }
}
