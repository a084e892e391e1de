//! Sockets and applications: TCP and UDP clients and servers, ICMP echo and errors.

use super::{Engine, Event, Outcome, trace};
use crate::ipvs::Proto;
use crate::packet::{IcmpRepr, IpProtocol, Ipv4Repr, L4, Packet, TcpFlags, TcpRepr, UdpRepr, icmp::unreach};
use crate::sim::SimDuration;
use crate::stack::DropReason;
use crate::topology::{HostId, IfIndex};
use crate::trace::{Action, Stage, Subject};
use crate::workload::{
    App, AppId, DEFAULT_MSS, EPHEMERAL_HIGH, EPHEMERAL_LOW, TCP_RETRIES2, TCP_RTO_INIT_NS, TCP_RTO_MAX_NS,
    TCP_RTO_MIN_NS, TCP_SYN_RETRIES, Tcb, TcpState,
};
use rand::Rng;
use std::net::Ipv4Addr;

const TCP: u8 = 6;

fn ip_header(src: Ipv4Addr, dst: Ipv4Addr, protocol: IpProtocol, ident: u16) -> Ipv4Repr {
    Ipv4Repr { src, dst, protocol, ttl: crate::packet::ipv4::DEFAULT_TTL, ident, dont_frag: true, tos: 0 }
}

/// How a client connection ended badly.
#[derive(Clone, Copy, Debug)]
enum Failure {
    Refused,
    Unreachable,
    TimedOut,
}

impl Engine {
    // ----- TCP -----

    fn tcb_alloc(&mut self, t: Tcb) -> u32 {
        let id = if let Some(s) = self.tcb_free.pop() {
            s
        } else {
            self.tcbs.push(None);
            self.tcb_generations.push(0);
            (self.tcbs.len() - 1) as u32
        };
        self.tcb_generations[id as usize] += 1;
        self.tcbs[id as usize] = Some(Tcb { generation: self.tcb_generations[id as usize], ..t });
        self.sockets[t.host as usize].tcp.insert((TCP, t.local.0, t.local.1, t.remote.0, t.remote.1), id);
        id
    }

    pub(super) fn tcb_free_slot(&mut self, id: u32) {
        if let Some(t) = self.tcbs[id as usize].take() {
            self.sockets[t.host as usize].tcp.remove(&(TCP, t.local.0, t.local.1, t.remote.0, t.remote.1));
            self.tcb_generations[id as usize] += 1;
            self.tcb_free.push(id);
        }
    }

    /// Sends a segment from a TCB.
    pub(super) fn tcp_send(&mut self, id: u32, flags: TcpFlags, len: u16) -> bool {
        let t = self.tcbs[id as usize].expect("live tcb");
        let h = t.host;
        let ident = self.hosts[h as usize].next_ident();
        let seg = TcpRepr {
            src_port: t.local.1,
            dst_port: t.remote.1,
            seq: if flags.syn() { t.iss } else { t.snd_nxt },
            ack: if flags.ack() { t.rcv_nxt } else { 0 },
            flags,
            window: 64240,
            payload_len: len,
        };
        let tcb = self.tcbs[id as usize].as_mut().expect("live tcb");
        let advance = u32::from(len) + u32::from(flags.syn()) + u32::from(flags.fin());
        if flags.syn() {
            tcb.snd_nxt = tcb.iss.wrapping_add(1);
        } else {
            tcb.snd_nxt = tcb.snd_nxt.wrapping_add(advance);
        }
        let pkt =
            Packet { tunnel: None, ip: ip_header(t.local.0, t.remote.0, IpProtocol::Tcp, ident), l4: L4::Tcp(seg) };
        self.local_out(h, pkt)
    }

    /// Sends `len` bytes in segments of at most one MSS; the last one is pushed (PSH).
    pub(super) fn tcp_send_data(&mut self, id: u32, len: u16) {
        let mss = self.tcbs[id as usize].expect("live tcb").mss;
        let mut left = len;
        while left > mss {
            self.tcp_send(id, TcpFlags::ACK, mss);
            left -= mss;
        }
        self.tcp_send(id, TcpFlags::PSH | TcpFlags::ACK, left);
    }

