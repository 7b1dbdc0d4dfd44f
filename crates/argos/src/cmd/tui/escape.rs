//! Captured text is hostile: a Call-ID or User-Agent may hold escape sequences that would
//! move the cursor, recolour or retitle the operator's terminal. Every input-derived string
//! goes through [`visible`] before it reaches the screen or `--dump` output.

use std::borrow::Cow;

/// `s` with every control character (C0, DEL, C1) and text-reordering format character
/// written out: `\e` for ESC, `\t`, `\r`, `\n`, `\xNN`/`\u{NN}` for the rest. Text without
/// them is borrowed unchanged.
pub fn visible(s: &str) -> Cow<'_, str> {
    if !s.chars().any(needs_escape) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\x1b' => out.push_str("\\e"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\n' => out.push_str("\\n"),
            c if (c as u32) < 0x80 && c.is_control() => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c if needs_escape(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Control characters, and the invisible format characters that reorder or hide text
/// (bidi overrides and isolates, zero-width marks, BOM): a Call-ID must read as it is.
fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{200b}'..='\u{200f}'
                | '\u{202a}'..='\u{202e}'
                | '\u{2066}'..='\u{2069}'
                | '\u{feff}'
        )
}

/// One line of a message for display: like [`visible`], but a tab becomes spaces (headers
/// and SDP use tabs legitimately) and the line's own CR/LF are dropped by the caller.
pub fn visible_line(line: &str) -> String {
    visible(&line.replace('\t', "    ")).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_are_written_out() {
        assert_eq!(visible("abc@host"), "abc@host");
        assert_eq!(visible("a\x1b[31mb\x07"), "a\\e[31mb\\x07");
        assert_eq!(visible("x\u{9b}2J"), "x\\u{9b}2J");
        assert_eq!(visible("abc\u{202e}fed"), "abc\\u{202e}fed");
        assert_eq!(visible_line("a\tb\x1b]0;t"), "a    b\\e]0;t");
    }
}
