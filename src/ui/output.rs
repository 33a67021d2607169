//! Printing results: JSON for scripts, aligned "label  value" lines for people.

use std::io::Write;

use serde::Serialize;

/// Pretty JSON on stdout, newline-terminated.
pub(crate) fn print_json<T: Serialize + ?Sized>(value: &T) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, value)?;
    writeln!(out)?;
    Ok(())
}

/// A titled block of aligned label/value lines.
#[derive(Debug, Default)]
pub(crate) struct Section {
    title: String,
    rows: Vec<(String, String)>,
}

impl Section {
    pub(crate) fn new(title: impl Into<String>) -> Self {
        Self {
            title: title.into(),
            rows: Vec::new(),
        }
    }

    pub(crate) fn row(&mut self, label: impl Into<String>, value: impl Into<String>) -> &mut Self {
        self.rows.push((label.into(), value.into()));
        self
    }

    /// A row only when there is a value.
    pub(crate) fn row_opt(&mut self, label: &str, value: Option<String>) -> &mut Self {
        if let Some(v) = value {
            self.row(label, v);
        }
        self
    }

    pub fn render(&self) -> String {
        let width = self
            .rows
            .iter()
            .map(|(l, _)| l.chars().count())
            .max()
            .unwrap_or(0);
        let mut s = format!("{}\n", self.title);
        for (label, value) in &self.rows {
            s.push_str(&format!("  {label:width$}  {value}\n"));
        }
        s
    }
}

pub(crate) fn yes_no(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

pub(crate) fn join<T: ToString>(items: &[T]) -> String {
    items
        .iter()
        .map(T::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// A warning on stderr, in fidoctl's name.
pub(crate) fn warning(message: impl std::fmt::Display) -> String {
    format!("fidoctl: {message}")
}

/// `--verbose`: what the command cost.
pub(crate) fn round_trips(count: u32, elapsed: std::time::Duration) -> String {
    format!(
        "{count} round trips to the key, {:.1} ms",
        elapsed.as_secs_f64() * 1000.0
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn section_aligns_values() {
        let mut s = Section::new("PIN");
        s.row("set", "yes")
            .row("minimum length", "4")
            .row_opt("skipped", None);
        assert_eq!(
            s.render(),
            "PIN\n  set             yes\n  minimum length  4\n"
        );
    }
}
