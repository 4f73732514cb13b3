//! The sentence a probe says when it finds rows: `{count}` and `{first}` (the first sample
//! row) are filled in, and each `{one|many}` picks the word that agrees with the count, as in
//! `{count} {service|services} still {uses|use} sandboxDomain`.

enum Placeholder<'a> {
    Count,
    First,
    Choice { one: &'a str, many: &'a str },
}

fn placeholder(inner: &str) -> Option<Placeholder<'_>> {
    match inner {
        "count" => Some(Placeholder::Count),
        "first" => Some(Placeholder::First),
        _ => match inner.split_once('|') {
            Some((one, many)) if !many.contains('|') => Some(Placeholder::Choice { one, many }),
            _ => None,
        },
    }
}

/// The `{…}` of `template` with their text between the braces, in order.
fn braces(template: &str) -> impl Iterator<Item = (usize, usize, &str)> {
    let mut from = 0;
    std::iter::from_fn(move || {
        let open = from + template[from..].find('{')?;
        let close = open + template[open..].find('}')?;
        from = close + 1;
        Some((open, close, &template[open + 1..close]))
    })
}

/// Fills `template` for `count` rows; an unknown `{…}` is left as written.
pub fn fill(template: &str, count: i64, first: &str) -> String {
    let mut out = String::with_capacity(template.len());
    let mut copied = 0;
    for (open, close, inner) in braces(template) {
        let Some(placeholder) = placeholder(inner) else {
            continue;
        };
        out.push_str(&template[copied..open]);
        match placeholder {
            Placeholder::Count => out.push_str(&count.to_string()),
            Placeholder::First => out.push_str(first),
            Placeholder::Choice { one, many } => out.push_str(if count == 1 { one } else { many }),
        }
        copied = close + 1;
    }
    out.push_str(&template[copied..]);
    out
}

/// The `{…}` of `template` that are not `{count}`, `{first}` or `{one|many}`.
pub fn unknown_placeholders(template: &str) -> Vec<String> {
    braces(template)
        .filter(|(_, _, inner)| placeholder(inner).is_none())
        .map(|(_, _, inner)| format!("{{{inner}}}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOMO: &str =
        "{count} Domo {service|services} still {uses|use} sandboxDomain, such as {first}";

    #[test]
    fn words_agree_with_the_count() {
        assert_eq!(
            fill(DOMO, 1, "sales"),
            "1 Domo service still uses sandboxDomain, such as sales"
        );
        assert_eq!(
            fill(DOMO, 3, "sales"),
            "3 Domo services still use sandboxDomain, such as sales"
        );
        assert_eq!(
            fill("{count} rows", 1, "?"),
            "1 rows",
            "no choice, no change"
        );
        assert!(unknown_placeholders(DOMO).is_empty());
    }

    #[test]
    fn unknown_placeholders_are_named_and_left_as_written() {
        let template = "{count} {rows} in {a|b|c} {";
        assert_eq!(unknown_placeholders(template), vec!["{rows}", "{a|b|c}"]);
        assert_eq!(fill(template, 2, "?"), "2 {rows} in {a|b|c} {");
    }
}
