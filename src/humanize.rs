//! Numbers for people: sizes, counts, durations, times.

use std::time::Duration;

use chrono::{DateTime, Utc};

/// `1536` → `1.5 KiB`.
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// `1234567` → `1,234,567`.
pub fn count(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `1` → `1 row`, `2195` → `2,195 rows`.
pub fn rows(n: u64) -> String {
    plural(n as usize, "row", "rows")
}

/// `plural(1, "table", "tables")` → `1 table`, `plural(2195, …)` → `2,195 tables`.
pub fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{} {}", count(n as i64), if n == 1 { one } else { many })
}

/// `1.234s` → `1.2 s`, `0.012s` → `12 ms`.
pub fn duration(d: Duration) -> String {
    let ms = d.as_millis();
    if ms < 10 {
        format!("{:.1} ms", d.as_secs_f64() * 1000.0)
    } else if ms < 1000 {
        format!("{ms} ms")
    } else if ms < 60_000 {
        format!("{:.1} s", d.as_secs_f64())
    } else {
        let secs = d.as_secs();
        format!("{}m{:02}s", secs / 60, secs % 60)
    }
}

/// How long before `now` something happened, in the largest whole unit: `just now`,
/// `45 s ago`, `12 min ago`, `3 h ago`, `2 days ago`; `in the future` for a clock ahead.
pub fn age(at: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let secs = (now - at).num_seconds();
    match secs {
        s if s < -60 => "in the future".to_string(),
        s if s < 5 => "just now".to_string(),
        s if s < 60 => format!("{s} s ago"),
        s if s < 3_600 => format!("{} min ago", s / 60),
        s if s < 2 * 86_400 => format!("{} h ago", s / 3_600),
        s => format!("{} days ago", s / 86_400),
    }
}

/// A time for people, absolute with its age beside it: `2026-12-07 20:31 UTC (12 min ago)`.
pub fn at_with_age(at: DateTime<Utc>, now: DateTime<Utc>) -> String {
    format!("{} ({})", at.format("%Y-%m-%d %H:%M UTC"), age(at, now))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_absolute_with_their_age() {
        let now: DateTime<Utc> = "2026-12-07T20:43:10Z".parse().unwrap();
        let at = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
        assert_eq!(
            at_with_age(at("2026-12-07T20:31:00Z"), now),
            "2026-12-07 20:31 UTC (12 min ago)"
        );
        assert_eq!(age(at("2026-12-07T20:43:08Z"), now), "just now");
        assert_eq!(age(at("2026-12-07T20:42:20Z"), now), "50 s ago");
        assert_eq!(age(at("2026-12-07T17:40:00Z"), now), "3 h ago");
        assert_eq!(age(at("2026-12-04T20:00:00Z"), now), "3 days ago");
        assert_eq!(age(at("2026-12-07T21:00:00Z"), now), "in the future");
    }

    #[test]
    fn formats() {
        assert_eq!(bytes(0), "0 B");
        assert_eq!(bytes(1023), "1023 B");
        assert_eq!(bytes(1536), "1.5 KiB");
        assert_eq!(bytes(5 * 1024 * 1024 * 1024), "5.0 GiB");
        assert_eq!(count(0), "0");
        assert_eq!(count(999), "999");
        assert_eq!(count(1_234_567), "1,234,567");
        assert_eq!(count(-1000), "-1,000");
        assert_eq!(rows(1), "1 row");
        assert_eq!(rows(0), "0 rows");
        assert_eq!(rows(2195), "2,195 rows");
        assert_eq!(plural(1, "table", "tables"), "1 table");
        assert_eq!(plural(0, "table", "tables"), "0 tables");
        assert_eq!(plural(2195, "query", "queries"), "2,195 queries");
        assert_eq!(duration(Duration::from_micros(420)), "0.4 ms");
        assert_eq!(duration(Duration::from_millis(12)), "12 ms");
        assert_eq!(duration(Duration::from_millis(1234)), "1.2 s");
        assert_eq!(duration(Duration::from_secs(125)), "2m05s");
    }
}
