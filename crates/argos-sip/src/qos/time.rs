//! RFC 3339 date-times (vq-rtcpxr `Timestamps: START=… STOP=…`) to microseconds since
//! the Unix epoch, without a date library: the report only needs UTC instants.

/// `YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)` as µs since 1970-01-01T00:00:00Z. `t`/space
/// for `T` and `z` for `Z` are accepted; fraction digits past the sixth are dropped (not
/// rounded). A missing zone is read as UTC (some phones omit the `Z`). `None` for
/// anything else, including impossible dates such as February 30.
pub(crate) fn rfc3339_us(s: &str) -> Option<i64> {
    let b = s.trim().as_bytes();
    let year = digits(b, 0, 4)?;
    let month = digits(b, 5, 2)?;
    let day = digits(b, 8, 2)?;
    let hour = digits(b, 11, 2)?;
    let minute = digits(b, 14, 2)?;
    let second = digits(b, 17, 2)?;
    if b.get(4) != Some(&b'-')
        || b.get(7) != Some(&b'-')
        || !matches!(b.get(10), Some(b'T' | b't' | b' '))
        || b.get(13) != Some(&b':')
        || b.get(16) != Some(&b':')
    {
        return None;
    }
    if !(1..=12).contains(&month)
        || day < 1
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        // 60: a leap second, which RFC 3339 allows.
        || second > 60
    {
        return None;
    }
    let mut pos = 19;
    let mut micros = 0i64;
    if b.get(pos) == Some(&b'.') {
        pos += 1;
        let frac_start = pos;
        let mut scale = 100_000i64;
        while let Some(d) = b.get(pos).filter(|c| c.is_ascii_digit()) {
            micros += i64::from(d - b'0') * scale;
            scale /= 10;
            pos += 1;
        }
        if pos == frac_start {
            return None;
        }
    }
    let offset_s = match b.get(pos..) {
        Some([] | [b'Z' | b'z']) => 0,
        Some([sign @ (b'+' | b'-'), rest @ ..]) if rest.len() == 5 && rest[2] == b':' => {
            let h = digits(rest, 0, 2)?;
            let m = digits(rest, 3, 2)?;
            if h > 23 || m > 59 {
                return None;
            }
            let off = h * 3600 + m * 60;
            if *sign == b'-' {
                -off
            } else {
                off
            }
        }
        _ => return None,
    };
    let days = days_from_civil(year, month, day);
    let secs = days * 86_400 + hour * 3600 + minute * 60 + second - offset_s;
    Some(secs * 1_000_000 + micros)
}

/// `n` ASCII digits at `at` as a number.
fn digits(b: &[u8], at: usize, n: usize) -> Option<i64> {
    let d = b.get(at..at + n)?;
    d.iter().try_fold(0i64, |acc, &c| {
        c.is_ascii_digit().then(|| acc * 10 + i64::from(c - b'0'))
    })
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days from 1970-01-01 to the proleptic Gregorian date (year ≥ 0): whole 400-year eras
/// of 146 097 days, then years counted from March so that the leap day falls last.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let month_from_march = (month + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::rfc3339_us;

    #[test]
    fn instants_match_date_u() {
        // Seconds as printed by `date -u -d <time> +%s`.
        for (text, secs) in [
            ("1970-01-01T00:00:00Z", 0),
            ("2004-10-10T18:23:43Z", 1_097_432_623),
            ("2000-02-29T23:59:59Z", 951_868_799),
            ("2100-03-01T00:00:00Z", 4_107_542_400),
            ("1969-12-31T23:59:59Z", -1),
            ("2016-06-16T09:47:14+02:00", 1_466_063_234),
        ] {
            assert_eq!(rfc3339_us(text), Some(secs * 1_000_000), "{text}");
        }
        assert_eq!(
            rfc3339_us("2015-02-28T21:04:31.000582Z"),
            Some(1_425_157_471_000_582)
        );
        assert_eq!(
            rfc3339_us("2015-02-28T21:04:31.1234567Z"),
            Some(1_425_157_471_123_456)
        );
    }

    #[test]
    fn refuses_what_is_not_a_date() {
        for bad in [
            "",
            "2004-02-30T00:00:00Z",
            "2100-02-29T00:00:00Z",
            "2004-10-10 18:23",
            "2004-10-10T18:23:43.Z",
            "2004-10-10T18:23:43+2",
            "2004-10-10T24:00:00Z",
            "２００４-10-10T18:23:43Z",
            "2004-10-10T18:23:43Zjunk",
        ] {
            assert_eq!(rfc3339_us(bad), None, "{bad}");
        }
    }
}
