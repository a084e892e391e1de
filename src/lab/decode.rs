//! Reads pcap bytes (lvsim's or tcpdump's) into normalised frames: the fields a kernel
//! diff compares (eth src/dst, ARP op/sender/target, IP src/dst/TTL/protocol, the IPIP
//! inner header, TCP flags, ports and payload length, UDP ports, ICMP type/code) and
//! nothing that varies between runs of a real stack (timestamps, sequence numbers, IP
//! IDs, TCP options, windows).

use std::fmt::Write as _;
use std::net::{Ipv4Addr, SocketAddrV4};

/// The innermost transport header of a frame, for telling connections apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct L4Info {
    pub tcp: bool,
    pub src: SocketAddrV4,
    pub dst: SocketAddrV4,
    /// TCP flags byte (FIN 0x01, SYN 0x02, RST 0x04, PSH 0x08, ACK 0x10).
    pub flags: u8,
    /// Bytes of TCP data (`tcp.len`); 0 for UDP.
    pub len: usize,
}

/// An ICMP error and the transport header it quotes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IcmpInfo {
    pub kind: u8,
    pub code: u8,
    pub quoted: Option<L4Info>,
}

/// One frame as the diff sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Norm {
    pub eth_src: String,
    pub eth_dst: String,
    /// The compared fields in one line, e.g.
    /// `02:00:00:00:01:02 > 02:00:00:00:02:02 ip 203.0.113.10 > 10.0.0.100 ttl 63 tcp 51660 > 80 [S] len 0`.
    pub text: String,
    /// Which conversation it belongs to: ARP between two addresses, a TCP/UDP
    /// connection (its two endpoints, innermost header), or ICMP between two hosts.
    pub flow: String,
    pub l4: Option<L4Info>,
    pub icmp: Option<IcmpInfo>,
    /// When it was captured (`frame.time_epoch`, in nanoseconds). Not compared: it
    /// varies between runs of a real stack.
    pub time_ns: u64,
}

/// Why bytes could not be read as pcap.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError(pub String);

fn mac(b: &[u8]) -> String {
    format!("{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", b[0], b[1], b[2], b[3], b[4], b[5])
}

fn ip4(b: &[u8]) -> Ipv4Addr {
    Ipv4Addr::new(b[0], b[1], b[2], b[3])
}

fn be16(b: &[u8]) -> u16 {
    u16::from_be_bytes([b[0], b[1]])
}

/// tcpdump's flag letters: `[S]`, `[S.]`, `[P.]`, `[F.]`, `[R]`, `[.]`.
pub fn tcp_flags(f: u8) -> String {
    let mut s = String::new();
    for (bit, c) in [(0x02, 'S'), (0x01, 'F'), (0x08, 'P'), (0x04, 'R'), (0x20, 'U')] {
        if f & bit != 0 {
            s.push(c);
        }
    }
    if f & 0x10 != 0 {
        s.push('.');
    }
    if s.is_empty() { "none".into() } else { s }
}

fn pair(a: &str, b: &str) -> String {
    if a <= b { format!("{a}~{b}") } else { format!("{b}~{a}") }
}

/// The quoted packet of an ICMP error: its addresses and ports (first 8 bytes of L4).
fn quoted(p: &[u8]) -> Option<L4Info> {
    if p.len() < 28 || p[0] >> 4 != 4 {
        return None;
    }
    let ihl = usize::from(p[0] & 0x0f) * 4;
    let l4 = p.get(ihl..ihl + 8)?;
    let (src, dst) = (ip4(&p[12..]), ip4(&p[16..]));
    let tcp = match p[9] {
        6 => true,
        17 => false,
        _ => return None,
    };
    Some(L4Info {
        tcp,
        src: SocketAddrV4::new(src, be16(l4)),
        dst: SocketAddrV4::new(dst, be16(&l4[2..])),
        flags: 0,
        len: 0,
    })
}

type Decoded = (String, Option<L4Info>, Option<IcmpInfo>);

