//! Java `.properties` text, read exactly as `java.util.Properties.load(Reader)` reads it.
//!
//! - Lines end at `\r\n`, `\r` or `\n`. Leading spaces, tabs and form feeds are skipped; blank
//!   lines and comment lines (first non-blank character `#` or `!`) are ignored.
//! - A line ending in an odd number of backslashes continues on the next line: that backslash is
//!   dropped, and so is the next line's leading whitespace.
//! - The key ends at the first unescaped `=`, `:`, space, tab or form feed; whitespace around the
//!   separator (and one `=` or `:` after whitespace) is skipped; the rest of the line is the value.
//! - Escapes in keys and values: `\t \n \r \f`, `\uXXXX` (UTF-16 units; surrogate pairs combine),
//!   and `\x` = `x` for any other character, so `shop\\.(.*)` reads as `shop\.(.*)`.
//! - A later duplicate key replaces the earlier value.

use std::collections::HashMap;
use std::iter::Peekable;
use std::str::Chars;

/// A properties map: keys and values in the order keys first appeared.
///
/// Each entry is stored once plus a hash index of its key, so lookups and inserts cost one hash
/// of the key; iteration is in insertion order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Properties {
    entries: Vec<(String, String)>,
    index: HashMap<String, usize>,
}

impl Properties {
    /// An empty map; allocates nothing.
    pub fn new() -> Self {
        Self::default()
    }

    /// The value of `key`, if present. One hash lookup.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.index.get(key).map(|&i| self.entries[i].1.as_str())
    }

    /// Sets `key` to `value` and returns the previous value. A new key goes last; an existing
    /// key keeps its position. One hash lookup; a new key is stored twice (entry and index).
    pub fn insert(&mut self, key: impl Into<String>, value: impl Into<String>) -> Option<String> {
        let (key, value) = (key.into(), value.into());
        match self.index.get(&key) {
            Some(&i) => Some(std::mem::replace(&mut self.entries[i].1, value)),
            None => {
                self.index.insert(key.clone(), self.entries.len());
                self.entries.push((key, value));
                None
            }
        }
    }

    /// Number of distinct keys. Constant time.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are no entries. Constant time.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// All `(key, value)` pairs in insertion order. Lazy; no allocation.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> + '_ {
        self.entries.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// The entries whose key starts with `prefix`, as `(key without the prefix, value)`, in
    /// insertion order; e.g. prefix `transforms.route.` yields `("regex", ...)`. Lazy; scans all
    /// entries once.
    pub fn keys_with_prefix<'a, 'p>(
        &'a self,
        prefix: &'p str,
    ) -> impl Iterator<Item = (&'a str, &'a str)> + use<'a, 'p> {
        self.iter()
            .filter_map(move |(k, v)| k.strip_prefix(prefix).map(|rest| (rest, v)))
    }
}

impl FromIterator<(String, String)> for Properties {
    /// Inserts the pairs in order, later duplicates replacing earlier values. One hash lookup
    /// per pair.
    fn from_iter<I: IntoIterator<Item = (String, String)>>(iter: I) -> Self {
        let mut properties = Self::new();
        for (key, value) in iter {
            properties.insert(key, value);
        }
        properties
    }
}

/// Why a properties text was rejected: the 1-based line its logical line starts on, and the
/// reason. Displays as `line N: <reason>`. Plain data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {reason}")]
pub struct PropertiesError {
    /// 1-based number of the line on which the offending (logical) line begins.
    pub line: usize,
    /// What was wrong, worded as Java words it.
    pub reason: PropertiesErrorReason,
}

/// What `Properties.load` objects to. Plain data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PropertiesErrorReason {
    /// `\u` not followed by four hex digits (Java's `IllegalArgumentException`).
    #[error("Malformed \\uxxxx encoding.")]
    MalformedUnicodeEscape,
}

