//! TCP header (no options).

use std::fmt;

/// `tcp.flags`: the low byte of the flags field.
#[derive(Clone, Copy, PartialEq, Eq, Default)]
pub struct Flags(pub u8);

impl Flags {
    pub const FIN: Flags = Flags(0x01);
    pub const SYN: Flags = Flags(0x02);
    pub const RST: Flags = Flags(0x04);
    pub const PSH: Flags = Flags(0x08);
    pub const ACK: Flags = Flags(0x10);

    pub const fn contains(self, other: Flags) -> bool {
        self.0 & other.0 == other.0
    }
    #[must_use]
    pub const fn union(self, other: Flags) -> Flags {
        Flags(self.0 | other.0)
    }
    pub const fn syn(self) -> bool {
        self.contains(Flags::SYN)
    }
    pub const fn ack(self) -> bool {
        self.contains(Flags::ACK)
    }
    pub const fn fin(self) -> bool {
        self.contains(Flags::FIN)
    }
    pub const fn rst(self) -> bool {
        self.contains(Flags::RST)
    }
}

impl std::ops::BitOr for Flags {
    type Output = Flags;
    fn bitor(self, rhs: Flags) -> Flags {
        self.union(rhs)
    }
}

/// Prints the flags the way Wireshark's Info column does: `SYN, ACK`.
impl fmt::Display for Flags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names =
            [(Flags::FIN, "FIN"), (Flags::SYN, "SYN"), (Flags::RST, "RST"), (Flags::PSH, "PSH"), (Flags::ACK, "ACK")];
        let mut first = true;
        for (flag, name) in names {
            if self.contains(flag) {
                if !first {
                    f.write_str(", ")?;
                }
                f.write_str(name)?;
                first = false;
            }
        }
        if first {
            f.write_str("<none>")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Flags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{self}]")
    }
}

/// A TCP segment header; the data is modeled by its length only.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Repr {
    pub src_port: u16,
    pub dst_port: u16,
    pub seq: u32,
    pub ack: u32,
    pub flags: Flags,
    pub window: u16,
    /// Bytes of application data after the header (`tcp.len`).
    pub payload_len: u16,
}

/// Header length on the wire (data offset 5, no options).
pub const HEADER_LEN: usize = 20;