    /// Sends (or resends) the client's request from its first byte and arms the
    /// retransmission timer (`TCP_RTO_MIN`, doubling).
    fn send_request(&mut self, id: u32, len: u16, again: bool) {
        let tcb = self.tcbs[id as usize].as_mut().expect("live tcb");
        if again {
            tcb.snd_nxt = tcb.req_seq;
        } else {
            tcb.req_seq = tcb.snd_nxt;
        }
        tcb.generation += 1;
        let (generation, retries) = (tcb.generation, tcb.retries);
        self.tcp_send_data(id, len);
        let rto = (TCP_RTO_MIN_NS << retries).min(TCP_RTO_MAX_NS);
        self.schedule_in(SimDuration::from_nanos(rto), Event::TcpRetrans { tcb: id, generation });
    }

    fn reply_rst(&mut self, h: HostId, pkt: &Packet, t: &TcpRepr) {
        if t.flags.rst() {
            return;
        }
        let ident = self.hosts[h as usize].next_ident();
        let seq_len = u32::from(t.payload_len) + u32::from(t.flags.syn()) + u32::from(t.flags.fin());
        let rst = TcpRepr {
            src_port: t.dst_port,
            dst_port: t.src_port,
            seq: if t.flags.ack() { t.ack } else { 0 },
            ack: t.seq.wrapping_add(seq_len),
            flags: TcpFlags::RST | TcpFlags::ACK,
            window: 0,
            payload_len: 0,
        };
        let p =
            Packet { tunnel: None, ip: ip_header(pkt.ip.dst, pkt.ip.src, IpProtocol::Tcp, ident), l4: L4::Tcp(rst) };
        self.local_out(h, p);
    }

