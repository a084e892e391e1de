//! A classic pcap writer (the libpcap file format, nanosecond variant), little-endian.
//!
//! Written by hand: a 24-byte file header, then per frame a 16-byte record header and the
//! bytes [`emit`] produces. Wireshark, tshark and tcpdump read it as `Ethernet` with
//! nanosecond timestamps.

use super::Frame;
use super::emit::emit;
use std::io::{self, Write};

/// Byte ranges of the file and record headers (all fields little-endian).
mod field {
    pub type Field = core::ops::Range<usize>;

    /// The file header, once at the start.
    pub mod file {
        use super::Field;
        pub const MAGIC: Field = 0..4;
        pub const VERSION_MAJOR: Field = 4..6;
        pub const VERSION_MINOR: Field = 6..8;
        pub const THISZONE: Field = 8..12;
        pub const SIGFIGS: Field = 12..16;
        pub const SNAPLEN: Field = 16..20;
        pub const LINKTYPE: Field = 20..24;
        pub const LEN: usize = 24;
    }

    /// The record header in front of each frame.
    pub mod record {
        use super::Field;
        pub const TS_SEC: Field = 0..4;
        /// Nanoseconds, given the nanosecond magic.
        pub const TS_NSEC: Field = 4..8;
        /// Bytes saved in the file.
        pub const INCL_LEN: Field = 8..12;
        /// Bytes the frame had on the wire.
        pub const ORIG_LEN: Field = 12..16;
        pub const LEN: usize = 16;
    }
}

/// Magic number of a pcap file with nanosecond timestamps.
pub const MAGIC_NSEC: u32 = 0xa1b2_3c4d;
/// Largest frame saved whole; longer frames are cut (`incl_len < orig_len`).
pub const SNAPLEN: u32 = 65535;
/// `LINKTYPE_ETHERNET`.
pub const LINKTYPE_ETHERNET: u32 = 1;

const NSEC_PER_SEC: u64 = 1_000_000_000;

/// Writes frames to a pcap file.
///
/// The buffer a frame is emitted into is reused, so writing does not allocate once it has
/// grown to the largest frame.
pub struct PcapWriter<W: Write> {
    out: W,
    buf: Vec<u8>,
}

impl<W: Write> PcapWriter<W> {
    /// Writes the file header to `out`.
    ///
    /// # Errors
    ///
    /// Any error writing to `out`.
    pub fn new(mut out: W) -> io::Result<Self> {
        use field::file::{
            LEN, LINKTYPE, MAGIC, SIGFIGS, SNAPLEN as SNAPLEN_FIELD, THISZONE, VERSION_MAJOR, VERSION_MINOR,
        };
        let mut h = [0u8; LEN];
        h[MAGIC].copy_from_slice(&MAGIC_NSEC.to_le_bytes());
        h[VERSION_MAJOR].copy_from_slice(&2u16.to_le_bytes());
        h[VERSION_MINOR].copy_from_slice(&4u16.to_le_bytes());
        h[THISZONE].copy_from_slice(&0i32.to_le_bytes());
        h[SIGFIGS].copy_from_slice(&0u32.to_le_bytes());
        h[SNAPLEN_FIELD].copy_from_slice(&SNAPLEN.to_le_bytes());
        h[LINKTYPE].copy_from_slice(&LINKTYPE_ETHERNET.to_le_bytes());
        out.write_all(&h)?;
        Ok(PcapWriter { out, buf: Vec::with_capacity(field::record::LEN + 1514) })
    }

