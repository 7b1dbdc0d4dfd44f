//! UTC day numbers and `YYYY-MM-DD` names: the `day Date` partition column.

pub(crate) const DAY_US: i64 = 86_400_000_000;

/// Last day a ClickHouse 18.16 `Date` holds reliably (2105-12-31); the first is 1970-01-01.
pub(crate) const MAX_DAY: i64 = 49_672;

pub(crate) fn day_of(ts_us: i64) -> i64 {
    ts_us.div_euclid(DAY_US)
}

/// `YYYY-MM-DD` of a day number (proleptic Gregorian, H. Hinnant's algorithm).
pub(crate) fn day_name(day: i64) -> String {
    let z = day + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Day number of `YYYY-MM-DD`.
pub(crate) fn parse_day(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let y: i64 = s.get(0..4)?.parse().ok()?;
    let m: i64 = s.get(5..7)?.parse().ok()?;
    let d: i64 = s.get(8..10)?.parse().ok()?;
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let day = era * 146_097 + doe - 719_468;
    (day_name(day) == s).then_some(day)
}

/// The `day` column value of a timestamp, `None` outside 1970-01-01..=2105-12-31.
pub(crate) fn date_of(ts_us: i64) -> Option<String> {
    let d = day_of(ts_us);
    (0..=MAX_DAY).contains(&d).then(|| day_name(d))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days() {
        assert_eq!(day_name(0), "1970-01-01");
        assert_eq!(day_name(20_417), "2025-11-25");
        assert_eq!(day_name(MAX_DAY), "2105-12-31");
        for d in [0, 59, 60, 11_016, 20_417, MAX_DAY] {
            assert_eq!(parse_day(&day_name(d)), Some(d));
        }
        assert_eq!(parse_day("2025-02-30"), None);
        assert_eq!(date_of(-1), None);
        assert_eq!(
            date_of(1_764_064_800_000_000).as_deref(),
            Some("2025-11-25")
        );
    }
}