    pub(super) fn tcp_rcv(&mut self, h: HostId, iif: IfIndex, pkt: &Packet) -> Outcome {
        let L4::Tcp(seg) = pkt.l4 else { unreachable!("tcp_rcv gets TCP") };
        let key = (TCP, pkt.ip.dst, seg.dst_port, pkt.ip.src, seg.src_port);
        let Some(&id) = self.sockets[h as usize].tcp.get(&key) else {
            if seg.flags.syn()
                && !seg.flags.ack()
                && let Some(app) = self.sockets[h as usize].listener(Proto::Tcp, seg.dst_port)
            {
                let iss = self.hosts_rng_u32(h);
                let t = Tcb {
                    host: h,
                    app,
                    local: (pkt.ip.dst, seg.dst_port),
                    remote: (pkt.ip.src, seg.src_port),
                    state: TcpState::SynRecv,
                    iss,
                    snd_nxt: iss,
                    rcv_nxt: seg.seq.wrapping_add(1),
                    started: self.now(),
                    retries: 0,
                    generation: 0,
                    mss: DEFAULT_MSS,
                    req_seq: 0,
                    is_client: false,
                    req_len: 0,
                    left: 0,
                };
                let id = self.tcb_alloc(t);
                trace!(
                    self,
                    h,
                    Some(iif),
                    Stage::Socket,
                    Action::Deliver,
                    Subject::packet(pkt),
                    "tcp: SYN for listener on port {}: new socket {}:{} ⇄ {}:{} SYN_RECV, answering SYN-ACK",
                    seg.dst_port,
                    pkt.ip.dst,
                    seg.dst_port,
                    pkt.ip.src,
                    seg.src_port
                );
                self.tcp_send(id, TcpFlags::SYN | TcpFlags::ACK, 0);
                return Outcome::Delivered;
            }
            trace!(
                self,
                h,
                Some(iif),
                Stage::Socket,
                Action::Drop(DropReason::NoSocket),
                Subject::packet(pkt),
                "tcp: no socket for {}:{}{}",
                pkt.ip.dst,
                seg.dst_port,
                if seg.flags.rst() { "" } else { ": answering RST" }
            );
            self.reply_rst(h, pkt, &seg);
            return Outcome::Dropped(DropReason::NoSocket);
        };
        let t = self.tcbs[id as usize].expect("live tcb");
        if seg.flags.rst() {
            trace!(
                self,
                h,
                Some(iif),
                Stage::Socket,
                Action::Deliver,
                Subject::packet(pkt),
                "tcp: connection reset by {}:{}",
                pkt.ip.src,
                seg.src_port
            );
            if t.is_client {
                self.client_failed(id, Failure::Refused);
            } else {
                self.tcb_free_slot(id);
            }
            return Outcome::Delivered;
        }
        let tcb = self.tcbs[id as usize].as_mut().expect("live tcb");
        let data_len = u32::from(seg.payload_len);
        match (t.state, t.is_client) {
            (TcpState::SynSent, true) if seg.flags.syn() && seg.flags.ack() => {
                tcb.rcv_nxt = seg.seq.wrapping_add(1);
                tcb.state = TcpState::Established;
                tcb.generation += 1;
                let request = t.req_len;
                trace!(
                    self,
                    h,
                    Some(iif),
                    Stage::Socket,
                    Action::Deliver,
                    Subject::packet(pkt),
                    "tcp: SYN-ACK: connection ESTABLISHED after {}; sending ACK and a {request}-byte request",
                    self.now().since(t.started)
                );
                self.tcp_send(id, TcpFlags::ACK, 0);
                self.send_request(id, request, false);
            }
            (TcpState::Established, true) if data_len > 0 => {
                tcb.rcv_nxt = tcb.rcv_nxt.wrapping_add(data_len + u32::from(seg.flags.fin()));
                // The server pushes (PSH) the last segment of its response.
                if seg.flags.contains(TcpFlags::PSH) && t.left > 0 {
                    // Keep-alive: the next request on the same connection.
                    tcb.left -= 1;
                    tcb.retries = 0;
                    trace!(
                        self,
                        h,
                        Some(iif),
                        Stage::Socket,
                        Action::Deliver,
                        Subject::packet(pkt),
                        "tcp: response received; sending the next request ({} more after it)",
                        t.left - 1
                    );
                    self.send_request(id, t.req_len, false);
                } else if seg.flags.contains(TcpFlags::PSH) {
                    tcb.state = TcpState::FinWait1;
                    let latency = self.now().since(t.started);
                    let stats = self.client_stats(t.app);
                    let cs = &mut self.metrics.clients[stats];
                    cs.completed += 1;
                    cs.latency.record(latency.as_nanos());
                    trace!(
                        self,
                        h,
                        Some(iif),
                        Stage::Socket,
                        Action::Deliver,
                        Subject::packet(pkt),
                        "tcp: response received {latency} after the SYN; closing (FIN)"
                    );
                    self.tcp_send(id, TcpFlags::FIN | TcpFlags::ACK, 0);
                    self.client_finished(t.app);
                } else {
                    trace!(
                        self,
                        h,
                        Some(iif),
                        Stage::Socket,
                        Action::Deliver,
                        Subject::packet(pkt),
                        "tcp: {data_len} bytes of the response"
                    );
                }
            }
            (TcpState::FinWait1, true) if seg.flags.fin() => {
                tcb.rcv_nxt = seg.seq.wrapping_add(u32::from(seg.payload_len) + 1);
                trace!(
                    self,
                    h,
                    Some(iif),
                    Stage::Socket,
                    Action::Deliver,
                    Subject::packet(pkt),
                    "tcp: server's FIN: last ACK, socket to TIME_WAIT (not modeled further)"
                );
                self.tcp_send(id, TcpFlags::ACK, 0);
                self.tcb_free_slot(id);
            }
            (TcpState::SynRecv | TcpState::Established, false) if data_len > 0 => {
                tcb.state = TcpState::Established;
                tcb.rcv_nxt = seg.seq.wrapping_add(data_len);
                if self.server_has_service(t.app) {
                    return self.tcp_request_queued(h, iif, pkt, id);
                }
                let (response, stats) = self.server_response(t.app);
                self.metrics.served[stats] += 1;
                trace!(
                    self,
                    h,
                    Some(iif),
                    Stage::Socket,
                    Action::Deliver,
                    Subject::packet(pkt),
                    "tcp: {data_len}-byte request for the server on port {}: sending a {response}-byte response",
                    t.local.1
                );
                self.tcp_send_data(id, response);
            }
            (TcpState::SynRecv, false) if seg.flags.ack() && !seg.flags.fin() => {
                tcb.state = TcpState::Established;
                trace!(
                    self,
                    h,
                    Some(iif),
                    Stage::Socket,
                    Action::Deliver,
                    Subject::packet(pkt),
                    "tcp: handshake ACK: ESTABLISHED"
                );
            }
            (TcpState::Established | TcpState::SynRecv, false) if seg.flags.fin() => {
                tcb.rcv_nxt = seg.seq.wrapping_add(1);
                tcb.state = TcpState::LastAck;
                trace!(
                    self,
                    h,
                    Some(iif),
                    Stage::Socket,
                    Action::Deliver,
                    Subject::packet(pkt),
                    "tcp: client's FIN: closing too (FIN, LAST_ACK)"
                );
                self.tcp_send(id, TcpFlags::FIN | TcpFlags::ACK, 0);
            }
            (TcpState::LastAck, false) if seg.flags.ack() => {
                trace!(
                    self,
                    h,
                    Some(iif),
                    Stage::Socket,
                    Action::Deliver,
                    Subject::packet(pkt),
                    "tcp: last ACK: socket closed"
                );
                self.tcb_free_slot(id);
            }
            (TcpState::Established, _) if data_len == 0 && !seg.flags.fin() => {
                trace!(self, h, Some(iif), Stage::Socket, Action::Deliver, Subject::packet(pkt), "tcp: ACK");
            }
            _ => {
                trace!(
                    self,
                    h,
                    Some(iif),
                    Stage::Socket,
                    Action::Drop(DropReason::TcpState),
                    Subject::packet(pkt),
                    "tcp: segment [{}] does not fit socket state {:?}: ignored",
                    seg.flags,
                    t.state
                );
                return Outcome::Dropped(DropReason::TcpState);
            }
        }
        Outcome::Delivered
    }

