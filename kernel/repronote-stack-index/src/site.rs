//! What a cell's code wants completed at the cursor, from the characters before it alone.

/// What the code before the cursor asks to complete.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CompletionSite {
    /// `a::b::pre`: the items of `path` starting with `prefix`, which begins at byte `start`.
    Path {
        path: Vec<String>,
        prefix: String,
        start: usize,
    },
    /// `receiver.pre`: the methods of the value `receiver` starting with `prefix`, which begins
    /// at byte `start`.
    Method {
        receiver: String,
        prefix: String,
        start: usize,
    },
}

fn is_ident_char(c: char) -> bool {
    c == '_' || c.is_alphanumeric()
}

/// The byte offset where the identifier ending at `end` starts (`end` itself if there is none).
fn ident_start(code: &str, end: usize) -> usize {
    code[..end]
        .char_indices()
        .rev()
        .take_while(|&(_, c)| is_ident_char(c))
        .last()
        .map_or(end, |(i, _)| i)
}

/// A plain identifier: not empty and not starting with a digit.
fn is_identifier(text: &str) -> bool {
    text.chars().next().is_some_and(|c| !c.is_ascii_digit())
}

/// Skips whitespace backwards from `end`.
fn skip_space_back(code: &str, end: usize) -> usize {
    end - code[..end]
        .chars()
        .rev()
        .take_while(|c| c.is_whitespace())
        .map(char::len_utf8)
        .sum::<usize>()
}

/// What the code wants completed at byte offset `cursor`: a path (`linfa_clustering::KMe`), a
/// method call (`model.cen`), or nothing. A cursor past the end or inside a character is moved
/// back to the nearest character boundary; every offset returned is on a character boundary.
pub fn completion_site(code: &str, cursor: usize) -> Option<CompletionSite> {
    let mut cursor = cursor.min(code.len());
    while !code.is_char_boundary(cursor) {
        cursor -= 1;
    }
    let start = ident_start(code, cursor);
    let prefix = code[start..cursor].to_string();
    if !prefix.is_empty() && !is_identifier(&prefix) {
        return None;
    }
    let before = &code[..start];
    if before.ends_with("::") {
        let path = path_before(code, start - 2)?;
        return Some(CompletionSite::Path {
            path,
            prefix,
            start,
        });
    }
    if before.ends_with('.') && !before.ends_with("..") {
        let receiver_end = skip_space_back(code, start - 1);
        let receiver_start = ident_start(code, receiver_end);
        let receiver = &code[receiver_start..receiver_end];
        if !is_identifier(receiver) {
            return None;
        }
        // `a.b.pre`, `a::b.pre`, `f().x.pre`: the receiver is not a plain identifier.
        let head = code[..receiver_start].trim_end();
        if head.ends_with('.') || head.ends_with(':') {
            return None;
        }
        return Some(CompletionSite::Method {
            receiver: receiver.to_string(),
            prefix,
            start,
        });
    }
    None
}

/// The segments of the path `a::b` ending at byte `end` (just before a `::`).
fn path_before(code: &str, end: usize) -> Option<Vec<String>> {
    let mut segments = Vec::new();
    let mut end = end;
    loop {
        let start = ident_start(code, end);
        let segment = &code[start..end];
        if !is_identifier(segment) {
            return None;
        }
        segments.push(segment.to_string());
        if code[..start].ends_with("::") {
            end = start - 2;
            // A leading `::` (`::linfa::x`) names a crate; stop there.
            if ident_start(code, end) == end {
                break;
            }
        } else {
            break;
        }
    }
    segments.reverse();
    Some(segments)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The site at the `|` in `marked`.
    fn site(marked: &str) -> Option<CompletionSite> {
        let cursor = marked.find('|').expect("a | marks the cursor");
        let code = marked.replacen('|', "", 1);
        completion_site(&code, cursor)
    }

    fn path(path: &[&str], prefix: &str, start: usize) -> Option<CompletionSite> {
        Some(CompletionSite::Path {
            path: path.iter().map(|s| s.to_string()).collect(),
            prefix: prefix.to_string(),
            start,
        })
    }

    fn method(receiver: &str, prefix: &str, start: usize) -> Option<CompletionSite> {
        Some(CompletionSite::Method {
            receiver: receiver.to_string(),
            prefix: prefix.to_string(),
            start,
        })
    }

    #[test]
    fn path_with_prefix() {
        assert_eq!(
            site("linfa_clustering::KMe|"),
            path(&["linfa_clustering"], "KMe", 18)
        );
    }

    #[test]
    fn use_path_with_two_segments() {
        assert_eq!(
            site("use linfa::prelude::F|"),
            path(&["linfa", "prelude"], "F", 20)
        );
    }

    #[test]
    fn path_with_empty_prefix() {
        assert_eq!(site("let a = linfa::|"), path(&["linfa"], "", 15));
        assert_eq!(site("::linfa::|"), path(&["linfa"], "", 9));
    }

    #[test]
    fn method_with_prefix() {
        assert_eq!(site("model.cen|"), method("model", "cen", 6));
    }

    #[test]
    fn method_with_empty_prefix() {
        assert_eq!(site("model.|"), method("model", "", 6));
        assert_eq!(site("let x = model\n    .pre|"), method("model", "pre", 19));
    }

    #[test]
    fn nothing_to_complete() {
        assert_eq!(site("x + 1|"), None);
        assert_eq!(site("KMe|"), None);
        assert_eq!(site("f().x|"), None);
        assert_eq!(site("f().|"), None);
        assert_eq!(site("a.b.|"), None);
        assert_eq!(site("0..|"), None);
        assert_eq!(site("1.|"), None);
        assert_eq!(site("Vec::<u8>::|"), None);
        assert_eq!(site("|"), None);
    }

    #[test]
    fn inside_a_string_does_not_panic() {
        let _ = site("\"a.b|\"");
        let _ = site("\"a::|\"");
    }

    #[test]
    fn non_ascii_offsets_are_char_boundaries() {
        let code = "let é = 1; é.";
        let expected = method("é", "", code.len());
        assert_eq!(completion_site(code, code.len()), expected);
        assert_eq!(site("let é = 1; é.|"), expected);
        assert_eq!(site("é::ü|"), path(&["é"], "ü", 4));
        // Every cursor, even inside a character or past the end, gives boundaries.
        for cursor in 0..=code.len() + 2 {
            match completion_site(code, cursor) {
                Some(CompletionSite::Path { start, .. } | CompletionSite::Method { start, .. }) => {
                    assert!(code.is_char_boundary(start));
                }
                None => {}
            }
        }
    }
}
