//! Compares lvsim's run of a scenario with the kernel's run of the same lab, aspect by
//! aspect, normalised so that timing noise does not count:
//!
//! * **frames**: per segment and per conversation (ARP between two addresses, one TCP or
//!   UDP connection by its innermost endpoints, ICMP between two hosts), the sequence of
//!   normalised frames ([`super::decode`]); a frame repeated back to back (a
//!   retransmission) counts once, and conversations may interleave differently;
//! * **served**: which host answered each client connection (the host whose MAC sent the
//!   SYN-ACK or UDP reply to the client's port);
//! * **neigh**: every host's final ARP cache: address, device, MAC, and the state;
//! * **route**: every host's `ip route show`;
//! * **ipvsadm -Ln** and the set of **-Lnc** entries (protocol, state, addresses; not the
//!   countdown);
//! * **errors**: a `run:` or `at:` command the kernel refused (lvsim accepted it).

use super::decode::{self, Norm};
use super::{Observation, Plan};
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// One line of the diff table.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Row {
    pub scenario: String,
    pub aspect: String,
    /// `None`: agree. `Some((lvsim, kernel))`: the first difference, both sides.
    pub differ: Option<(String, String)>,
}

impl Row {
    pub fn agrees(&self) -> bool {
        self.differ.is_none()
    }
}

/// What became of each client connection, read from frames the same way on both sides:
/// the host whose MAC sent the first SYN-ACK (TCP) or reply (UDP) to the client's address
/// and port, among the hosts that run a server; else `!reset` when a RST reached that
/// port, `!icmp T/C` when an ICMP error about it did, `!no answer` otherwise.
pub fn served_from_frames(
    plan: &Plan,
    pcaps: &BTreeMap<String, Vec<u8>>,
    macs: &BTreeMap<String, String>,
) -> BTreeMap<(String, String, u16), String> {
    let servers: Vec<&str> = plan.servers.iter().map(|s| s.host.as_str()).collect();
    let mut out = BTreeMap::new();
    let frames: Vec<Norm> = pcaps.values().filter_map(|b| decode::pcap(b).ok()).flatten().collect();
    for c in &plan.clients {
        let caddrs: Vec<std::net::Ipv4Addr> =
            plan.hosts.iter().find(|h| h.name == c.host).map(|h| h.addrs.clone()).unwrap_or_default();
        for &(_, port) in &c.starts {
            let proto = if c.tcp { "tcp" } else { "udp" };
            let to_client = |l: &decode::L4Info| l.tcp == c.tcp && l.dst.port() == port && caddrs.contains(l.dst.ip());
            let by = frames.iter().find_map(|f| {
                let l = f.l4?;
                let answer = if c.tcp { l.flags & 0x12 == 0x12 } else { true };
                let owner = macs.get(&f.eth_src)?;
                (answer && to_client(&l) && servers.contains(&owner.as_str())).then(|| owner.clone())
            });
            let failed = || {
                frames.iter().find_map(|f| {
                    if f.l4.is_some_and(|l| to_client(&l) && l.flags & 0x04 != 0) {
                        return Some("!reset".to_string());
                    }
                    let icmp = f.icmp?;
                    let quoted = icmp.quoted?;
                    (quoted.tcp == c.tcp && quoted.src.port() == port && caddrs.contains(quoted.src.ip()))
                        .then(|| format!("!icmp {}/{}", icmp.kind, icmp.code))
                })
            };
            let v = by.or_else(failed).unwrap_or_else(|| "!no answer".into());
            out.insert((c.host.clone(), proto.to_string(), port), v);
        }
    }
    out
}