    fn hosts_rng_u32(&mut self, h: HostId) -> u32 {
        self.host_rngs[h as usize].next_u32()
    }

    fn client_stats(&self, app: AppId) -> usize {
        match &self.apps[app as usize] {
            App::Client(c) => c.stats,
            App::Server(_) => unreachable!("servers have no client stats"),
        }
    }

    fn client_failed(&mut self, id: u32, why: Failure) {
        let t = self.tcbs[id as usize].expect("live tcb");
        let s = self.client_stats(t.app);
        let cs = &mut self.metrics.clients[s];
        match why {
            Failure::Refused => cs.refused += 1,
            Failure::Unreachable => cs.unreachable += 1,
            Failure::TimedOut => cs.timed_out += 1,
        }
        self.tcb_free_slot(id);
        self.client_finished(t.app);
    }

    pub(super) fn tcp_retrans(&mut self, id: u32, generation: u32) {
        let Some(t) = self.tcbs[id as usize] else { return };
        if t.generation != generation {
            return;
        }
        match t.state {
            TcpState::SynSent => {
                if t.retries >= TCP_SYN_RETRIES {
                    trace!(
                        self,
                        t.host,
                        None,
                        Stage::Socket,
                        Action::Info,
                        None,
                        "tcp: connect to {}:{} timed out after {} SYN retransmissions",
                        t.remote.0,
                        t.remote.1,
                        t.retries
                    );
                    self.client_failed(id, Failure::TimedOut);
                    return;
                }
                let tcb = self.tcbs[id as usize].as_mut().expect("live");
                tcb.retries += 1;
                let retries = tcb.retries;
                trace!(
                    self,
                    t.host,
                    None,
                    Stage::Socket,
                    Action::Info,
                    None,
                    "tcp: no SYN-ACK from {}:{}: retransmitting SYN (try {})",
                    t.remote.0,
                    t.remote.1,
                    retries + 1
                );
                self.tcp_send(id, TcpFlags::SYN, 0);
                self.schedule_in(
                    SimDuration::from_nanos(TCP_RTO_INIT_NS << retries),
                    Event::TcpRetrans { tcb: id, generation },
                );
            }
            TcpState::Established if t.is_client => {
                if t.retries >= TCP_RETRIES2 {
                    trace!(
                        self,
                        t.host,
                        None,
                        Stage::Socket,
                        Action::Info,
                        None,
                        "tcp: no answer from {}:{} after {} retransmissions of the request: connection timed out",
                        t.remote.0,
                        t.remote.1,
                        t.retries
                    );
                    self.client_failed(id, Failure::TimedOut);
                    return;
                }
                self.tcbs[id as usize].as_mut().expect("live").retries += 1;
                let request = t.req_len;
                trace!(
                    self,
                    t.host,
                    None,
                    Stage::Socket,
                    Action::Info,
                    None,
                    "tcp: no answer to the request from {}:{}: retransmitting it (try {}, mss {})",
                    t.remote.0,
                    t.remote.1,
                    t.retries + 2,
                    t.mss
                );
                self.send_request(id, request, true);
            }
            _ => {}
        }
    }

