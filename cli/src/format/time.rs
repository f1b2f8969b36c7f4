//! FILETIME → `Sun Jan 06 06:35:15 2013 UTC` (C `%a %b %d %H:%M:%S %Y UTC` of gmtime).

use crate::model::FileTime;

/// Seconds between 1601-01-01 and 1970-01-01.
const EPOCH_DIFF: i64 = 11_644_473_600;

const DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Civil date from days since 1970-01-01 (proleptic Gregorian).
fn civil_from_days(z: i64) -> (i64, usize, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    // m is 1..=12 by construction.
    (y, usize::try_from(m - 1).unwrap_or(0), d)
}

/// Formats a FILETIME the way wimlib-imagex prints timestamps.
pub fn format_filetime(ft: FileTime) -> String {
    // u64 / 10^7 always fits in i64.
    let secs = i64::try_from(ft / 10_000_000).unwrap_or(i64::MAX) - EPOCH_DIFF;
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    // 1970-01-01 was a Thursday (index 4).
    let wd = usize::try_from((days + 4).rem_euclid(7)).unwrap_or(0);
    format!(
        "{} {} {:02} {:02}:{:02}:{:02} {} UTC",
        DAYS[wd],
        MONTHS[m],
        d,
        rem / 3600,
        (rem / 60) % 60,
        rem % 60,
        y
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// HIGHPART/LOWPART of archive1_lzx's CREATIONTIME; wimlib prints
    /// "Sun Jan 06 06:35:15 2013 UTC".
    #[test]
    fn matches_wimlib_sample() {
        let ft = (0x01CD_EBD7u64 << 32) | 0xFC90_9BCA;
        assert_eq!(format_filetime(ft), "Sun Jan 06 06:35:15 2013 UTC");
    }

    #[test]
    fn zero_is_1601() {
        assert_eq!(format_filetime(0), "Mon Jan 01 00:00:00 1601 UTC");
    }

    #[test]
    fn unix_epoch() {
        assert_eq!(
            format_filetime(116_444_736_000_000_000),
            "Thu Jan 01 00:00:00 1970 UTC"
        );
    }
}