/// Parses `.properties` text exactly as `java.util.Properties.load(Reader)` does (see the module
/// documentation), keeping keys in order of first appearance.
///
/// One pass over the text, linear in its length; allocates each logical line and each key and
/// value. Fails on the first malformed `\u` escape. Never panics.
pub fn parse_properties(text: &str) -> Result<Properties, PropertiesError> {
    let mut reader = LineReader::new(text);
    let mut properties = Properties::new();
    while let Some(line) = reader.read_line() {
        let (raw_key, raw_value) = split_key_value(&line.text);
        let at_line = |reason| PropertiesError {
            line: line.number,
            reason,
        };
        let key = unescape(raw_key).map_err(at_line)?;
        let value = unescape(raw_value).map_err(at_line)?;
        properties.insert(key, value);
    }
    Ok(properties)
}

/// A logical line: natural lines joined at continuations, escapes still in place.
struct LogicalLine {
    /// 1-based line of its first character.
    number: usize,
    text: String,
}

/// Port of `Properties.LineReader.readLine`, counting natural lines as it goes.
struct LineReader<'a> {
    chars: Peekable<Chars<'a>>,
    /// 1-based line of the next character.
    line: usize,
}

impl<'a> LineReader<'a> {
    fn new(text: &'a str) -> Self {
        Self {
            chars: text.chars().peekable(),
            line: 1,
        }
    }

    /// Next character; a `\n`, or a `\r` not followed by `\n`, moves to the next line.
    fn bump(&mut self) -> Option<char> {
        let c = self.chars.next()?;
        if c == '\n' || (c == '\r' && self.chars.peek() != Some(&'\n')) {
            self.line += 1;
        }
        Some(c)
    }

    /// Consumes a comment up to and including its line end; false if the text ended first.
    fn skip_comment(&mut self) -> bool {
        while let Some(c) = self.bump() {
            if is_line_end(c) {
                return true;
            }
        }
        false
    }

    /// The next logical line, or `None` at the end of the text.
    fn read_line(&mut self) -> Option<LogicalLine> {
        let mut text = String::new();
        let mut number = self.line;
        let mut skip_white_space = true;
        // At the start of a continuation line, where a line end ends the logical line.
        let mut continued = false;
        // Whether `text` ends in an odd run of backslashes.
        let mut backslash = false;
        loop {
            let Some(c) = self.bump() else {
                return (!text.is_empty()).then(|| finish(number, text, backslash));
            };
            if skip_white_space {
                if is_white_space(c) || (!continued && is_line_end(c)) {
                    continue;
                }
                skip_white_space = false;
                continued = false;
            }
            if text.is_empty() && (c == '#' || c == '!') {
                if !self.skip_comment() {
                    return None;
                }
                skip_white_space = true;
                continue;
            }
            if !is_line_end(c) {
                if text.is_empty() {
                    number = self.line;
                }
                text.push(c);
                backslash = c == '\\' && !backslash;
                continue;
            }
            if text.is_empty() {
                skip_white_space = true;
                continue;
            }
            if !backslash || self.chars.peek().is_none() {
                return Some(finish(number, text, backslash));
            }
            text.pop();
            (skip_white_space, continued, backslash) = (true, true, false);
            if c == '\r' && self.chars.peek() == Some(&'\n') {
                self.bump();
            }
        }
    }
}

/// A finished logical line; an unpaired trailing backslash is not part of it.
fn finish(number: usize, mut text: String, backslash: bool) -> LogicalLine {
    if backslash {
        text.pop();
    }
    LogicalLine { number, text }
}

/// Java's line terminators.
fn is_line_end(c: char) -> bool {
    c == '\n' || c == '\r'
}

/// The white space `Properties` skips and splits on: space, tab, form feed.
fn is_white_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\u{c}')
}

/// Splits a logical line into its raw (still escaped) key and value, as `Properties.load0` does.
fn split_key_value(line: &str) -> (&str, &str) {
    let (key_len, mut value_start, mut has_separator) = scan_key(line);
    for c in line[value_start..].chars() {
        if is_white_space(c) {
            value_start += 1;
        } else if !has_separator && (c == '=' || c == ':') {
            has_separator = true;
            value_start += 1;
        } else {
            break;
        }
    }
    (&line[..key_len], &line[value_start..])
}

