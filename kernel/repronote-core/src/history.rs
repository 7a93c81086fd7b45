//! The session's input history, answering `history_request` (tail, range, search).
//!
//! Only executions with `store_history` are recorded, numbered by their execution count, all
//! in session 1 (the kernel keeps one session per process; nothing is written to disk).
//! `search` takes a glob (`*`, `?`), as IPython's history does.

use wildmatch::WildMatch;

/// The session number every entry carries.
pub const SESSION: usize = 1;

/// One executed input and the text of its result, if it had one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub line: usize,
    pub input: String,
    pub output: Option<String>,
}

/// Every stored input of this session, oldest first.
#[derive(Debug, Default)]
pub struct History {
    entries: Vec<Entry>,
}

impl History {
    pub fn record(&mut self, line: usize, input: &str, output: Option<String>) {
        self.entries.push(Entry {
            line,
            input: input.to_owned(),
            output,
        });
    }

    /// The last `n` entries.
    pub fn tail(&self, n: usize) -> Vec<Entry> {
        let skip = self.entries.len().saturating_sub(n);
        self.entries[skip..].to_vec()
    }

    /// Entries with `start <= line < stop` of `session` (0 or negative: this session).
    /// A `stop` of 0 means "to the end".
    pub fn range(&self, session: i64, start: i64, stop: i64) -> Vec<Entry> {
        if session > 0 && session as usize != SESSION {
            return Vec::new();
        }
        self.entries
            .iter()
            .filter(|e| (e.line as i64) >= start && (stop <= 0 || (e.line as i64) < stop))
            .cloned()
            .collect()
    }

    /// Entries whose input matches the glob `pattern`, oldest first; with `unique`, only the
    /// latest of equal inputs; at most the last `n` (0: all).
    pub fn search(&self, pattern: &str, unique: bool, n: usize) -> Vec<Entry> {
        let glob = WildMatch::new(pattern);
        let mut found: Vec<Entry> = Vec::new();
        for entry in self.entries.iter().filter(|e| glob.matches(&e.input)) {
            if unique {
                found.retain(|kept| kept.input != entry.input);
            }
            found.push(entry.clone());
        }
        let skip = if n == 0 {
            0
        } else {
            found.len().saturating_sub(n)
        };
        found.split_off(skip)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn history() -> History {
        let mut history = History::default();
        for (line, input) in [(1, "1 + 1"), (2, "let x = 2;"), (3, "1 + 1"), (4, "x * 3")] {
            history.record(line, input, None);
        }
        history
    }

    #[test]
    fn tail_returns_the_last_entries_in_order() {
        let lines: Vec<usize> = history().tail(2).iter().map(|e| e.line).collect();
        assert_eq!(lines, vec![3, 4]);
        assert_eq!(history().tail(10).len(), 4);
    }

    #[test]
    fn range_is_half_open_and_checks_the_session() {
        let lines: Vec<usize> = history().range(1, 2, 4).iter().map(|e| e.line).collect();
        assert_eq!(lines, vec![2, 3]);
        assert!(history().range(7, 1, 4).is_empty());
        assert_eq!(history().range(0, 3, 0).len(), 2);
    }

    #[test]
    fn search_globs_dedups_and_limits() {
        assert_eq!(history().search("1 +*", false, 0).len(), 2);
        let unique = history().search("1 +*", true, 0);
        assert_eq!(unique.len(), 1);
        assert_eq!(unique[0].line, 3);
        let lines: Vec<usize> = history()
            .search("*", false, 3)
            .iter()
            .map(|e| e.line)
            .collect();
        assert_eq!(lines, vec![2, 3, 4]);
    }
}