    // ----- UDP -----

    pub(super) fn udp_rcv(&mut self, h: HostId, iif: IfIndex, pkt: &Packet) -> Outcome {
        let L4::Udp(u) = pkt.l4 else { unreachable!("udp_rcv gets UDP") };
        if let Some(app) = self.sockets[h as usize].listener(Proto::Udp, u.dst_port) {
            if self.server_has_service(app) {
                return self.udp_request_queued(h, iif, pkt, app);
            }
            let (response, stats) = self.server_response(app);
            self.metrics.served[stats] += 1;
            trace!(
                self,
                h,
                Some(iif),
                Stage::Socket,
                Action::Deliver,
                Subject::packet(pkt),
                "udp: request for the server on port {}: reply of {response} bytes from {}",
                u.dst_port,
                pkt.ip.dst
            );
            let ident = self.hosts[h as usize].next_ident();
            let mut ip = ip_header(pkt.ip.dst, pkt.ip.src, IpProtocol::Udp, ident);
            ip.dont_frag = false;
            let reply = Packet {
                tunnel: None,
                ip,
                l4: L4::Udp(UdpRepr { src_port: u.dst_port, dst_port: u.src_port, payload_len: response }),
            };
            self.local_out(h, reply);
            return Outcome::Delivered;
        }
        if let Some(&app) = self.sockets[h as usize].udp.get(&u.dst_port) {
            let now = self.now();
            if let App::Client(c) = &mut self.apps[app as usize]
                && let Some(flow) = c.flows.iter().position(|p| *p == u.dst_port)
                && let Some(sent) = c.outstanding[flow].pop_front()
            {
                let stats = c.stats;
                let latency = now.since(sent);
                let cs = &mut self.metrics.clients[stats];
                cs.completed += 1;
                cs.latency.record(latency.as_nanos());
                self.client_finished(app);
                trace!(
                    self,
                    h,
                    Some(iif),
                    Stage::Socket,
                    Action::Deliver,
                    Subject::packet(pkt),
                    "udp: reply {latency} after the request"
                );
                return Outcome::Delivered;
            }
        }
        trace!(
            self,
            h,
            Some(iif),
            Stage::Socket,
            Action::Drop(DropReason::NoSocket),
            Subject::packet(pkt),
            "udp: no socket on port {}: ICMP port unreachable to {}",
            u.dst_port,
            pkt.ip.src
        );
        self.icmp_unreach(h, pkt, unreach::PORT, 0);
        Outcome::Dropped(DropReason::NoSocket)
    }

    // ----- ICMP -----

