//! Printing results: JSON for scripts, aligned "label  value" lines for people.

use std::io::Write;

use serde::Serialize;

/// Pretty JSON on stdout, newline-terminated.
pub fn print_json<T: Serialize + ?Sized>(value: &T) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, value)?;
    writeln!(out)?;
    Ok(())
}

/// A titled block of aligned label/value lines.
#[derive(Debug, Default)]
pub struct Section {
    title: String,
    rows: Vec<(String, String)>,
}

impl Section {
    pub fn new(title: impl Into<String>) -> Self {
        Self {
            title: title.into(),
            rows: Vec::new(),
        }
    }

    pub fn row(&mut self, label: impl Into<String>, value: impl Into<String>) -> &mut Self {
        self.rows.push((label.into(), value.into()));
        self
    }

    /// A row only when there is a value.
    pub fn row_opt(&mut self, label: &str, value: Option<String>) -> &mut Self {
        if let Some(v) = value {
            self.row(label, v);
        }
        self
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
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

pub fn yes_no(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

pub fn join<T: ToString>(items: &[T]) -> String {
    items
        .iter()
        .map(T::to_string)
        .collect::<Vec<_>>()
        .join(", ")
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