    /// Writes one frame captured at `time_ns` nanoseconds since the epoch of the capture.
    ///
    /// # Errors
    ///
    /// [`io::ErrorKind::InvalidInput`] if the time does not fit pcap's 32-bit seconds
    /// (136 years), and nothing is written; otherwise any error writing to the output.
    pub fn write_frame(&mut self, time_ns: u64, frame: &Frame) -> io::Result<()> {
        use field::record::{INCL_LEN, LEN, ORIG_LEN, TS_NSEC, TS_SEC};
        let secs = u32::try_from(time_ns / NSEC_PER_SEC)
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "time beyond pcap's 32-bit seconds"))?;
        let nsecs = (time_ns % NSEC_PER_SEC) as u32;
        self.buf.clear();
        self.buf.resize(LEN, 0);
        emit(frame, &mut self.buf);
        // An IPv4 frame is under 64 KiB, so this never saturates.
        let orig_len = u32::try_from(self.buf.len() - LEN).unwrap_or(u32::MAX);
        let incl_len = orig_len.min(SNAPLEN);
        self.buf[TS_SEC].copy_from_slice(&secs.to_le_bytes());
        self.buf[TS_NSEC].copy_from_slice(&nsecs.to_le_bytes());
        self.buf[INCL_LEN].copy_from_slice(&incl_len.to_le_bytes());
        self.buf[ORIG_LEN].copy_from_slice(&orig_len.to_le_bytes());
        self.out.write_all(&self.buf[..LEN + incl_len as usize])
    }

    /// Flushes the underlying writer.
    ///
    /// # Errors
    ///
    /// Any error flushing it.
    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    /// The underlying writer (not flushed).
    pub fn into_inner(self) -> W {
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::super::emit::tests::{bytes, ipip_tcp, samples, tcp_syn};
    use super::super::{Frame, L4, Payload, TcpRepr};
    use super::{PcapWriter, SNAPLEN};

    #[test]
    fn file_header_bytes() {
        // The 24 bytes libpcap expects for LE, nanosecond, v2.4, snaplen 65535, Ethernet, spelled out.
        let w = PcapWriter::new(Vec::new()).unwrap();
        #[rustfmt::skip]
        let expected = [
            0x4d, 0x3c, 0xb2, 0xa1, // magic 0xa1b23c4d, little-endian
            0x02, 0x00, 0x04, 0x00, // version 2.4
            0x00, 0x00, 0x00, 0x00, // thiszone
            0x00, 0x00, 0x00, 0x00, // sigfigs
            0xff, 0xff, 0x00, 0x00, // snaplen 65535
            0x01, 0x00, 0x00, 0x00, // linktype 1: Ethernet
        ];
        assert_eq!(w.into_inner(), expected);
    }

    #[test]
    fn record_header_and_bytes() {
        // A record is ts_sec, ts_nsec, incl_len, orig_len (LE) followed by exactly the emitted frame.
        let mut w = PcapWriter::new(Vec::new()).unwrap();
        w.write_frame(3_000_000_042, &tcp_syn()).unwrap();
        w.write_frame(5, &ipip_tcp()).unwrap();
        w.flush().unwrap();
        let out = w.into_inner();
        let rec = &out[24..];
        #[rustfmt::skip]
        let header = [
            0x03, 0x00, 0x00, 0x00, // 3 s
            0x2a, 0x00, 0x00, 0x00, // 42 ns
            0x3c, 0x00, 0x00, 0x00, // incl_len 60
            0x3c, 0x00, 0x00, 0x00, // orig_len 60
        ];
        assert_eq!(rec[..16], header);
        assert_eq!(rec[16..76], bytes(&tcp_syn())[..]);
        let rec2 = &rec[76..];
        assert_eq!(rec2[..8], [0, 0, 0, 0, 5, 0, 0, 0]);
        assert_eq!(rec2[8..16], [0xea, 0x05, 0, 0, 0xea, 0x05, 0, 0], "1514 bytes");
        assert_eq!(rec2[16..], bytes(&ipip_tcp())[..]);
    }

    #[test]
    fn buffer_is_reused() {
        // After the largest frame, the internal buffer's capacity stops changing: no per-frame allocation.
        let mut w = PcapWriter::new(std::io::sink()).unwrap();
        w.write_frame(0, &ipip_tcp()).unwrap();
        let cap = w.buf.capacity();
        let ptr = w.buf.as_ptr();
        for (i, f) in samples().iter().enumerate() {
            w.write_frame(i as u64, f).unwrap();
        }
        assert_eq!((w.buf.capacity(), w.buf.as_ptr()), (cap, ptr));
    }

    #[test]
    fn long_frames_are_cut_at_snaplen() {
        // A frame longer than the snaplen is saved truncated, with orig_len telling its real size.
        let Payload::Ipv4(mut p) = ipip_tcp().payload else { unreachable!() };
        let L4::Tcp(t) = p.l4 else { unreachable!() };
        p.l4 = L4::Tcp(TcpRepr { payload_len: 65535 - 60, ..t });
        let f = Frame { eth: ipip_tcp().eth, payload: Payload::Ipv4(p) };
        let mut w = PcapWriter::new(Vec::new()).unwrap();
        w.write_frame(0, &f).unwrap();
        let out = w.into_inner();
        let incl = u32::from_le_bytes(out[32..36].try_into().unwrap());
        let orig = u32::from_le_bytes(out[36..40].try_into().unwrap());
        assert_eq!((incl, orig), (SNAPLEN, 65535 + 14));
        assert_eq!(out.len(), 24 + 16 + SNAPLEN as usize);
    }

    #[test]
    fn time_beyond_u32_seconds_is_an_error() {
        // pcap cannot store 2^32 seconds; that must fail rather than wrap around.
        let mut w = PcapWriter::new(Vec::new()).unwrap();
        let err = w.write_frame((1u64 << 32) * 1_000_000_000, &tcp_syn()).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
        assert_eq!(w.into_inner().len(), 24, "nothing written");
    }
}