    pub(super) fn icmp_rcv(&mut self, h: HostId, iif: IfIndex, pkt: &Packet) -> Outcome {
        let L4::Icmp(m) = pkt.l4 else { unreachable!("icmp_rcv gets ICMP") };
        match m {
            IcmpRepr::EchoRequest { ident, seq, data_len } => {
                trace!(
                    self,
                    h,
                    Some(iif),
                    Stage::Socket,
                    Action::Deliver,
                    Subject::packet(pkt),
                    "icmp: echo request: answering"
                );
                let id = self.hosts[h as usize].next_ident();
                let ip = ip_header(pkt.ip.dst, pkt.ip.src, IpProtocol::Icmp, id);
                self.local_out(
                    h,
                    Packet { tunnel: None, ip, l4: L4::Icmp(IcmpRepr::EchoReply { ident, seq, data_len }) },
                );
                Outcome::Delivered
            }
            IcmpRepr::DstUnreachable { quote, code, .. } | IcmpRepr::TimeExceeded { quote, code } => {
                let q = quote.ip;
                if q.protocol == IpProtocol::Tcp {
                    let key = (TCP, q.src, quote.src_port(), q.dst, quote.dst_port());
                    if let Some(&id) = self.sockets[h as usize].tcp.get(&key) {
                        let t = self.tcbs[id as usize].expect("live");
                        if let IcmpRepr::DstUnreachable { code: unreach::FRAG_NEEDED, mtu, .. } = m {
                            // tcp_v4_mtu_reduced: lower the path MTU and resend what was too big.
                            let mss = mtu.saturating_sub(40).max(536);
                            trace!(
                                self,
                                h,
                                Some(iif),
                                Stage::Socket,
                                Action::Deliver,
                                Subject::packet(pkt),
                                "icmp: fragmentation needed for {}:{}: path MTU {mtu}, MSS {} → {mss}{}",
                                q.dst,
                                quote.dst_port(),
                                t.mss,
                                if t.is_client && t.state == TcpState::Established {
                                    "; resending the request"
                                } else {
                                    ""
                                }
                            );
                            self.sockets[h as usize].pmtu.insert(q.dst, mtu);
                            if mss < t.mss {
                                self.tcbs[id as usize].as_mut().expect("live").mss = mss;
                                if t.is_client && t.state == TcpState::Established {
                                    self.send_request(id, t.req_len, true);
                                }
                            }
                            return Outcome::Delivered;
                        }
                        let hard = matches!(m, IcmpRepr::DstUnreachable { .. });
                        if t.is_client && t.state == TcpState::SynSent && hard {
                            let why = if code == unreach::PORT || code == unreach::PROTOCOL {
                                Failure::Refused
                            } else {
                                Failure::Unreachable
                            };
                            trace!(
                                self,
                                h,
                                Some(iif),
                                Stage::Socket,
                                Action::Deliver,
                                Subject::packet(pkt),
                                "icmp: error for connection to {}:{}: connect fails ({:?})",
                                q.dst,
                                quote.dst_port(),
                                why
                            );
                            self.client_failed(id, why);
                            return Outcome::Delivered;
                        }
                        trace!(
                            self,
                            h,
                            Some(iif),
                            Stage::Socket,
                            Action::Deliver,
                            Subject::packet(pkt),
                            "icmp: error for connection to {}:{} noted (soft error)",
                            q.dst,
                            quote.dst_port()
                        );
                        return Outcome::Delivered;
                    }
                } else if q.protocol == IpProtocol::Udp
                    && let Some(&app) = self.sockets[h as usize].udp.get(&quote.src_port())
                    && let App::Client(c) = &mut self.apps[app as usize]
                    && let Some(flow) = c.flows.iter().position(|p| *p == quote.src_port())
                    && c.outstanding[flow].pop_front().is_some()
                {
                    let stats = c.stats;
                    let cs = &mut self.metrics.clients[stats];
                    if code == unreach::PORT {
                        cs.refused += 1;
                    } else {
                        cs.unreachable += 1;
                    }
                    trace!(
                        self,
                        h,
                        Some(iif),
                        Stage::Socket,
                        Action::Deliver,
                        Subject::packet(pkt),
                        "icmp: error for UDP request to {}:{}: request failed",
                        q.dst,
                        quote.dst_port()
                    );
                    return Outcome::Delivered;
                }
                trace!(
                    self,
                    h,
                    Some(iif),
                    Stage::Socket,
                    Action::Drop(DropReason::IcmpIgnored),
                    Subject::packet(pkt),
                    "icmp: error about a packet with no matching socket: ignored"
                );
                Outcome::Dropped(DropReason::IcmpIgnored)
            }
            IcmpRepr::EchoReply { .. } => {
                trace!(
                    self,
                    h,
                    Some(iif),
                    Stage::Socket,
                    Action::Drop(DropReason::IcmpIgnored),
                    Subject::packet(pkt),
                    "icmp: echo reply (no ping running)"
                );
                Outcome::Dropped(DropReason::IcmpIgnored)
            }
        }
    }

