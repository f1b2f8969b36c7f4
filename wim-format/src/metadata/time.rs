//! Windows FILETIME timestamps (100-nanosecond intervals since 1601-01-01 UTC) and the
//! human-readable form `wimlib-imagex info` / `dir --detailed` print
//! (`Sun Jan 06 05:21:31 2013 UTC`: C `asctime` fields with a two-digit day, then `UTC`).

use std::fmt;

/// Seconds between 1601-01-01 and 1970-01-01.
const EPOCH_DIFF_SECS: i64 = 11_644_473_600;
/// FILETIME ticks per second.
const TICKS_PER_SEC: u64 = 10_000_000;

/// A Windows FILETIME value.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Debug)]
pub struct FileTime(pub u64);

impl FileTime {
    /// Builds a FILETIME from the XML `HIGHPART`/`LOWPART` pair.
    pub fn from_parts(high: u32, low: u32) -> Self {
        FileTime((u64::from(high) << 32) | u64::from(low))
    }
    /// The high 32 bits.
    pub fn high(self) -> u32 {
        (self.0 >> 32) as u32
    }
    /// The low 32 bits.
    pub fn low(self) -> u32 {
        self.0 as u32
    }
    /// Whole seconds since the Unix epoch (may be negative).
    pub fn unix_seconds(self) -> i64 {
        // u64::MAX / 1e7 fits easily in i64.
        (self.0 / TICKS_PER_SEC) as i64 - EPOCH_DIFF_SECS
    }
    /// The remaining 100 ns ticks below one second.
    pub fn subsec_ticks(self) -> u32 {
        (self.0 % TICKS_PER_SEC) as u32
    }
    /// From seconds since the Unix epoch; `None` before 1601.
    pub fn from_unix_seconds(secs: i64) -> Option<Self> {
        let s = secs.checked_add(EPOCH_DIFF_SECS)?;
        let s = u64::try_from(s).ok()?;
        s.checked_mul(TICKS_PER_SEC).map(FileTime)
    }
    /// The wimlib-imagex display form, e.g. `Fri Nov 21 07:15:00 2026 UTC`.
    pub fn to_wimlib_string(self) -> String {
        self.to_string()
    }
}

/// Days since 1970-01-01 → (year, month 1-12, day 1-31) in the proleptic Gregorian calendar
/// (Howard Hinnant's civil-from-days algorithm).
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

impl fmt::Display for FileTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
        const MONTHS: [&str; 12] = [
            "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
        ];
        let secs = self.unix_seconds();
        let days = secs.div_euclid(86_400);
        let sod = secs.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        let wd = DAYS[days.rem_euclid(7) as usize];
        let mon = MONTHS[(m as usize).saturating_sub(1) % 12];
        write!(
            f,
            "{wd} {mon} {d:02} {:02}:{:02}:{:02} {y} UTC",
            sod / 3600,
            (sod / 60) % 60,
            sod % 60
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_like_wimlib() {
        // From `wimlib-imagex info 7zip_bit7z_unicode.wim`: HIGHPART 0x01DBF317,
        // LOWPART 0xD62C84D3 → "Sat Jul 12 10:29:24 2025 UTC".
        let t = FileTime::from_parts(0x01DB_F317, 0xD62C_84D3);
        assert_eq!(t.to_wimlib_string(), "Sat Jul 12 10:29:24 2025 UTC");
        assert_eq!(FileTime(0).to_string(), "Mon Jan 01 00:00:00 1601 UTC");
        let u = FileTime::from_unix_seconds(0).unwrap_or_default();
        assert_eq!(u.to_string(), "Thu Jan 01 00:00:00 1970 UTC");
        assert_eq!(u.unix_seconds(), 0);
        assert_eq!(FileTime::from_parts(u.high(), u.low()), u);
    }
}
