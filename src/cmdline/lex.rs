//! Lexing shared by every command parser: words with byte spans, [`CmdError`] located in the
//! command, did-you-mean suggestions and IPv4 addresses.

use crate::lang::Lang;
use crate::lang::zh::{phrase, phrase_in};
use std::fmt;
use std::net::Ipv4Addr;
use std::ops::Range;

// ───────────────────────────── errors ─────────────────────────────

/// `found` when the command ended before something it needs.
pub const END_OF_COMMAND: &str = "end of command";

/// A command that could not be parsed. `span` is a byte range inside the command string
/// pointing at the offending token (or an empty range at the end when something is missing).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CmdError {
    /// Byte range in the command string.
    pub span: Range<usize>,
    /// A short phrase: "an IPv4 address like 10.0.0.1", "one of: add, del".
    pub expected: String,
    /// The offending token, quoted (`"10.0.0.300"`), or `end of command`.
    pub found: String,
    /// A helpful sentence, when there is one.
    pub hint: Option<String>,
}

impl CmdError {
    /// An error at `span`, where the text `found` (quoted in the message) was not what was expected.
    pub(crate) fn new(span: Range<usize>, expected: impl Into<String>, found: &str) -> Self {
        Self { span, expected: expected.into(), found: quote(found), hint: None }
    }

    /// Something required is missing: an empty span at `at` (the end of the command).
    pub(crate) fn missing(at: usize, expected: impl Into<String>) -> Self {
        Self { span: at..at, expected: expected.into(), found: END_OF_COMMAND.to_owned(), hint: None }
    }

    #[must_use]
    pub(crate) fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    #[must_use]
    pub(crate) fn with_hint_opt(mut self, hint: Option<String>) -> Self {
        self.hint = hint;
        self
    }

    /// The command with carets under the span, then the message and the hint: for terminals
    /// and snapshots. Columns count characters, not bytes.
    #[must_use]
    pub fn render(&self, cmd: &str) -> String {
        self.render_in(cmd, Lang::En)
    }

    /// [`render`](Self::render) in `lang`: under Chinese the frame words and the phrases
    /// inside them (through [`crate::lang::zh`]); the command and the quoted token stay.
    #[must_use]
    pub fn render_in(&self, cmd: &str, lang: Lang) -> String {
        let start = self.span.start.min(cmd.len());
        let end = self.span.end.clamp(start, cmd.len());
        let col = cmd.get(..start).map_or(start, |s| s.chars().count());
        let width = cmd.get(start..end).map_or(1, |s| s.chars().count()).max(1);
        let (expected, found) = (phrase_in(&self.expected, lang), phrase_in(&self.found, lang));
        let (exp, fnd) = (lang.pick("expected", "应为"), lang.pick(", found", "，实际为"));
        let mut out = format!("{cmd}\n{}{} {exp} {expected}{fnd} {found}", " ".repeat(col), "^".repeat(width));
        if let Some(hint) = &self.hint {
            out.push_str(lang.pick("\nhint: ", "\n提示："));
            out.push_str(&phrase_in(hint, lang));
        }
        out
    }

    /// The message on one line, as `Display` writes it, in `lang`.
    #[must_use]
    pub fn message_in(&self, lang: Lang) -> String {
        match lang {
            Lang::En => self.to_string(),
            Lang::Zh => {
                let mut s = format!("应为 {}，实际为 {}", phrase(&self.expected), phrase(&self.found));
                if let Some(hint) = &self.hint {
                    s.push_str("（提示：");
                    s.push_str(&phrase(hint));
                    s.push('）');
                }
                s
            }
        }
    }
}

impl fmt::Display for CmdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "expected {}, found {}", self.expected, self.found)?;
        if let Some(hint) = &self.hint {
            write!(f, " (hint: {hint})")?;
        }
        Ok(())
    }
}

impl std::error::Error for CmdError {}

/// A token as it appears in `found`: quoted, with control characters escaped.
pub fn quote(text: &str) -> String {
    format!("{text:?}")
}

/// The byte range of `text[r]` inside the command, given the token's `span`. When quotes were
/// removed from the token (its text is shorter than its span) the whole token is returned.
pub fn sub_span(text: &str, span: &Range<usize>, r: Range<usize>) -> Range<usize> {
    if text.len() == span.len() && r.start <= r.end && r.end <= text.len() {
        span.start + r.start..span.start + r.end
    } else {
        span.clone()
    }
}

/// Levenshtein distance in characters (`strsim`, which clap already brings): the crate's one
/// edit distance. Words longer than 256 bytes are never typos of ours: their distance is
/// reported as the longer length, without the quadratic work.
pub fn edit_distance(a: &str, b: &str) -> usize {
    if a.len() > 256 || b.len() > 256 {
        return a.chars().count().max(b.chars().count());
    }
    strsim::levenshtein(a, b)
}

/// The candidate closest to `word` if it is a plausible typo of it (a case-only difference,
/// or at most a third of the candidate's characters changed, at least one).
pub fn closest<'c>(word: &str, candidates: impl IntoIterator<Item = &'c str>) -> Option<&'c str> {
    let mut best: Option<(usize, &str)> = None;
    for cand in candidates {
        if word.eq_ignore_ascii_case(cand) {
            return Some(cand);
        }
        let d = edit_distance(word, cand);
        if d <= (cand.chars().count() / 3).max(1) && best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, cand));
        }
    }
    best.map(|(_, c)| c)
}

/// "did you mean X?" for the closest candidate, if any.
pub fn did_you_mean<'c>(word: &str, candidates: impl IntoIterator<Item = &'c str>) -> Option<String> {
    closest(word, candidates).map(|c| format!("did you mean {c}?"))
}

