//! A task's console output for one slice, with a byte budget: a task printing in a loop cannot
//! make its slice report (and the page that shows it) grow without bound.

/// Most console bytes a task may print in one slice (or one call); the rest is dropped and
/// counted.
pub const MAX_CONSOLE_BYTES_PER_SLICE: usize = 256 * 1024;

/// The lines printed during one slice.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SliceConsole {
    lines: Vec<String>,
    bytes: usize,
    dropped_lines: usize,
    dropped_bytes: usize,
}

impl SliceConsole {
    /// Keeps `line` if it fits in what is left of the slice's budget.
    pub fn print(&mut self, line: String) {
        if self.bytes + line.len() > MAX_CONSOLE_BYTES_PER_SLICE {
            self.dropped_lines += 1;
            self.dropped_bytes += line.len();
        } else {
            self.bytes += line.len();
            self.lines.push(line);
        }
    }

    /// The kept lines, then one saying what was dropped, if anything; empties the console.
    pub fn take(&mut self) -> Vec<String> {
        let mut lines = std::mem::take(&mut self.lines);
        if self.dropped_lines > 0 {
            lines.push(format!(
                "[host] dropped {} line(s), {} bytes: over the {} KiB a task may print per slice",
                self.dropped_lines,
                self.dropped_bytes,
                MAX_CONSOLE_BYTES_PER_SLICE / 1024
            ));
        }
        *self = Self::default();
        lines
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_lines_up_to_the_budget_and_reports_the_rest() {
        let mut console = SliceConsole::default();
        let line = "x".repeat(100 * 1024);
        for _ in 0..5 {
            console.print(line.clone());
        }
        console.print("short".into());
        let lines = console.take();
        // Two long lines fit, the third does not; the short one still fits after them.
        assert_eq!(lines.len(), 4);
        assert_eq!(lines[2], "short");
        assert_eq!(
            lines[3],
            "[host] dropped 3 line(s), 307200 bytes: over the 256 KiB a task may print per slice"
        );
        // The next slice starts with a fresh budget.
        console.print(line.clone());
        assert_eq!(console.take(), vec![line]);
    }
}
