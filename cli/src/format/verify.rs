//! `wimlib-imagex verify` messages (stdout and stderr) and its progress lines.

/// Chooses the unit wimlib uses for a byte total and returns (name, shift).
/// Observed: totals of 1035 bytes print in bytes, 37 KiB and 1024 KiB in KiB.
/// FIXME(formats): the MiB/GiB thresholds are assumed to follow the same 10x rule.
pub fn unit_for(total: u64) -> (&'static str, u32) {
    if total >= 10 << 30 {
        ("GiB", 30)
    } else if total >= 10 << 20 {
        ("MiB", 20)
    } else if total >= 10 << 10 {
        ("KiB", 10)
    } else {
        ("bytes", 0)
    }
}

/// `\rVerifying file data: D U of T U (P%) done` (no newline; the last one gets one).
pub fn data_progress(done: u64, total: u64) -> String {
    let (unit, shift) = unit_for(total);
    // wimlib prints 0% for an empty total.
    let pct = done.saturating_mul(100).checked_div(total).unwrap_or(0);
    format!(
        "\rVerifying file data: {} {unit} of {} {unit} ({pct}%) done",
        done >> shift,
        total >> shift
    )
}

/// `\rVerifying integrity of "PATH": D U of T U (P%) done`.
pub fn integrity_progress(abs_path: &str, done: u64, total: u64) -> String {
    let (unit, shift) = unit_for(total);
    let pct = done.saturating_mul(100).checked_div(total).unwrap_or(100);
    format!(
        "\rVerifying integrity of \"{abs_path}\": {} {unit} of {} {unit} ({pct}%) done",
        done >> shift,
        total >> shift
    )
}

/// `Verifying metadata for image I of N` (stdout).
pub fn metadata_line(index: u32, count: u32) -> String {
    format!("Verifying metadata for image {index} of {count}\n")
}

/// The stderr warning for a WIM without integrity table.
pub fn no_integrity_warning(path: &str) -> String {
    format!(
        "\r[WARNING] \"{path}\" does not contain integrity information.  Skipping integrity check.\n"
    )
}

/// The stdout hint printed for the first part of a split set verified without --ref.
pub const SPLIT_NOTE: &str =
    "Note: if this WIM file is not standalone, use the --ref option to specify the other parts.\n";

/// Final stdout lines on success.
pub fn success(path: &str) -> String {
    format!("\n\"{path}\" was successfully verified.\n")
}

/// The command line printed to stderr before the exit trailer on failure (after a
/// blank line).
pub fn failure_line(path: &str) -> String {
    format!("ERROR: \"{path}\" failed verification!")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_matches_wimlib_samples() {
        assert_eq!(
            data_progress(32768, 38170),
            "\rVerifying file data: 32 KiB of 37 KiB (85%) done"
        );
        assert_eq!(
            data_progress(6, 9),
            "\rVerifying file data: 6 bytes of 9 bytes (66%) done"
        );
        assert_eq!(
            integrity_progress("/x.wim", 1035, 1035),
            "\rVerifying integrity of \"/x.wim\": 1035 bytes of 1035 bytes (100%) done"
        );
    }
}