/// Reads a lab's output: `@@@ begin KIND [NAME]` ... `@@@ end` sections.
pub fn parse_output(plan: &Plan, text: &str) -> Result<Observation, String> {
    let mut o = Observation::default();
    let mut lines = text.lines();
    let mut client_logs: Vec<(String, String)> = Vec::new();
    while let Some(l) = lines.next() {
        let Some(head) = l.strip_prefix("@@@ begin ") else { continue };
        let (kind, name) = head.split_once(' ').unwrap_or((head, ""));
        let mut body = String::new();
        for b in lines.by_ref() {
            if b == "@@@ end" {
                break;
            }
            body.push_str(b);
            body.push('\n');
        }
        let name = name.to_string();
        match kind {
            "neigh" => {
                o.neigh.insert(name, body);
            }
            "route" => {
                o.route.insert(name, body);
            }
            "ipvs-ln" => {
                o.ipvs_ln.insert(name, body);
            }
            "ipvs-lnc" => {
                o.ipvs_lnc.insert(name, body);
            }
            "pcap" => {
                let clean: String = body.chars().filter(|c| !c.is_whitespace()).collect();
                let bytes = base64(&clean).map_err(|e| format!("pcap {name}: {e}"))?;
                o.pcaps.insert(name, bytes);
            }
            "client" => client_logs.push((name, body)),
            "at" => {
                // `at T done EPOCH` per command; late if it finished after lvsim's next
                // connection start following T (the kernel saw that start first).
                let t0: f64 = name.parse().unwrap_or(0.0);
                for l in body.lines() {
                    if let ["at", t, "done", e] = l.split_whitespace().collect::<Vec<_>>()[..] {
                        let (Ok(t), Ok(e)) = (t.parse::<f64>(), e.parse::<f64>()) else { continue };
                        let done = e - t0;
                        let next = plan
                            .clients
                            .iter()
                            .flat_map(|c| c.starts.iter().map(|s| s.0))
                            .filter(|&s| s > t)
                            .fold(f64::INFINITY, f64::min);
                        if done > next {
                            o.late.push(format!("at: command due at {t:.3} s finished at {done:.3} s, after the connection start at {next:.3} s"));
                        }
                    }
                }
            }
            "error" => {
                let mut it = body.lines();
                let cmd = it.next().unwrap_or_default().to_string();
                o.errors.push((name, cmd, it.collect::<Vec<_>>().join(" ")));
            }
            _ => {}
        }
    }
    let macs = plan.macs();
    o.conns = served_from_frames(plan, &o.pcaps, &macs);
    o.late.extend(late_closes(&o.pcaps).iter().map(ToString::to_string));
    o.late.extend(late_writes(&o.pcaps).iter().map(ToString::to_string));
    // The agent's log says which starts were late (the kernel may have seen another order).
    for (host, log) in client_logs {
        for line in log.lines() {
            if let ["late", proto, port, secs] = line.split_whitespace().collect::<Vec<_>>()[..] {
                o.late.push(format!("{host} {proto} {port} started {secs} s late"));
            }
        }
    }
    Ok(o)
}

/// `TCP_DELACK_MIN` (`HZ / 25`, include/net/tcp.h): the soonest a delayed ACK goes out.
const DELACK_MIN_NS: u64 = 40_000_000;

/// A connection whose frames the guest's timing changed, not the model ([`late_closes`],
/// [`late_writes`]): who was late, towards whom, and by how much.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Late {
    /// A real server acknowledged its peer's FIN on its own, `after_ms` after it, and
    /// closed later.
    Close { server: std::net::SocketAddrV4, client: std::net::SocketAddrV4, after_ms: u64 },
    /// A client sent its first data `after_ms` after the ACK that completed its handshake.
    Write { client: std::net::SocketAddrV4, server: std::net::SocketAddrV4, after_ms: u64 },
}

impl std::fmt::Display for Late {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Late::Close { server, client, after_ms } => write!(
                f,
                "{server} acknowledged the FIN of {client} {after_ms} ms later, before closing: its application closed late"
            ),
            Late::Write { client, server, after_ms } => write!(
                f,
                "{client} sent its request to {server} {after_ms} ms after its handshake: its application wrote late"
            ),
        }
    }
}

