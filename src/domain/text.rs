//! Text normalisation for search: lower-case, accents removed, so that "creteil" finds
//! "Créteil" the same way on SQLite and PostgreSQL.

/// Lower-case ASCII transliteration of `text`.
pub fn search_key(text: &str) -> String {
    deunicode::deunicode(text).to_lowercase()
}

/// The sort key of `text`: its [`search_key`], trimmed. Stored beside the text and compared
/// byte by byte (SQLite's BINARY, PostgreSQL's "C"), so that lists sort alike on both
/// databases and "Écouen" sorts among the "e".
pub fn sort_key(text: &str) -> String {
    search_key(text.trim())
}

/// A `LIKE` pattern matching `needle` anywhere, with `%`, `_` and `\` escaped (use with
/// `ESCAPE '\'`).
pub fn contains_pattern(needle: &str) -> String {
    let mut pattern = String::with_capacity(needle.len() + 2);
    pattern.push('%');
    for ch in search_key(needle.trim()).chars() {
        if matches!(ch, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(ch);
    }
    pattern.push('%');
    pattern
}

/// Whether `text` (trimmed by the caller) looks like an e-mail address: one `@`, a dotted
/// host, no spaces, at most 254 characters.
pub fn is_email(text: &str) -> bool {
    text.len() <= 254
        && !text.contains(char::is_whitespace)
        && text.split_once('@').is_some_and(|(user, host)| {
            !user.is_empty()
                && !host.contains('@')
                && host.contains('.')
                && !host.starts_with('.')
                && !host.ends_with('.')
        })
}

/// Whether `text` looks like a phone number: digits, spaces and `+.-()`, at most 30.
pub fn is_phone(text: &str) -> bool {
    text.chars().count() <= 30
        && text
            .chars()
            .all(|c| c.is_ascii_digit() || " +.-()".contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accents_and_case_are_folded_and_wildcards_escaped() {
        assert_eq!(search_key("Créteil Œuvre"), "creteil oeuvre");
        assert_eq!(contains_pattern(" 50%_ "), "%50\\%\\_%");
    }
}