/// Decodes an IPv4 packet into `out`; returns the flow key, the innermost L4 header and
/// an ICMP error's details.
fn ipv4(p: &[u8], out: &mut String) -> Option<Decoded> {
    if p.len() < 20 || p[0] >> 4 != 4 {
        return None;
    }
    let ihl = usize::from(p[0] & 0x0f) * 4;
    // The wire length; a capture with a small snap length holds only the headers.
    let wire = usize::from(be16(&p[2..]));
    let total = wire.min(p.len());
    if ihl < 20 || total < ihl {
        return None;
    }
    let frag = be16(&p[6..]);
    let (ttl, proto, src, dst) = (p[8], p[9], ip4(&p[12..]), ip4(&p[16..]));
    let _ = write!(out, "ip {src} > {dst} ttl {ttl}");
    if frag & 0x1fff != 0 || frag & 0x2000 != 0 {
        let _ = write!(out, " frag off {} mf {}", (frag & 0x1fff) * 8, u8::from(frag & 0x2000 != 0));
    }
    let l4 = &p[ihl..total];
    match proto {
        4 => {
            out.push_str(" ipip [");
            let inner = ipv4(l4, out);
            out.push(']');
            inner
        }
        6 if l4.len() >= 20 => {
            let (sp, dp, flags) = (be16(l4), be16(&l4[2..]), l4[13]);
            let doff = usize::from(l4[12] >> 4) * 4;
            let len = wire.saturating_sub(ihl + doff);
            let _ = write!(out, " tcp {sp} > {dp} [{}] len {len}", tcp_flags(flags));
            let (a, b) = (format!("{src}:{sp}"), format!("{dst}:{dp}"));
            let info =
                L4Info { tcp: true, src: SocketAddrV4::new(src, sp), dst: SocketAddrV4::new(dst, dp), flags, len };
            Some((format!("tcp {}", pair(&a, &b)), Some(info), None))
        }
        17 if l4.len() >= 8 => {
            let (sp, dp) = (be16(l4), be16(&l4[2..]));
            let _ = write!(out, " udp {sp} > {dp} len {}", usize::from(be16(&l4[4..])).saturating_sub(8));
            let (a, b) = (format!("{src}:{sp}"), format!("{dst}:{dp}"));
            let info = L4Info {
                tcp: false,
                src: SocketAddrV4::new(src, sp),
                dst: SocketAddrV4::new(dst, dp),
                flags: 0,
                len: 0,
            };
            Some((format!("udp {}", pair(&a, &b)), Some(info), None))
        }
        1 if l4.len() >= 4 => {
            let _ = write!(out, " icmp type {} code {}", l4[0], l4[1]);
            if l4[0] == 3 && l4[1] == 4 && l4.len() >= 8 {
                let _ = write!(out, " mtu {}", be16(&l4[6..]));
            }
            let icmp = IcmpInfo {
                kind: l4[0],
                code: l4[1],
                quoted: if matches!(l4[0], 3 | 11) { l4.get(8..).and_then(quoted) } else { None },
            };
            Some((format!("icmp {}", pair(&src.to_string(), &dst.to_string())), None, Some(icmp)))
        }
        _ => {
            let _ = write!(out, " proto {proto}");
            Some((format!("ip {}", pair(&src.to_string(), &dst.to_string())), None, None))
        }
    }
}

/// Decodes one Ethernet frame.
pub fn frame(b: &[u8]) -> Option<Norm> {
    if b.len() < 14 {
        return None;
    }
    let (dst, src, et) = (mac(&b[0..6]), mac(&b[6..12]), be16(&b[12..]));
    let mut text = format!("{src} > {dst} ");
    let (flow, l4, icmp) = match et {
        0x0806 if b.len() >= 42 => {
            let a = &b[14..];
            let (op, sha, spa, tha, tpa) =
                (be16(&a[6..]), mac(&a[8..14]), ip4(&a[14..]), mac(&a[18..24]), ip4(&a[24..]));
            match op {
                1 => {
                    let _ = write!(text, "arp who-has {tpa} tell {spa} ({sha})");
                    if tha != "00:00:00:00:00:00" {
                        let _ = write!(text, " tha {tha}");
                    }
                }
                2 => {
                    let _ = write!(text, "arp reply {spa} is-at {sha} to {tpa} ({tha})");
                }
                _ => {
                    let _ = write!(text, "arp op {op}");
                }
            }
            (format!("arp {}", pair(&spa.to_string(), &tpa.to_string())), None, None)
        }
        0x0800 => ipv4(&b[14..], &mut text)?,
        0x86dd => return None,
        _ => {
            let _ = write!(text, "ethertype {et:#06x}");
            ("other".to_string(), None, None)
        }
    };
    Some(Norm { eth_src: src, eth_dst: dst, text, flow, l4, icmp, time_ns: 0 })
}

