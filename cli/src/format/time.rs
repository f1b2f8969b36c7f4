//! FILETIME → `Sun Jan 06 06:35:15 2013 UTC` (C `%a %b %d %H:%M:%S %Y UTC` of gmtime).

use crate::model::FileTime;

/// Formats a FILETIME the way wimlib-imagex prints timestamps (one implementation, in
/// wim-format's [`wim_format::metadata::FileTime`]).
pub fn format_filetime(ft: FileTime) -> String {
    wim_format::metadata::FileTime(ft).to_wimlib_string()
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