/// Connections whose real server closed late. lvsim's server closes as soon as it reads
/// the client's FIN, before its delayed ACK is due, so its FIN carries that ACK (`[F.]`).
/// On a slow guest the server's application may be scheduled later than that: its
/// delayed-ACK timer fires first, a bare ACK of the FIN at least `TCP_DELACK_MIN` after
/// the FIN, and its own FIN follows. The frames then differ because of the VM's timing,
/// not the model's, so the lab is reported late and not judged, as a late start is.
fn late_closes(pcaps: &BTreeMap<String, Vec<u8>>) -> Vec<Late> {
    use std::collections::BTreeSet;
    let mut out = BTreeSet::new();
    for bytes in pcaps.values() {
        // (sender, receiver) → when the sender's first FIN was captured.
        let mut fin_at = BTreeMap::new();
        for f in decode::pcap(bytes).unwrap_or_default() {
            let Some(l) = f.l4.filter(|l| l.tcp) else { continue };
            if l.flags & 0x01 != 0 {
                fin_at.entry((l.src, l.dst)).or_insert(f.time_ns);
            } else if l.flags == 0x10
                && l.len == 0
                && !fin_at.contains_key(&(l.src, l.dst))
                && let Some(&fin) = fin_at.get(&(l.dst, l.src))
                && f.time_ns.saturating_sub(fin) >= DELACK_MIN_NS
            {
                out.insert(Late::Close { server: l.src, client: l.dst, after_ms: (f.time_ns - fin) / 1_000_000 });
            }
        }
    }
    out.into_iter().collect()
}

/// Connections whose client wrote its request late. lvsim's client writes as soon as
/// `connect()` returns, at the instant of the handshake's last ACK. On a slow guest the
/// client's thread may run much later, and by then another connection may have taught
/// the kernel something (a path MTU from an ICMP error) that changes what this one sends.
/// A first data segment more than [`crate::lab::agent::LATE`] (20 ms) after the client's
/// handshake ACK, after another connection that started only then (its SYN captured
/// after this handshake) had already sent its request, is the VM's timing changing the
/// order of the requests, so the lab is reported late, as a late start is. (The emulated guest often takes 20–30 ms to run a thread; alone that changes nothing.)
fn late_writes(pcaps: &BTreeMap<String, Vec<u8>>) -> Vec<Late> {
    use std::collections::BTreeSet;
    let late_ns = (crate::lab::agent::LATE * 1e9) as u64;
    let mut out = BTreeSet::new();
    for bytes in pcaps.values() {
        // (client, server) → when the client's handshake ACK was captured; removed at its
        // first data.
        // And when each connection's SYN was captured.
        let (mut syn, mut acked, mut syn_at) = (BTreeSet::new(), BTreeMap::new(), BTreeMap::new());
        // Connections whose first request has been captured.
        let mut requested = BTreeSet::new();
        for f in decode::pcap(bytes).unwrap_or_default() {
            let Some(l) = f.l4.filter(|l| l.tcp) else { continue };
            let key = (l.src, l.dst);
            if l.flags == 0x02 {
                syn.insert(key);
                syn_at.entry(key).or_insert(f.time_ns);
            } else if l.flags == 0x10 && l.len == 0 && syn.remove(&key) {
                acked.insert(key, f.time_ns);
            } else if l.len > 0
                && let Some(at) = acked.remove(&key)
            {
                // Another connection that started after this one was established and still
                // sent its request first.
                let overtaken = requested.iter().any(|k| syn_at.get(k).is_some_and(|&t| t > at));
                if f.time_ns.saturating_sub(at) > late_ns && overtaken {
                    out.insert(Late::Write { client: l.src, server: l.dst, after_ms: (f.time_ns - at) / 1_000_000 });
                }
                requested.insert(key);
            }
        }
    }
    out.into_iter().collect()
}

/// Standard base64 (RFC 4648), as coreutils' `base64` writes it.
pub fn base64(s: &str) -> Result<Vec<u8>, String> {
    let val = |c: u8| -> Result<u32, String> {
        Ok(match c {
            b'A'..=b'Z' => u32::from(c - b'A'),
            b'a'..=b'z' => u32::from(c - b'a') + 26,
            b'0'..=b'9' => u32::from(c - b'0') + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return Err(format!("not base64: {:?}", c as char)),
        })
    };
    let b = s.trim_end_matches('=').as_bytes();
    let mut out = Vec::with_capacity(b.len() * 3 / 4);
    for chunk in b.chunks(4) {
        let mut n = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            n |= val(c)? << (18 - 6 * i);
        }
        let bytes = n.to_be_bytes();
        out.extend_from_slice(&bytes[1..chunk.len()]);
    }
    Ok(out)
}

