//! Reading a CSV file completely and checking it before anything is written: it must be
//! UTF-8 and carry the expected columns. Rows are then read by column name.

use std::collections::HashMap;
use std::path::Path;

use anyhow::{Context, bail};

/// A CSV file read into memory.
pub struct CsvFile {
    name: String,
    columns: HashMap<String, usize>,
    width: usize,
    rows: Vec<CsvRow>,
}

/// One data row with its line number in the file.
pub struct CsvRow {
    /// 1-based line where the row starts.
    pub line: u64,
    record: csv::StringRecord,
}

impl CsvFile {
    /// Reads `path`, which must be UTF-8 (a BOM is allowed) and have every column in
    /// `required` in its header.
    pub fn read(path: &Path, required: &[&str]) -> anyhow::Result<Self> {
        let name = path.file_name().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        let bytes =
            std::fs::read(path).with_context(|| format!("Failed to read {}", path.display()))?;
        let text = match std::str::from_utf8(&bytes) {
            Ok(text) => text,
            Err(err) => {
                let line = bytes[..err.valid_up_to()]
                    .iter()
                    .filter(|b| **b == b'\n')
                    .count()
                    + 1;
                bail!("{name}: line {line} is not valid UTF-8; the file must be encoded in UTF-8");
            }
        };
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .from_reader(text.as_bytes());
        let header = reader
            .headers()
            .with_context(|| format!("{name}: the header line cannot be read"))?
            .clone();
        let columns: HashMap<String, usize> = header
            .iter()
            .enumerate()
            .map(|(index, column)| (column.trim().to_owned(), index))
            .collect();
        let missing: Vec<&str> = required
            .iter()
            .copied()
            .filter(|column| !columns.contains_key(*column))
            .collect();
        if !missing.is_empty() {
            bail!(
                "{name}: the header lacks the column(s) {}; expected at least: {}",
                missing.join(", "),
                required.join(",")
            );
        }
        let mut rows = Vec::new();
        for record in reader.records() {
            let record = record.with_context(|| format!("{name}: unreadable CSV"))?;
            let line = record.position().map_or(0, |p| p.line());
            rows.push(CsvRow { line, record });
        }
        Ok(Self {
            name,
            width: header.len(),
            columns,
            rows,
        })
    }

    /// The file name, for messages.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The data rows.
    pub fn rows(&self) -> &[CsvRow] {
        &self.rows
    }

    /// Number of fields of the header.
    pub fn width(&self) -> usize {
        self.width
    }

    /// The trimmed value of `column` in `row` (`""` when absent).
    pub fn get<'a>(&self, row: &'a CsvRow, column: &str) -> &'a str {
        self.columns
            .get(column)
            .and_then(|index| row.record.get(*index))
            .map_or("", str::trim)
    }

    /// Like [`Self::get`], `None` for an empty value.
    pub fn opt(&self, row: &CsvRow, column: &str) -> Option<String> {
        Some(self.get(row, column))
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    }
}

impl CsvRow {
    /// Number of fields in this row.
    pub fn width(&self) -> usize {
        self.record.len()
    }

    /// Why the row's text cannot be stored, if it cannot: a NUL character (U+0000, which
    /// PostgreSQL refuses) or a field longer than [`MAX_FIELD_CHARS`].
    pub fn unstorable(&self) -> Option<String> {
        self.record.iter().enumerate().find_map(|(i, field)| {
            if field.contains('\0') {
                Some(format!(
                    "field {} contains the NUL character (U+0000)",
                    i + 1
                ))
            } else if field.chars().count() > MAX_FIELD_CHARS {
                Some(format!(
                    "field {} is longer than {MAX_FIELD_CHARS} characters",
                    i + 1
                ))
            } else {
                None
            }
        })
    }
}

/// Longest field an importer stores.
pub const MAX_FIELD_CHARS: usize = 2_000;