// ───────────────────────────── addresses ─────────────────────────────

/// `expected` for an IPv4 address.
pub const IPV4_EXPECTED: &str = "an IPv4 address like 10.0.0.1";

/// Parses a dotted-quad IPv4 address (four decimal numbers, no leading zeros, no names).
pub fn parse_ipv4(text: &str, span: Range<usize>) -> Result<Ipv4Addr, CmdError> {
    text.parse::<Ipv4Addr>().map_err(|_| CmdError::new(span, IPV4_EXPECTED, text).with_hint_opt(ipv4_hint(text)))
}

/// Why `text` is not an IPv4 address, when we can tell.
pub fn ipv4_hint(text: &str) -> Option<String> {
    if text.is_empty() {
        return None;
    }
    if text.contains(':') {
        return Some("lvsim models IPv4 only, and a port does not belong here".to_owned());
    }
    if text.chars().any(|c| c.is_ascii_alphabetic()) {
        return Some("lvsim needs numeric addresses like 10.0.0.1; host names are not resolved".to_owned());
    }
    let parts: Vec<&str> = text.split('.').collect();
    if !parts.iter().all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit())) {
        return None;
    }
    if parts.len() != 4 {
        return Some("write all four numbers of the address, like 10.0.0.1".to_owned());
    }
    if parts.iter().any(|p| p.len() > 3 || p.parse::<u16>().is_ok_and(|n| n > 255)) {
        return Some("each of the four numbers is between 0 and 255".to_owned());
    }
    if parts.iter().any(|p| p.len() > 1 && p.starts_with('0')) {
        return Some("leading zeros are not allowed (inet_aton would read 010 as octal 8)".to_owned());
    }
    None
}

// ───────────────────────────── lexing ─────────────────────────────

/// A word of the command with its byte range (quotes removed from `text`, kept in `span`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Tok {
    pub(super) text: String,
    pub(super) span: Range<usize>,
}

impl Tok {
    pub(super) fn sub(&self, r: Range<usize>) -> Range<usize> {
        sub_span(&self.text, &self.span, r)
    }

    pub(super) fn err(&self, expected: impl Into<String>) -> CmdError {
        CmdError::new(self.span.clone(), expected, &self.text)
    }

    pub(super) fn is(&self, word: &str) -> bool {
        self.text == word
    }
}

pub(super) fn tokenize(cmd: &str) -> Result<Vec<Tok>, CmdError> {
    let mut toks = Vec::new();
    let mut chars = cmd.char_indices().peekable();
    while let Some(&(start, first)) = chars.peek() {
        if first.is_whitespace() {
            chars.next();
            continue;
        }
        if first == '#' {
            break;
        }
        let mut text = String::new();
        let mut end = start;
        while let Some(&(i, c)) = chars.peek() {
            if c.is_whitespace() {
                break;
            }
            chars.next();
            end = i + c.len_utf8();
            match c {
                '"' | '\'' => {
                    let mut closed = false;
                    for (j, q) in chars.by_ref() {
                        end = j + q.len_utf8();
                        if q == c {
                            closed = true;
                            break;
                        }
                        text.push(q);
                    }
                    if !closed {
                        return Err(CmdError::new(i..i + 1, format!("a closing {c} for this quote"), &c.to_string())
                            .with_hint("close the quote on the same line"));
                    }
                }
                ';' | '|' | '&' | '`' | '$' | '\\' | '<' => return Err(shell_feature(c, i)),
                _ => text.push(c),
            }
        }
        toks.push(Tok { text, span: start..end });
    }
    Ok(toks)
}

pub(super) fn shell_feature(c: char, at: usize) -> CmdError {
    let (expected, hint) = match c {
        '$' => ("a literal value", "shell variables like $VIP are not expanded: write the value itself"),
        '`' => ("a literal value", "command substitution is not supported: write the value itself"),
        '\\' => ("a plain word", "backslash escapes and line continuations are not supported: one command per line"),
        '<' => ("a plain word", "input redirection is not supported"),
        _ => ("one command per line", "`;`, `&&` and `|` are not supported: put each command on its own line"),
    };
    CmdError::new(at..at + c.len_utf8(), expected, &c.to_string()).with_hint(hint)
}

/// The words after the command name, with the position of the end of the command.
pub(super) struct Args<'t> {
    pub(super) toks: &'t [Tok],
    pub(super) pos: usize,
    pub(super) end: usize,
}

impl<'t> Args<'t> {
    pub(super) fn next(&mut self) -> Option<&'t Tok> {
        let t = self.toks.get(self.pos)?;
        self.pos += 1;
        Some(t)
    }

    pub(super) fn peek(&self) -> Option<&'t Tok> {
        self.toks.get(self.pos)
    }

    pub(super) fn rest(&self) -> &'t [Tok] {
        self.toks.get(self.pos..).unwrap_or_default()
    }

    /// The next word, which must exist.
    pub(super) fn value(&mut self, expected: &str) -> Result<&'t Tok, CmdError> {
        let end = self.end;
        self.next().ok_or_else(|| CmdError::missing(end, expected))
    }

    pub(super) fn missing(&self, expected: impl Into<String>) -> CmdError {
        CmdError::missing(self.end, expected)
    }
}

/// Errors if a keyword was already given.
pub(super) fn once(seen: bool, t: &Tok) -> Result<(), CmdError> {
    if seen {
        Err(t.err(format!("`{}` at most once", t.text)).with_hint(format!("`{}` was already given", t.text)))
    } else {
        Ok(())
    }
}