/// Decodes a pcap file (either byte order, µs or ns timestamps); IPv6 frames are
/// skipped (labs turn IPv6 off; a stray one is not part of the comparison).
pub fn pcap(bytes: &[u8]) -> Result<Vec<Norm>, DecodeError> {
    if bytes.len() < 24 {
        return Err(DecodeError(format!("{} bytes: shorter than a pcap header", bytes.len())));
    }
    let magic = u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
    let le = match magic {
        0xa1b2_c3d4 | 0xa1b2_3c4d => true,
        0xd4c3_b2a1 | 0x4d3c_b2a1 => false,
        m => return Err(DecodeError(format!("not a pcap file (magic {m:#010x})"))),
    };
    let sub_ns = if matches!(magic, 0xa1b2_3c4d | 0x4d3c_b2a1) { 1 } else { 1000 };
    let u32_at = |o: usize| {
        let b = [bytes[o], bytes[o + 1], bytes[o + 2], bytes[o + 3]];
        if le { u32::from_le_bytes(b) } else { u32::from_be_bytes(b) }
    };
    let link = u32_at(20);
    if link != 1 {
        return Err(DecodeError(format!("link type {link}, expected Ethernet (1)")));
    }
    let mut out = Vec::new();
    let mut o = 24;
    while o + 16 <= bytes.len() {
        let incl = u32_at(o + 8) as usize;
        let start = o + 16;
        let end = start.checked_add(incl).filter(|&e| e <= bytes.len());
        let Some(end) = end else {
            return Err(DecodeError(format!("record at byte {o} runs past the end")));
        };
        if let Some(mut n) = frame(&bytes[start..end]) {
            n.time_ns = u64::from(u32_at(o)) * 1_000_000_000 + u64::from(u32_at(o + 4)) * sub_ns;
            out.push(n);
        }
        o = end;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::packet::pcap::PcapWriter;

    #[test]
    fn lvsim_frames_decode_as_tcpdump_would_name_them() {
        // lvsim's first DR SYN, emitted as bytes and read back: the fields are those
        // `tcpdump -e -n` shows for the same frame in the kernel lab
        // (`172.16.0.10.47726 > 10.0.0.100.80: Flags [S] ... length 0`), in our order.
        struct C(std::rc::Rc<std::cell::RefCell<PcapWriter<Vec<u8>>>>);
        impl crate::engine::Capture for C {
            fn frame(&mut self, seg: u16, t: crate::sim::SimTime, f: &crate::packet::Frame) {
                if seg == 0 {
                    self.0.borrow_mut().write_frame(t.as_nanos(), f).unwrap();
                }
            }
        }
        let l = crate::scenario::load("dr").unwrap();
        let mut e = l.build().unwrap();
        let w = std::rc::Rc::new(std::cell::RefCell::new(PcapWriter::new(Vec::new()).unwrap()));
        e.set_capture(Box::new(C(w.clone())));
        e.run();
        drop(e);
        let bytes = std::rc::Rc::try_unwrap(w).ok().unwrap().into_inner().into_inner();
        let frames = pcap(&bytes).unwrap();
        let syn = frames.iter().find(|f| f.l4.is_some_and(|l| l.flags == 0x02)).unwrap();
        assert!(syn.text.ends_with("tcp 51660 > 80 [S] len 0"), "{}", syn.text);
        assert!(syn.text.contains("ip 203.0.113.10 > 10.0.0.100 ttl 64"), "{}", syn.text);
        assert_eq!(syn.flow, "tcp 10.0.0.100:80~203.0.113.10:51660");
        let arp = &frames[0];
        assert_eq!(arp.eth_dst, "ff:ff:ff:ff:ff:ff");
        assert!(arp.text.contains("arp who-has 203.0.113.1 tell 203.0.113.10"), "{}", arp.text);
    }

    #[test]
    fn flags_read_like_tcpdump() {
        // tcpdump prints SYN+ACK as "S." and FIN+ACK as "F.", PSH+ACK as "P.".
        assert_eq!(tcp_flags(0x12), "S.");
        assert_eq!(tcp_flags(0x11), "F.");
        assert_eq!(tcp_flags(0x18), "P.");
        assert_eq!(tcp_flags(0x04), "R");
        assert_eq!(tcp_flags(0x10), ".");
    }

    #[test]
    fn truncated_pcap_is_an_error_not_a_panic() {
        assert!(pcap(&[0u8; 10]).is_err());
        let mut b = vec![0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0];
        b.resize(24, 0);
        b[20] = 1;
        b.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 0, 200, 0, 0, 0, 200, 0, 0, 0, 1, 2]);
        assert!(pcap(&b).is_err());
    }
}
