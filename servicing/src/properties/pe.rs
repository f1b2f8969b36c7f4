//! The one PE header field image properties need: the COFF `Machine` of
//! `Windows\System32\kernel32.dll`, mapped to a Windows `PROCESSOR_ARCHITECTURE` code.
//!
//! Layout: `MZ` at 0; `e_lfanew` (u32) at 0x3C points at `PE\0\0`, followed by the COFF
//! header whose first field is the u16 `Machine`.

use std::fmt;

/// Machine codes (`IMAGE_FILE_MACHINE_*`) we recognise.
pub mod machine {
    /// Intel 386.
    pub const I386: u16 = 0x014c;
    /// ARM little-endian.
    pub const ARM: u16 = 0x01c0;
    /// ARM Thumb-2 (ARMv7, "ARMNT").
    pub const ARMNT: u16 = 0x01c4;
    /// Intel Itanium.
    pub const IA64: u16 = 0x0200;
    /// x64.
    pub const AMD64: u16 = 0x8664;
    /// ARM64.
    pub const ARM64: u16 = 0xaa64;
}

/// Why a PE header could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PeError {
    /// No `MZ` signature.
    NoMz,
    /// `e_lfanew` points outside the data or at no `PE\0\0` signature.
    NoPe {
        /// The `e_lfanew` value.
        e_lfanew: u32,
    },
}

impl fmt::Display for PeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PeError::NoMz => f.write_str("no MZ signature"),
            PeError::NoPe { e_lfanew } => {
                write!(f, "no PE signature at e_lfanew {e_lfanew:#x}")
            }
        }
    }
}

impl std::error::Error for PeError {}

/// How many leading bytes of a DLL [`pe_machine`] may need (callers read this prefix only).
pub const PE_PREFIX_LIMIT: usize = 1 << 20;

/// The COFF `Machine` field of a PE file, given (a prefix of) its bytes.
pub fn pe_machine(data: &[u8]) -> Result<u16, PeError> {
    if data.get(..2) != Some(b"MZ") {
        return Err(PeError::NoMz);
    }
    let e_lfanew = data
        .get(0x3c..0x40)
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .ok_or(PeError::NoPe { e_lfanew: 0 })?;
    let at = usize::try_from(e_lfanew).map_err(|_| PeError::NoPe { e_lfanew })?;
    let hdr = at
        .checked_add(6)
        .and_then(|end| data.get(at..end))
        .ok_or(PeError::NoPe { e_lfanew })?;
    if &hdr[..4] != b"PE\0\0" {
        return Err(PeError::NoPe { e_lfanew });
    }
    Ok(u16::from_le_bytes([hdr[4], hdr[5]]))
}

/// Maps a PE machine code to the `PROCESSOR_ARCHITECTURE` code written as `WINDOWS/ARCH`:
/// 0 x86, 5 ARM, 6 IA64, 9 AMD64, 12 ARM64; `None` for anything else.
pub fn arch_of_machine(m: u16) -> Option<u32> {
    match m {
        machine::I386 => Some(0),
        machine::ARM | machine::ARMNT => Some(5),
        machine::IA64 => Some(6),
        machine::AMD64 => Some(9),
        machine::ARM64 => Some(12),
        _ => None,
    }
}

/// A display name of an `ARCH` code, as wimlib-imagex prints it.
pub fn arch_name(arch: u32) -> &'static str {
    match arch {
        0 => "x86",
        5 => "ARM",
        6 => "ia64",
        9 => "x86_64",
        12 => "ARM64",
        _ => "unknown",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stub(machine: u16, lfanew: u32) -> Vec<u8> {
        let mut b = vec![0u8; 512];
        b[..2].copy_from_slice(b"MZ");
        b[0x3c..0x40].copy_from_slice(&lfanew.to_le_bytes());
        let at = lfanew as usize;
        b[at..at + 4].copy_from_slice(b"PE\0\0");
        b[at + 4..at + 6].copy_from_slice(&machine.to_le_bytes());
        b
    }

    #[test]
    fn machines_map_to_arch_codes() {
        for (m, a) in [
            (0x14c, 0),
            (0x8664, 9),
            (0xaa64, 12),
            (0x1c0, 5),
            (0x1c4, 5),
            (0x200, 6),
        ] {
            assert_eq!(pe_machine(&stub(m, 0x80)), Ok(m));
            assert_eq!(arch_of_machine(m), Some(a));
        }
        assert_eq!(arch_of_machine(0x5064), None);
    }

    #[test]
    fn hostile_headers_are_errors() {
        assert_eq!(pe_machine(b"MZ"), Err(PeError::NoPe { e_lfanew: 0 }));
        assert_eq!(pe_machine(b"ZM"), Err(PeError::NoMz));
        let mut b = stub(0x14c, 0x80);
        b[0x3c..0x40].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(pe_machine(&b), Err(PeError::NoPe { e_lfanew: u32::MAX }));
        b[0x3c..0x40].copy_from_slice(&510u32.to_le_bytes());
        assert!(pe_machine(&b).is_err());
    }
}
