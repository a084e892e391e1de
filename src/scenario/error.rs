//! Scenario errors: where (file:line:col), what was expected, what was found, and a hint.
//! Rendered by miette with the offending source line underlined.

use super::locate::{line_col, offset_of};
use crate::lang::Lang;
use crate::lang::zh::phrase;
use miette::{Diagnostic, NamedSource, SourceSpan};

#[derive(Debug, thiserror::Error, Diagnostic)]
pub enum ScenarioError {
    #[error("cannot read scenario {path}: {message}")]
    #[diagnostic(code(lvsim::io))]
    Io {
        path: String,
        message: String,
        #[help]
        help: String,
    },
    #[error("{origin}:{line}:{col}: expected {expected}, found {found}")]
    #[diagnostic(code(lvsim::scenario))]
    At {
        origin: String,
        line: usize,
        col: usize,
        expected: String,
        found: String,
        #[source_code]
        src: NamedSource<String>,
        #[label("{label}")]
        span: SourceSpan,
        label: String,
        #[help]
        help: Option<String>,
    },
}

impl ScenarioError {
    /// An error at byte range `start..end` of `source`.
    pub fn at(
        origin: &str,
        source: &str,
        start: usize,
        end: usize,
        expected: impl Into<String>,
        found: impl Into<String>,
        help: Option<String>,
    ) -> Self {
        let (line, col) = line_col(source, start);
        let expected = expected.into();
        ScenarioError::At {
            origin: origin.to_string(),
            line,
            col,
            label: format!("expected {expected}"),
            expected,
            found: found.into(),
            src: NamedSource::new(origin, source.to_string()),
            span: SourceSpan::new(start.into(), end.saturating_sub(start)),
            help,
        }
    }

    /// An error at the end of `source`: something the whole file lacks.
    pub fn at_end(
        origin: &str,
        source: &str,
        expected: impl Into<String>,
        found: impl Into<String>,
        help: Option<String>,
    ) -> Self {
        Self::at(origin, source, source.len(), source.len(), expected, found, help)
    }

    pub(crate) fn from_ron(origin: &str, source: &str, e: &ron::error::SpannedError) -> Self {
        Self::from_ron_as(origin, source, e, "a valid scenario")
    }

    /// A RON error in a file of kind `what` ("a valid sweep file").
    pub(crate) fn from_ron_as(origin: &str, source: &str, e: &ron::error::SpannedError, what: &str) -> Self {
        let start = offset_of(source, e.span.start.line, e.span.start.col);
        let end = offset_of(source, e.span.end.line, e.span.end.col).max(start);
        let msg = e.code.to_string();
        // ron says e.g. "Expected ... but found ..."; split it when it does.
        let (expected, found) = match &e.code {
            ron::Error::NoSuchStructField { expected, found, outer } => (
                format!("a field of {}: {}", outer.as_deref().unwrap_or("this struct"), expected.join(", ")),
                format!("`{found}`"),
            ),
            _ => match msg.split_once(" but found ") {
                Some((a, b)) => (a.trim_start_matches("Expected ").to_string(), b.to_string()),
                None => (what.to_string(), msg.clone()),
            },
        };
        let help = match &e.code {
            ron::Error::NoSuchStructField { .. } | ron::Error::MissingStructField { .. } => {
                Some(if what.contains("sweep") {
                    "see docs/batch.md and scenarios/sweeps/bottleneck.ron for every field".to_string()
                } else {
                    "see scenarios/dr.ron for a complete example of every field".to_string()
                })
            }
            _ => None,
        };
        ScenarioError::at(origin, source, start, end, expected, found, help)
    }

    /// Renders the error as plain text with the source excerpt (no colours), as the CLI prints it.
    pub fn render(&self) -> String {
        self.render_in(Lang::En)
    }

    /// [`render`](Self::render) in `lang`: under Chinese the frame words (expected, found,
    /// hint) and the English phrases inside them, through the one table of
    /// [`crate::lang::zh`]; quoted input, names and command syntax stay as written.
    pub fn render_in(&self, lang: Lang) -> String {
        let handler =
            miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode_nocolor()).with_width(100);
        let mut out = String::new();
        let rendered = match (lang, self) {
            (Lang::Zh, _) => handler.render_report(&mut out, &Zh(self)),
            (Lang::En, _) => handler.render_report(&mut out, self),
        };
        if rendered.is_err() {
            return self.to_string();
        }
        if lang == Lang::Zh {
            // miette writes the hint's heading itself.
            out = out.replacen("help: ", "提示：", 1);
        }
        out
    }
}

/// A located error with Chinese frame words, for miette to draw.
#[derive(Debug)]
struct Zh<'a>(&'a ScenarioError);

impl std::fmt::Display for Zh<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            ScenarioError::At { origin, line, col, expected, found, .. } => {
                write!(f, "{origin}:{line}:{col}：应为 {}，实际为 {}", phrase(expected), phrase(found))
            }
            // The operating system's message stays as it wrote it.
            ScenarioError::Io { path, message, .. } => write!(f, "无法读取场景 {path}：{message}"),
        }
    }
}

impl std::error::Error for Zh<'_> {}

impl Diagnostic for Zh<'_> {
    fn code<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        self.0.code()
    }

    fn help<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        let help = match self.0 {
            ScenarioError::At { help, .. } => help.as_deref()?,
            ScenarioError::Io { help, .. } => help,
        };
        Some(Box::new(phrase(help)))
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.0.source_code()
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = miette::LabeledSpan> + '_>> {
        match self.0 {
            ScenarioError::At { span, expected, .. } => Some(Box::new(std::iter::once(
                miette::LabeledSpan::new_with_span(Some(format!("应为 {}", phrase(expected))), *span),
            ))),
            ScenarioError::Io { .. } => None,
        }
    }
}