/// Per segment: (conversation, sending MAC) → the frames that host put on the segment in
/// that conversation, in order, with back-to-back repeats collapsed. Keying by sender
/// keeps each host's own order (cause before effect) but not the interleaving of two
/// hosts' frames, which depends on how fast each host runs (on a loaded VM the director
/// may forward the client's ACK before the client's request even arrives; lvsim's hosts
/// take no time).
fn flows(pcaps: &BTreeMap<String, Vec<u8>>) -> BTreeMap<String, BTreeMap<String, Vec<String>>> {
    let mut out = BTreeMap::new();
    for (seg, bytes) in pcaps {
        let mut per: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for f in decode::pcap(bytes).unwrap_or_default() {
            let v = per.entry(format!("{} from {}", f.flow, f.eth_src)).or_default();
            if v.last() != Some(&f.text) {
                v.push(f.text);
            }
        }
        out.insert(seg.clone(), per);
    }
    out
}

fn first_diff(a: &[String], b: &[String]) -> Option<(String, String)> {
    let n = a.len().max(b.len());
    (0..n).find(|&i| a.get(i) != b.get(i)).map(|i| {
        let show = |v: &[String]| v.get(i).map_or_else(|| "(nothing)".to_string(), |s| format!("#{}: {s}", i + 1));
        (show(a), show(b))
    })
}

/// `ip neigh show` lines as (address dev → "lladdr MAC STATE"), sorted.
fn neigh_lines(s: &str) -> Vec<String> {
    let mut v: Vec<String> =
        s.lines().map(|l| l.split_whitespace().collect::<Vec<_>>().join(" ")).filter(|l| !l.is_empty()).collect();
    v.sort();
    v
}

/// `ipvsadm -Lnc` entries without the expire column, sorted.
fn lnc_entries(s: &str) -> Vec<String> {
    let mut v: Vec<String> = s
        .lines()
        .filter(|l| l.starts_with("TCP") || l.starts_with("UDP"))
        .map(|l| {
            let w: Vec<&str> = l.split_whitespace().collect();
            let mut kept = vec![w[0]];
            kept.extend(w.iter().skip(2));
            kept.join(" ")
        })
        .collect();
    v.sort();
    v
}

fn lines(s: &str) -> Vec<String> {
    s.lines().map(|l| l.trim_end().to_string()).filter(|l| !l.is_empty()).collect()
}

fn row(scenario: &str, aspect: String, differ: Option<(String, String)>) -> Row {
    Row { scenario: scenario.to_string(), aspect, differ }
}