    // ----- clients -----

    pub(super) fn client_next(&mut self, app: AppId) {
        let now = self.now();
        let App::Client(c) = &mut self.apps[app as usize] else {
            return;
        };
        if c.count.is_some_and(|n| c.started >= n) {
            return;
        }
        c.started += 1;
        // Closed loop: the next start follows this connection's end, not a clock.
        let closed = c.users.is_some();
        let gap = if closed { SimDuration::ZERO } else { c.arrival.next_gap(&mut c.rng) };
        let more = !closed && c.count.is_none_or(|n| c.started < n);
        let req_len = match c.request_size {
            Some(d) => d.sample_u64(&mut c.rng, 1, 65_000) as u16,
            None => c.request,
        };
        let left = c.requests.map_or(0, |d| d.sample_u64(&mut c.rng, 1, 10_000) as u16 - 1);
        let (h, proto, dst, request, stats) = (c.host, c.proto, c.dst, req_len, c.stats);
        self.metrics.clients[stats].started += 1;
        let src = Ipv4Addr::UNSPECIFIED;
        match proto {
            Proto::Tcp => {
                let port = c.next_port;
                c.next_port = if c.next_port >= EPHEMERAL_HIGH { EPHEMERAL_LOW } else { c.next_port + 1 };
                // Source address as routing picks it for the destination.
                let local = match self.hosts[h as usize].lookup(dst.0) {
                    crate::stack::Lookup::Unicast { route, nexthop } => {
                        crate::stack::route::select_src(&self.hosts[h as usize].ifaces, &route, nexthop).unwrap_or(src)
                    }
                    crate::stack::Lookup::Local { .. } => dst.0,
                    crate::stack::Lookup::Unreachable => src,
                };
                let iss = self.hosts_rng_u32(h);
                let t = Tcb {
                    host: h,
                    app,
                    local: (local, port),
                    remote: dst,
                    state: TcpState::SynSent,
                    iss,
                    snd_nxt: iss,
                    rcv_nxt: 0,
                    started: now,
                    retries: 0,
                    generation: 0,
                    mss: self.sockets[h as usize]
                        .pmtu
                        .get(&dst.0)
                        .map_or(DEFAULT_MSS, |m| m.saturating_sub(40).max(536)),
                    req_seq: 0,
                    is_client: true,
                    req_len,
                    left,
                };
                let id = self.tcb_alloc(t);
                trace!(
                    self,
                    h,
                    None,
                    Stage::Socket,
                    Action::Info,
                    None,
                    "app: connect({}:{}) from {local}:{port}: sending SYN",
                    dst.0,
                    dst.1
                );
                if self.tcp_send(id, TcpFlags::SYN, 0) {
                    let generation = self.tcbs[id as usize].expect("live").generation;
                    self.schedule_in(
                        SimDuration::from_nanos(TCP_RTO_INIT_NS),
                        Event::TcpRetrans { tcb: id, generation },
                    );
                } else {
                    self.client_failed(id, Failure::Unreachable);
                }
            }
            Proto::Udp => {
                let flow = (c.started - 1) as usize % c.flows.len();
                let port = c.flows[flow];
                c.outstanding[flow].push_back(now);
                let ident = self.hosts[h as usize].next_ident();
                let mut ip = ip_header(src, dst.0, IpProtocol::Udp, ident);
                ip.dont_frag = false;
                let p = Packet {
                    tunnel: None,
                    ip,
                    l4: L4::Udp(UdpRepr { src_port: port, dst_port: dst.1, payload_len: request }),
                };
                trace!(
                    self,
                    h,
                    None,
                    Stage::Socket,
                    Action::Info,
                    None,
                    "app: UDP request to {}:{} from port {port}",
                    dst.0,
                    dst.1
                );
                if !self.local_out(h, p) {
                    if let App::Client(c) = &mut self.apps[app as usize] {
                        c.outstanding[flow].pop_back();
                    }
                    self.metrics.clients[stats].unreachable += 1;
                }
            }
        }
        if more {
            self.schedule_in(gap, Event::ClientNext { app });
        }
    }
}