/// Finds the key's end: `(key length, start of what follows, whether that was `=` or `:`)`.
/// All offsets are at ASCII characters, hence char boundaries.
fn scan_key(line: &str) -> (usize, usize, bool) {
    let mut backslash = false;
    for (at, c) in line.char_indices() {
        if !backslash && (c == '=' || c == ':') {
            return (at, at + 1, true);
        }
        if !backslash && is_white_space(c) {
            return (at, at + 1, false);
        }
        backslash = c == '\\' && !backslash;
    }
    (line.len(), line.len(), false)
}

/// Resolves escapes as `Properties.loadConvert` does. `\u` escapes are UTF-16 code units, so a
/// surrogate pair becomes one character; an unpaired surrogate becomes U+FFFD (a Rust string
/// cannot hold it).
fn unescape(raw: &str) -> Result<String, PropertiesErrorReason> {
    if !raw.contains('\\') {
        return Ok(raw.to_owned());
    }
    let mut units: Vec<u16> = Vec::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        let c = match c {
            '\\' => match chars.next() {
                Some('u') => {
                    units.push(hex_unit(&mut chars)?);
                    continue;
                }
                Some(escaped) => unescape_char(escaped),
                // The line reader never leaves an unpaired trailing backslash.
                None => break,
            },
            c => c,
        };
        units.extend_from_slice(c.encode_utf16(&mut [0; 2]));
    }
    Ok(String::from_utf16_lossy(&units))
}

/// The four hex digits of a `\uXXXX` escape as a UTF-16 unit.
fn hex_unit(chars: &mut Chars<'_>) -> Result<u16, PropertiesErrorReason> {
    let mut unit = 0_u16;
    for _ in 0..4 {
        let digit = chars
            .next()
            .and_then(|c| c.to_digit(16))
            .ok_or(PropertiesErrorReason::MalformedUnicodeEscape)?;
        unit = unit << 4 | digit as u16;
    }
    Ok(unit)
}

