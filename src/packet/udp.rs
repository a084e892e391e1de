//! UDP header.

/// A UDP datagram header; the data is modeled by its length only.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Repr {
    pub src_port: u16,
    pub dst_port: u16,
    /// Bytes of application data after the header.
    pub payload_len: u16,
}

/// Header length on the wire.
pub const HEADER_LEN: usize = 8;
