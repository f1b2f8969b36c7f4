//! Events reported by apply and extract: warnings (in wimlib's wording) and progress.

/// One event of an apply or extract.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A warning, worded like wimlib's (without the `[WARNING] ` prefix; may hold
    /// several lines).
    Warning(String),
    /// File data written so far (uncompressed blob bytes) of the total to write.
    Progress {
        /// Bytes done.
        done: u64,
        /// Bytes in all.
        total: u64,
    },
}

/// A sink for [`Event`]s; called from worker threads during the data pass.
pub type EventSink<'a> = &'a (dyn Fn(&Event) + Sync);