/// Compares the two observations; one row per aspect (and per segment/host).
pub fn compare(name: &str, sim: &Observation, kernel: &Observation) -> Vec<Row> {
    let mut rows = Vec::new();
    let errs: Vec<String> = kernel.errors.iter().map(|(h, c, o)| format!("{h}: {c}: {o}")).collect();
    if kernel.errors.iter().any(|(h, _, _)| h == "setup") {
        return vec![row(name, "setup".into(), errs.first().map(|e| ("built".to_string(), format!("not built: {e}"))))];
    }
    rows.push(row(name, "commands".into(), errs.first().map(|e| ("accepted".to_string(), format!("refused: {e}")))));
    rows.push(row(name, "timing".into(), kernel.late.first().map(|l| ("on time".to_string(), l.clone()))));

    let (fs, fk) = (flows(&sim.pcaps), flows(&kernel.pcaps));
    for (seg, s) in &fs {
        let empty = BTreeMap::new();
        let k = fk.get(seg).unwrap_or(&empty);
        let mut keys: Vec<&String> = s.keys().chain(k.keys()).collect();
        keys.sort();
        keys.dedup();
        let d = keys.into_iter().find_map(|key| {
            let (a, b) = (s.get(key).cloned().unwrap_or_default(), k.get(key).cloned().unwrap_or_default());
            first_diff(&a, &b).map(|(x, y)| (format!("{key} {x}"), format!("{key} {y}")))
        });
        rows.push(row(name, format!("frames {seg}"), d));
    }

    let conns =
        |o: &Observation| o.conns.iter().map(|((h, p, port), by)| format!("{h} {p} {port} → {by}")).collect::<Vec<_>>();
    rows.push(row(name, "served".into(), first_diff(&conns(sim), &conns(kernel))));

    for (h, s) in &sim.neigh {
        let k = kernel.neigh.get(h).map(String::as_str).unwrap_or_default();
        rows.push(row(name, format!("neigh {h}"), first_diff(&neigh_lines(s), &neigh_lines(k))));
    }
    for (h, s) in &sim.route {
        let k = kernel.route.get(h).map(String::as_str).unwrap_or_default();
        let (mut a, mut b) = (lines(s), lines(k));
        a.sort();
        b.sort();
        rows.push(row(name, format!("route {h}"), first_diff(&a, &b)));
    }
    for (h, s) in &sim.ipvs_ln {
        let k = kernel.ipvs_ln.get(h).map(String::as_str).unwrap_or_default();
        rows.push(row(name, format!("ipvsadm -Ln {h}"), first_diff(&lines(s), &lines(k))));
    }
    for (h, s) in &sim.ipvs_lnc {
        let k = kernel.ipvs_lnc.get(h).map(String::as_str).unwrap_or_default();
        rows.push(row(name, format!("ipvsadm -Lnc {h}"), first_diff(&lnc_entries(s), &lnc_entries(k))));
    }
    rows
}

/// The table as text: scenario, aspect, agree or the first difference with both sides.
pub fn table(rows: &[Row]) -> String {
    let mut s = String::new();
    let w = rows.iter().map(|r| r.scenario.len()).max().unwrap_or(8).max(8);
    let a = rows.iter().map(|r| r.aspect.len()).max().unwrap_or(6).max(6);
    let _ = writeln!(s, "{:<w$}  {:<a$}  result", "scenario", "aspect");
    for r in rows {
        match &r.differ {
            None => {
                let _ = writeln!(s, "{:<w$}  {:<a$}  agree", r.scenario, r.aspect);
            }
            Some((l, k)) => {
                let _ = writeln!(s, "{:<w$}  {:<a$}  DIFFER", r.scenario, r.aspect);
                let _ = writeln!(s, "{:<w$}  {:<a$}    lvsim:  {l}", "", "");
                let _ = writeln!(s, "{:<w$}  {:<a$}    kernel: {k}", "", "");
            }
        }
    }
    s
}

