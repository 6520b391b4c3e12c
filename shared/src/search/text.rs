//! Text as the search index sees it: one character per token.
//!
//! SQLite's tokenizers split Chinese poorly (unicode61 makes a whole run of Han characters one
//! token; trigram cannot find keys shorter than three characters). Indexing every letter, digit
//! or Han character as its own token and searching a key as a phrase of its characters finds any
//! substring of any length, and bm25 still ranks the hits. Runs of other characters (spaces,
//! punctuation, emoji) become one boundary token, so a phrase never matches across them.

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

/// `text` as indexed: its normalized characters separated by spaces.
pub fn spaced(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 2);
    for c in normalize(text) {
        out.push(c);
        out.push(' ');
    }
    out
}

/// Several texts (tags) as indexed, with a boundary between each two.
pub fn spaced_list(items: &[String]) -> String {
    let boundary = format!("{BOUNDARY} ");
    items
        .iter()
        .map(|item| spaced(item))
        .collect::<Vec<_>>()
        .join(&boundary)
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

/// An FTS5 expression matching rows that contain every word of `key` as a substring, or `None`
/// when the key has no searchable word.
pub fn match_expression(key: &str) -> Option<String> {
    let phrases: Vec<String> = words(key).iter().map(|w| phrase(w)).collect();
    (!phrases.is_empty()).then(|| phrases.join(" AND "))
}

/// One normalized word as an FTS5 phrase of its characters. Only letters and digits reach here,
/// so the phrase needs no escaping.
pub fn phrase(word: &[char]) -> String {
    let chars: Vec<String> = word.iter().map(char::to_string).collect();
    format!("\"{}\"", chars.join(" "))
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
        assert_eq!(spaced("Rust学习"), "r u s t 学 习 ");
        assert_eq!(spaced("a, b"), "a \u{E000} b ");
        assert_eq!(spaced("  周末！"), "周 末 ");
        assert_eq!(
            spaced_list(&["篮球".into(), "夜跑".into()]),
            "篮 球 \u{E000} 夜 跑 "
        );
    }

    #[test]
    fn keys_become_phrases() {
        assert_eq!(match_expression("学").as_deref(), Some("\"学\""));
        assert_eq!(
            match_expression(" 学习  Go ").as_deref(),
            Some("\"学 习\" AND \"g o\"")
        );
        assert_eq!(
            match_expression("c++/java").as_deref(),
            Some("\"c\" AND \"j a v a\"")
        );
        assert_eq!(match_expression("  !!  "), None);
        assert_eq!(match_expression("\"x"), Some("\"x\"".into()));
    }

    #[test]
    fn occurrences_count_substrings() {
        let text = normalize("篮球篮球, 打篮球");
        assert_eq!(occurrences(&text, &normalize("篮球")), 3);
        assert_eq!(occurrences(&text, &normalize("球打")), 0);
    }
}
