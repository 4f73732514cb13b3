//! SQL literals for the files the backup writes.

use std::fmt::Write as _;

/// A MySQL string literal as `mysql_real_escape_string` would write it: `'…'` with backslash
/// escapes (the file sets a sql_mode without NO_BACKSLASH_ESCAPES). Appends to `out`.
pub fn mysql_string(out: &mut Vec<u8>, value: &[u8]) {
    out.reserve(value.len() + 2);
    out.push(b'\'');
    let mut start = 0;
    for (i, &b) in value.iter().enumerate() {
        let escaped: &[u8] = match b {
            0 => b"\\0",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\\' => b"\\\\",
            b'\'' => b"\\'",
            b'"' => b"\\\"",
            0x1a => b"\\Z",
            _ => continue,
        };
        out.extend_from_slice(&value[start..i]);
        out.extend_from_slice(escaped);
        start = i + 1;
    }
    out.extend_from_slice(&value[start..]);
    out.push(b'\'');
}

/// Is this number text a negative zero (`-0`, `-0.0`, `-0e-5`)? Written as the literal `-0`
/// it would be read as the integer 0 and lose its sign.
pub fn is_negative_zero(value: &[u8]) -> bool {
    let Some(rest) = value.strip_prefix(b"-") else {
        return false;
    };
    let mantissa = rest
        .split(|b| *b == b'e' || *b == b'E')
        .next()
        .unwrap_or_default();
    mantissa.contains(&b'0') && mantissa.iter().all(|b| *b == b'0' || *b == b'.')
}

/// A MySQL number as the server sent it; a negative zero as the double `-0e0`, which keeps
/// its sign where the column can hold one.
pub fn mysql_number(out: &mut Vec<u8>, value: &[u8]) {
    if is_negative_zero(value) {
        out.extend_from_slice(b"-0e0");
    } else {
        out.extend_from_slice(value);
    }
}

/// A binary value as a MySQL hex literal (`X''` for empty).
pub fn mysql_hex(out: &mut Vec<u8>, value: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.extend_from_slice(b"X'");
    for &b in value {
        out.push(HEX[(b >> 4) as usize]);
        out.push(HEX[(b & 0x0f) as usize]);
    }
    out.push(b'\'');
}

/// A Postgres string literal: plain `'…'` with doubled quotes, or `E'…'` when the value holds a
/// backslash, newline or carriage return (so every statement stays on one line).
pub fn pg_string(out: &mut Vec<u8>, value: &[u8]) {
    let needs_e = value.iter().any(|b| matches!(b, b'\\' | b'\n' | b'\r'));
    if needs_e {
        out.push(b'E');
    }
    out.push(b'\'');
    for &b in value {
        match b {
            b'\'' => out.extend_from_slice(b"''"),
            b'\\' if needs_e => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            _ => out.push(b),
        }
    }
    out.push(b'\'');
}

/// Decodes one field of Postgres COPY text format (`\N` is NULL; backslash escapes).
pub fn pg_copy_field(field: &[u8]) -> Option<Vec<u8>> {
    if field == b"\\N" {
        return None;
    }
    let mut out = Vec::with_capacity(field.len());
    let mut i = 0;
    while i < field.len() {
        let b = field[i];
        if b != b'\\' || i + 1 == field.len() {
            out.push(b);
            i += 1;
            continue;
        }
        let next = field[i + 1];
        i += 2;
        match next {
            b'n' => out.push(b'\n'),
            b'r' => out.push(b'\r'),
            b't' => out.push(b'\t'),
            b'b' => out.push(8),
            b'f' => out.push(12),
            b'v' => out.push(11),
            b'x' => {
                let hex: Vec<u8> = field[i..]
                    .iter()
                    .take(2)
                    .take_while(|c| c.is_ascii_hexdigit())
                    .copied()
                    .collect();
                i += hex.len();
                let text = std::str::from_utf8(&hex).unwrap_or("0");
                out.push(u8::from_str_radix(text, 16).unwrap_or(0));
            }
            b'0'..=b'7' => {
                let mut value = u32::from(next - b'0');
                let mut taken = 0;
                while taken < 2 && i < field.len() && (b'0'..=b'7').contains(&field[i]) {
                    value = value * 8 + u32::from(field[i] - b'0');
                    i += 1;
                    taken += 1;
                }
                out.push(value as u8);
            }
            other => out.push(other),
        }
    }
    Some(out)
}

/// `"name"` / `` `name` `` for identifiers written into files.
pub fn quote_ident(engine: crate::db::Engine, name: &str) -> String {
    crate::db::inspect::quote_ident(engine, name)
}

/// Comma-separated quoted column list.
pub fn column_list(engine: crate::db::Engine, columns: &[String]) -> String {
    let mut out = String::new();
    for (i, column) in columns.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        let _ = write!(out, "{}", quote_ident(engine, column));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mysql(v: &str) -> String {
        let mut out = Vec::new();
        mysql_string(&mut out, v.as_bytes());
        String::from_utf8(out).unwrap()
    }

    fn pg(v: &str) -> String {
        let mut out = Vec::new();
        pg_string(&mut out, v.as_bytes());
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn mysql_escapes_what_breaks_statements() {
        assert_eq!(mysql("plain"), "'plain'");
        assert_eq!(mysql("it's"), "'it\\'s'");
        assert_eq!(mysql("a\\b"), "'a\\\\b'");
        assert_eq!(mysql("l1\nl2\r"), "'l1\\nl2\\r'");
        assert_eq!(mysql("nul\0"), "'nul\\0'");
        assert_eq!(mysql("\"q\""), "'\\\"q\\\"'");
        assert_eq!(mysql("100% ü 🚀"), "'100% ü 🚀'");
        let mut hex = Vec::new();
        mysql_hex(&mut hex, &[0, 255, 16]);
        assert_eq!(hex, b"X'00ff10'");
    }

    #[test]
    fn postgres_uses_e_strings_only_when_needed() {
        assert_eq!(pg("it's"), "'it''s'");
        assert_eq!(pg("a\\b"), "E'a\\\\b'");
        assert_eq!(pg("l1\nl2"), "E'l1\\nl2'");
        assert_eq!(pg("it's\n"), "E'it''s\\n'");
    }

    #[test]
    fn negative_zero_is_recognised() {
        for zero in ["-0", "-0.0", "-0e0", "-0E-5", "-.0"] {
            assert!(is_negative_zero(zero.as_bytes()), "{zero}");
        }
        for other in ["0", "-1", "-0.5", "-10", "-", "-e5", "-0x1"] {
            assert!(!is_negative_zero(other.as_bytes()), "{other}");
        }
        let mut out = Vec::new();
        mysql_number(&mut out, b"-0");
        mysql_number(&mut out, b",-2.5");
        assert_eq!(out, b"-0e0,-2.5");
    }

    #[test]
    fn copy_fields_decode() {
        assert_eq!(pg_copy_field(b"\\N"), None);
        assert_eq!(pg_copy_field(b"a\\tb\\nc\\\\d").unwrap(), b"a\tb\nc\\d");
        assert_eq!(pg_copy_field(b"\\x41\\101").unwrap(), b"AA");
    }
}