/// The agreement table for docs/real-lab.md (generated, never typed): one line per
/// scenario with how many aspects agree and which differ. `zh` gives the Chinese header.
pub fn markdown(rows: &[Row], zh: bool) -> String {
    let mut s = String::new();
    if zh {
        s.push_str("| 场景 | 比较项 | 一致 | 不一致的比较项 |\n|---|---:|---:|---|\n");
    } else {
        s.push_str("| scenario | aspects | agree | differing aspects |\n|---|---:|---:|---|\n");
    }
    let mut names: Vec<&str> = rows.iter().map(|r| r.scenario.as_str()).collect();
    names.dedup();
    let (mut all, mut ok) = (0, 0);
    for n in &names {
        let mine: Vec<&Row> = rows.iter().filter(|r| r.scenario == *n).collect();
        let agree = mine.iter().filter(|r| r.agrees()).count();
        let differ: Vec<String> = mine.iter().filter(|r| !r.agrees()).map(|r| format!("`{}`", r.aspect)).collect();
        all += mine.len();
        ok += agree;
        let _ = writeln!(s, "| `{n}` | {} | {agree} | {} |", mine.len(), differ.join(", "));
    }
    let full = names.iter().filter(|n| rows.iter().filter(|r| r.scenario == **n).all(Row::agrees)).count();
    if zh {
        let _ = writeln!(s, "\n{} 个场景中 {full} 个完全一致；{all} 个比较项中 {ok} 个一致。", names.len());
    } else {
        let _ =
            writeln!(s, "\n{full} of {} scenarios agree on every aspect; {ok} of {all} aspects agree.", names.len());
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_round_trips_coreutils_output() {
        // `printf 'lvsim\n' | base64` prints bGZzaW0K... for "lvsim\n": bHZzaW0K.
        assert_eq!(base64("bHZzaW0K").unwrap(), b"lvsim\n");
        assert_eq!(base64("YQ==").unwrap(), b"a");
        assert_eq!(base64("YWI=").unwrap(), b"ab");
        assert!(base64("a*").is_err());
    }

    #[test]
    fn lnc_ignores_the_countdown() {
        // Two listings a second apart differ only in the expire column: same entries.
        let a = "IPVS connection entries\npro expire state       source             virtual            destination\nTCP 01:59  FIN_WAIT    1.2.3.4:5 10.0.0.100:80 10.0.0.11:80\n";
        let b = a.replace("01:59", "01:58");
        assert_eq!(lnc_entries(a), lnc_entries(&b));
        assert_eq!(lnc_entries(a), vec!["TCP FIN_WAIT 1.2.3.4:5 10.0.0.100:80 10.0.0.11:80".to_string()]);
    }

    #[test]
    fn first_difference_names_the_position() {
        let a = vec!["x".to_string(), "y".to_string()];
        let b = vec!["x".to_string()];
        assert_eq!(first_diff(&a, &b), Some(("#2: y".into(), "(nothing)".into())));
        assert_eq!(first_diff(&a, &a), None);
    }

    /// A TCP segment between two addresses, as the lab's captures hold them.
    fn tcp_frame(
        src: std::net::Ipv4Addr,
        dst: std::net::Ipv4Addr,
        ports: (u16, u16),
        flags: crate::packet::TcpFlags,
        payload_len: u16,
    ) -> crate::packet::Frame {
        use crate::packet::ethernet::EtherType;
        use crate::packet::{EthRepr, Frame, IpProtocol, Ipv4Repr, L4, MacAddr, Packet, TcpRepr};
        Frame {
            eth: EthRepr {
                src: MacAddr([2, 0, 0, 0, 0, 1]),
                dst: MacAddr([2, 0, 0, 0, 0, 2]),
                ethertype: EtherType::Ipv4,
            },
            payload: crate::packet::Payload::Ipv4(Packet {
                tunnel: None,
                ip: Ipv4Repr { src, dst, protocol: IpProtocol::Tcp, ttl: 64, ident: 0, dont_frag: true, tos: 0 },
                l4: L4::Tcp(TcpRepr {
                    src_port: ports.0,
                    dst_port: ports.1,
                    seq: 1,
                    ack: 1,
                    flags,
                    window: 502,
                    payload_len,
                }),
            }),
        }
    }

    /// A client's FIN, then the server's frames, as a pcap: `server` lists
    /// (milliseconds after the FIN, TCP flags) of what the server sends back.
    fn fin_then(server: &[(u64, crate::packet::TcpFlags)]) -> BTreeMap<String, Vec<u8>> {
        use crate::packet::TcpFlags;
        let (c, rs) = ("172.16.0.10".parse().unwrap(), "10.0.0.11".parse().unwrap());
        let frame = |src, dst, sport, dport, flags| tcp_frame(src, dst, (sport, dport), flags, 0);
        let mut w = crate::packet::pcap::PcapWriter::new(Vec::new()).unwrap();
        let t0 = 5_000_000_000;
        w.write_frame(t0, &frame(c, rs, 51660, 80, TcpFlags::FIN.union(TcpFlags::ACK))).unwrap();
        for &(ms, flags) in server {
            w.write_frame(t0 + ms * 1_000_000, &frame(rs, c, 80, 51660, flags)).unwrap();
        }
        BTreeMap::from([("lan".to_string(), w.into_inner())])
    }

    // tun-mtu on a loaded guest: the server ACKed the client's FIN on its own and sent its
    // FIN later, where lvsim (and the guest on other runs) sends one [F.]. A bare ACK at
    // least TCP_DELACK_MIN (HZ/25 = 40 ms, include/net/tcp.h) after the FIN can only be
    // the delayed-ACK timer firing before the application closed, so the lab is late; a
    // quick bare ACK (2 ms) is the stack's own choice and stays a difference to judge, and
    // [F.] at once is on time.
    #[test]
    fn a_delayed_ack_before_the_servers_fin_marks_the_lab_late() {
        use crate::packet::TcpFlags;
        let (ack, fin) = (TcpFlags::ACK, TcpFlags::FIN.union(TcpFlags::ACK));
        let late = late_closes(&fin_then(&[(41, ack), (60, fin)]));
        let (server, client) = ("10.0.0.11:80".parse().unwrap(), "172.16.0.10:51660".parse().unwrap());
        assert_eq!(late, vec![Late::Close { server, client, after_ms: 41 }]);
        assert!(late_closes(&fin_then(&[(2, ack), (60, fin)])).is_empty());
        assert!(late_closes(&fin_then(&[(0, fin)])).is_empty());
        // Its ACK after its own FIN (the last ACK of a server that closed first) is not late.
        assert!(late_closes(&fin_then(&[(0, fin), (50, ack)])).is_empty());
    }

    // tun-mtu on a loaded guest (CI, 2026-12-03): the first connection's client ACKed the
    // SYN-ACK at 0.093 s and wrote its request at 0.445 s, after the second connection had
    // learnt the path MTU, so it sent 1440 bytes where lvsim's client, writing at once,
    // sends 1460. More than 20 ms (the agent's LATE) between the handshake ACK and the
    // first data, after another connection that started only after this handshake sent its
    // request, is the client's thread running late and the requests' order changed; a late
    // write alone changes nothing.
    #[test]
    fn a_request_written_long_after_the_handshake_marks_the_lab_late() {
        use crate::packet::TcpFlags;
        let (c, vip) = ("203.0.113.10".parse().unwrap(), "10.0.0.100".parse().unwrap());
        let pcap = |write_ms: u64, other_first: bool| {
            let frame = |src, dst, sport, dport, flags, len| tcp_frame(src, dst, (sport, dport), flags, len);
            let mut w = crate::packet::pcap::PcapWriter::new(Vec::new()).unwrap();
            let ms = |m: u64| 1_000_000_000 + m * 1_000_000;
            w.write_frame(ms(0), &frame(c, vip, 51660, 80, TcpFlags::SYN, 0)).unwrap();
            w.write_frame(ms(50), &frame(vip, c, 80, 51660, TcpFlags::SYN.union(TcpFlags::ACK), 0)).unwrap();
            w.write_frame(ms(60), &frame(c, vip, 51660, 80, TcpFlags::ACK, 0)).unwrap();
            // Another connection, started just after: its request comes before this one's.
            w.write_frame(ms(65), &frame(c, vip, 51661, 80, TcpFlags::SYN, 0)).unwrap();
            w.write_frame(ms(68), &frame(vip, c, 80, 51661, TcpFlags::SYN.union(TcpFlags::ACK), 0)).unwrap();
            w.write_frame(ms(70), &frame(c, vip, 51661, 80, TcpFlags::ACK, 0)).unwrap();
            if other_first {
                w.write_frame(ms(70), &frame(c, vip, 51661, 80, TcpFlags::PSH.union(TcpFlags::ACK), 1460)).unwrap();
            }
            let push = TcpFlags::PSH.union(TcpFlags::ACK);
            w.write_frame(ms(60 + write_ms), &frame(c, vip, 51660, 80, push, 1440)).unwrap();
            BTreeMap::from([("wan".to_string(), w.into_inner())])
        };
        let (client, server) = ("203.0.113.10:51660".parse().unwrap(), "10.0.0.100:80".parse().unwrap());
        assert_eq!(late_writes(&pcap(352, true)), vec![Late::Write { client, server, after_ms: 352 }]);
        // Late, but no other request came first: the order is lvsim's (the recorded runs wrote
        // 20–30 ms after the handshake and agree).
        assert!(late_writes(&pcap(352, false)).is_empty());
        assert!(late_writes(&pcap(5, false)).is_empty());
    }
}
