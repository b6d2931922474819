//! Diagnostics: every problem the generator finds, with the place it was found.
//!
//! # Invariants
//! - Every error names `file:line:column` (1-based), so a user can jump to it.
//! - Diagnostics sort by place then message, so the report does not depend on the order in
//!   which checks ran.

use std::fmt;

/// A place in an input file.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Loc {
    /// The file as the user named it (for example `schema/jitos.graphql`).
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
}

impl Loc {
    /// A place in `file`.
    pub fn new(file: &str, line: usize, column: usize) -> Loc {
        Loc {
            file: file.to_owned(),
            line,
            column,
        }
    }
}

impl fmt::Display for Loc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}

/// How bad a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Generation fails.
    Error,
    /// Reported; generation goes on (for example a directive the generator does not know).
    Warning,
}

/// One problem.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Diagnostic {
    /// Where.
    pub loc: Loc,
    /// How bad.
    pub severity: Severity,
    /// What, as a lowercase sentence with no trailing dot.
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let severity = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, "{}: {severity}: {}", self.loc, self.message)
    }
}

/// The problems found so far.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Diagnostics {
    items: Vec<Diagnostic>,
}

impl Diagnostics {
    /// Records an error.
    pub fn error(&mut self, loc: &Loc, message: impl Into<String>) {
        self.push(loc, Severity::Error, message.into());
    }

    /// Records a warning.
    pub fn warning(&mut self, loc: &Loc, message: impl Into<String>) {
        self.push(loc, Severity::Warning, message.into());
    }

    fn push(&mut self, loc: &Loc, severity: Severity, message: String) {
        self.items.push(Diagnostic {
            loc: loc.clone(),
            severity,
            message,
        });
    }

    /// Whether any error was recorded.
    pub fn has_errors(&self) -> bool {
        self.items.iter().any(|d| d.severity == Severity::Error)
    }

    /// All diagnostics, sorted by place, severity and message, without duplicates.
    pub fn sorted(&self) -> Vec<Diagnostic> {
        let mut items = self.items.clone();
        items.sort();
        items.dedup();
        items
    }

    /// Moves every diagnostic of `other` into `self`.
    pub fn extend(&mut self, other: Diagnostics) {
        self.items.extend(other.items);
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for diagnostic in self.sorted() {
            writeln!(f, "{diagnostic}")?;
        }
        Ok(())
    }
}
