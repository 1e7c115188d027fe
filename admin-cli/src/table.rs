//! Plain-text tables: left-aligned columns sized to their widest cell.

/// A table being built.
#[derive(Debug)]
pub struct Table {
    headers: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// A table with these column headers.
    pub fn new(headers: &[&str]) -> Self {
        Table {
            headers: headers.iter().map(|h| (*h).to_owned()).collect(),
            rows: Vec::new(),
        }
    }

    /// Adds a row (missing cells are empty, extra ones ignored).
    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    /// True without rows.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The table as lines, two spaces between columns, no trailing spaces.
    pub fn render(&self) -> String {
        let n = self.headers.len();
        let cell = |r: &Vec<String>, i: usize| r.get(i).map_or("", |s| s.as_str()).to_owned();
        let mut widths: Vec<usize> = self.headers.iter().map(|h| h.chars().count()).collect();
        for r in &self.rows {
            for (i, w) in widths.iter_mut().enumerate() {
                *w = (*w).max(cell(r, i).chars().count());
            }
        }
        let line = |cells: Vec<String>| {
            let mut out = String::new();
            for (i, c) in cells.iter().enumerate() {
                out.push_str(c);
                if i + 1 < n {
                    let pad = widths[i] - c.chars().count() + 2;
                    out.extend(std::iter::repeat_n(' ', pad));
                }
            }
            out.trim_end().to_owned()
        };
        let mut out = line(self.headers.clone());
        for r in &self.rows {
            out.push('\n');
            out.push_str(&line((0..n).map(|i| clean(&cell(r, i))).collect()));
        }
        out
    }
}

/// One line of text: control characters (newlines in an error) become spaces.
pub fn clean(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// At most `max` characters, `…` marking a cut; on one line.
pub fn truncate(s: &str, max: usize) -> String {
    let s = clean(s);
    if s.chars().count() <= max {
        return s;
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// `-` for nothing.
pub fn or_dash<T: ToString>(v: Option<T>) -> String {
    v.map_or_else(|| "-".to_owned(), |v| v.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aligned_columns() {
        let mut t = Table::new(&["ID", "STATUS", "ERROR"]);
        t.row(vec!["1".into(), "dead".into(), "boom".into()]);
        t.row(vec!["22".into(), "succeeded".into(), String::new()]);
        assert_eq!(
            t.render(),
            "ID  STATUS     ERROR\n1   dead       boom\n22  succeeded"
        );
    }

    #[test]
    fn truncation() {
        assert_eq!(truncate("short", 10), "short");
        assert_eq!(truncate("a long error message", 8), "a long …");
        assert_eq!(truncate("two\nlines", 20), "two lines");
        assert_eq!(truncate("ééééé", 3), "éé…");
    }
}