/// The character a backslash escape other than `\u` stands for.
fn unescape_char(c: char) -> char {
    match c {
        't' => '\t',
        'n' => '\n',
        'r' => '\r',
        'f' => '\u{c}',
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::{Path, PathBuf};

    fn parse(text: &str) -> Properties {
        parse_properties(text).expect("valid properties")
    }

    fn pairs(text: &str) -> Vec<(String, String)> {
        parse(text)
            .iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect()
    }

    fn p(k: &str, v: &str) -> (String, String) {
        (k.to_owned(), v.to_owned())
    }

    #[test]
    fn comments_and_blank_lines_are_skipped() {
        let text = "# a comment\n! another\n   # indented = comment\n\n \t \nk=v#not a comment\n";
        assert_eq!(pairs(text), [p("k", "v#not a comment")]);
    }

    #[test]
    fn comment_lines_do_not_continue() {
        assert_eq!(pairs("# comment \\\nk=v"), [p("k", "v")]);
        assert_eq!(pairs("# only a comment"), []);
    }

    #[test]
    fn separators() {
        assert_eq!(pairs("a=1"), [p("a", "1")]);
        assert_eq!(pairs("a:1"), [p("a", "1")]);
        assert_eq!(pairs("a 1"), [p("a", "1")]);
        assert_eq!(pairs("a\t1"), [p("a", "1")]);
        assert_eq!(pairs("a\u{c}1"), [p("a", "1")]);
        assert_eq!(pairs("a \t = \t 1"), [p("a", "1")]);
        assert_eq!(pairs("a = = 1"), [p("a", "= 1")]);
        assert_eq!(pairs("a==1"), [p("a", "=1")]);
        assert_eq!(pairs("a:=1"), [p("a", "=1")]);
        assert_eq!(pairs("a b=c"), [p("a", "b=c")]);
        assert_eq!(pairs("a=b:c d"), [p("a", "b:c d")]);
    }

    #[test]
    fn keys_without_values_and_values_without_keys() {
        assert_eq!(pairs("lonely"), [p("lonely", "")]);
        assert_eq!(pairs("lonely   "), [p("lonely", "")]);
        assert_eq!(pairs("k="), [p("k", "")]);
        assert_eq!(pairs("=v"), [p("", "v")]);
    }

    #[test]
    fn escaped_separators_belong_to_the_key() {
        assert_eq!(pairs("a\\=b\\:c\\ d=e"), [p("a=b:c d", "e")]);
        assert_eq!(pairs("a\\\\=b"), [p("a\\", "b")]);
    }

    #[test]
    fn white_space_handling() {
        assert_eq!(pairs("   \t\u{c}k=v  "), [p("k", "v  ")]);
        assert_eq!(pairs("k=\\ v"), [p("k", " v")]);
    }

    #[test]
    fn continuation_lines() {
        assert_eq!(pairs("k=a\\\n    b\\\n\tc"), [p("k", "abc")]);
        assert_eq!(pairs("k=a\\\r\n  b"), [p("k", "ab")]);
        assert_eq!(pairs("k=a\\\r  b"), [p("k", "ab")]);
        assert_eq!(pairs("k\\\n  ey=v"), [p("key", "v")]);
        // A continued line starting with '#' is not a comment.
        assert_eq!(pairs("k=a\\\n#b"), [p("k", "a#b")]);
    }

    #[test]
    fn even_backslashes_do_not_continue() {
        assert_eq!(pairs("k=a\\\\\nb=c"), [p("k", "a\\"), p("b", "c")]);
        assert_eq!(pairs("k=a\\\\\\\nb"), [p("k", "a\\b")]);
    }

    #[test]
    fn blank_continuation_line_ends_the_logical_line() {
        assert_eq!(pairs("k=a\\\n\nb=c"), [p("k", "a"), p("b", "c")]);
        assert_eq!(pairs("k=a\\\n   \nb=c"), [p("k", "a"), p("b", "c")]);
    }

    #[test]
    fn trailing_backslash_at_end_of_text_is_dropped() {
        assert_eq!(pairs("k=a\\"), [p("k", "a")]);
        assert_eq!(pairs("k=a\\\n"), [p("k", "a")]);
        // As in Java, a lone backslash line is an empty key with an empty value.
        assert_eq!(pairs("\\"), [p("", "")]);
    }

    #[test]
    fn escapes() {
        assert_eq!(pairs("k=a\\tb\\nc\\rd\\fe"), [p("k", "a\tb\nc\rd\u{c}e")]);
        assert_eq!(pairs("k=\\u0041\\u00e9\\u00E9"), [p("k", "Aéé")]);
        assert_eq!(pairs("k=\\uD83D\\uDE00"), [p("k", "😀")]);
        assert_eq!(pairs("k=\\uD83D!"), [p("k", "\u{fffd}!")]);
        assert_eq!(pairs("k=\\x\\y\\#\\!\\é"), [p("k", "xy#!é")]);
        assert_eq!(pairs("k=shop\\\\.(.*)"), [p("k", "shop\\.(.*)")]);
        assert_eq!(pairs("\\u006B=v"), [p("k", "v")]);
        assert_eq!(pairs("k=ünïcödé"), [p("k", "ünïcödé")]);
    }

    #[test]
    fn malformed_unicode_escape_is_an_error() {
        let malformed = PropertiesErrorReason::MalformedUnicodeEscape;
        for (text, line) in [
            ("k=\\u12", 1),
            ("a=1\nk=\\u12g4", 2),
            ("a=1\\\n2\nk=\\uZZZZ", 3),
            ("\r\n\r\n\\u=v", 3),
            ("a=1\r\rk=\\u", 3),
            ("# c\n  k=a\\\n  \\u00", 2),
        ] {
            let error = parse_properties(text).expect_err(text);
            assert_eq!(
                error,
                PropertiesError {
                    line,
                    reason: malformed
                },
                "{text:?}"
            );
        }
        let error = parse_properties("x=\\u").expect_err("malformed");
        assert_eq!(error.to_string(), "line 1: Malformed \\uxxxx encoding.");
    }

    #[test]
    fn later_duplicates_override_in_place() {
        let props = parse("a=1\nb=2\na=3");
        assert_eq!(props.get("a"), Some("3"));
        assert_eq!(props.len(), 2);
        assert_eq!(props.iter().collect::<Vec<_>>(), [("a", "3"), ("b", "2")]);
    }

    #[test]
    fn all_line_endings() {
        assert_eq!(
            pairs("a=1\r\nb=2\rc=3\nd=4"),
            [p("a", "1"), p("b", "2"), p("c", "3"), p("d", "4")]
        );
    }

    #[test]
    fn map_api() {
        let mut props: Properties = [p("x.a", "1"), p("y", "2"), p("x.b", "3"), p("x.a", "4")]
            .into_iter()
            .collect();
        assert_eq!(props.len(), 3);
        assert!(!props.is_empty());
        assert!(Properties::new().is_empty());
        assert_eq!(props.get("missing"), None);
        assert_eq!(props.insert("y", "5"), Some("2".to_owned()));
        assert_eq!(props.insert("z", "6"), None);
        let prefix = String::from("x.");
        let under_x: Vec<_> = props.keys_with_prefix(&prefix).collect();
        assert_eq!(under_x, [("a", "4"), ("b", "3")]);
        let keys: Vec<_> = props.iter().map(|(k, _)| k).collect();
        assert_eq!(keys, ["x.a", "y", "x.b", "z"]);
    }

    #[test]
    fn never_panics_on_awkward_input() {
        let alphabet = [
            '\\', 'u', '0', 'F', '=', ':', ' ', '\t', '\n', '\r', '#', '!', 'é',
        ];
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        for _ in 0..20_000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let text: String = (0..(seed % 12))
                .map(|i| alphabet[((seed >> (4 * i + 8)) % alphabet.len() as u64) as usize])
                .collect();
            let _ = parse_properties(&text);
        }
    }

    /// The repository's copy of the conformance corpus.
    fn corpus_dir() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/conformance")
    }

    fn collect_pipeline_files(dir: &Path, found: &mut Vec<PathBuf>) {
        let entries = std::fs::read_dir(dir).expect("readable conformance directory");
        for entry in entries {
            let path = entry.expect("directory entry").path();
            if path.is_dir() {
                collect_pipeline_files(&path, found);
            } else if path.file_name().is_some_and(|n| n == "pipeline.properties") {
                found.push(path);
            }
        }
    }

    #[test]
    fn every_conformance_pipeline_parses() {
        let root = corpus_dir();
        let mut files = Vec::new();
        collect_pipeline_files(&root, &mut files);
        assert!(!files.is_empty(), "no pipeline.properties under {root:?}");
        for file in files {
            let text = std::fs::read_to_string(&file).expect("readable UTF-8");
            let props =
                parse_properties(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
            assert!(!props.is_empty(), "{} is empty", file.display());
        }
    }

    #[test]
    fn bench_chain1_regex_is_unescaped() {
        // The repository's copy of shared/bench's chain1.
        let file =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/chain1_schemaless.properties");
        let text = std::fs::read_to_string(&file).expect("examples/chain1_schemaless.properties");
        let props = parse(&text);
        assert_eq!(props.get("transforms.route.regex"), Some("shop\\.(.*)"));
        assert_eq!(props.get("predicates.isAudit.pattern"), Some("audit\\..*"));
        assert_eq!(props.get("transforms.mask.replacement"), Some("****"));
        let route: Vec<_> = props.keys_with_prefix("transforms.route.").collect();
        assert_eq!(
            route,
            [
                ("type", "org.apache.kafka.connect.transforms.RegexRouter"),
                ("regex", "shop\\.(.*)"),
                ("replacement", "prod-$1"),
            ]
        );
    }
}
