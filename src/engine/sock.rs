//! Sockets and applications: TCP and UDP clients and servers, ICMP echo and errors.

use super::{Engine, Event, Outcome, drop_step, trace};
use crate::metrics::Fate;
use crate::packet::Proto;
use crate::packet::{IcmpRepr, IpProtocol, Ipv4Repr, L4, Packet, TcpFlags, TcpRepr, UdpRepr, icmp::unreach};
use crate::sim::SimDuration;
use crate::topology::{HostId, IfIndex};
use crate::trace::{Action, Stage, Subject};
use crate::why::{DropReason, Why};
use crate::workload::ack::{Ack, Check, Read, TCP_RCV_WND};
use crate::workload::tcp::{self, TcpAction};
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

/// `tcp_v4_send_reset`'s header for a reset answering `t`: if `t` carries an ACK, a bare RST
/// whose seq is `t`'s ack (no ACK flag); otherwise RST|ACK with seq 0 and ack = `t`'s seq plus
/// its length, SYN and FIN.
fn reset_for(t: &TcpRepr) -> TcpRepr {
    let (seq, ack, flags) = if t.flags.ack() {
        (t.ack, 0, TcpFlags::RST)
    } else {
        let seq_len = u32::from(t.payload_len) + u32::from(t.flags.syn()) + u32::from(t.flags.fin());
        (0, t.seq.wrapping_add(seq_len), TcpFlags::RST | TcpFlags::ACK)
    };
    TcpRepr { src_port: t.dst_port, dst_port: t.src_port, seq, ack, flags, window: 0, payload_len: 0 }
}

/// `NR_ICMP_UNREACH` (include/uapi/linux/icmp.h): the highest destination-unreachable code
/// `tcp_v4_err` converts to an error; larger codes are ignored.
const NR_ICMP_UNREACH: u8 = 15;

/// How a client connection ended badly.
#[derive(Clone, Copy, Debug)]
enum Failure {
    Refused,
    Unreachable,
    TimedOut,
}

impl Failure {
    /// As `Debug` prints it (the trace's wording).
    const fn name(self) -> &'static str {
        match self {
            Failure::Refused => "Refused",
            Failure::Unreachable => "Unreachable",
            Failure::TimedOut => "TimedOut",
        }
    }
}

impl Engine {
    // ----- TCP -----

    pub(super) fn tcb_alloc(&mut self, t: Tcb) -> u32 {
        let id = self.tcbs.insert_with(|k| Tcb { generation: k.generation, ..t }).index;
        self.sockets[t.host as usize].tcp.insert((TCP, t.local.0, t.local.1, t.remote.0, t.remote.1), id);
        id
    }

    pub(super) fn tcb_free_slot(&mut self, id: u32) {
        if let Some(t) = self.tcbs.remove_at(id) {
            self.sockets[t.host as usize].tcp.remove(&(TCP, t.local.0, t.local.1, t.remote.0, t.remote.1));
        }
    }

    /// The control block of socket `id`, which the caller knows is open.
    pub(super) fn tcb(&self, id: u32) -> Tcb {
        *self.tcbs.at(id).expect("live tcb")
    }

    pub(super) fn tcb_mut(&mut self, id: u32) -> &mut Tcb {
        self.tcbs.at_mut(id).expect("live tcb")
    }

    /// Sends a segment from a TCB.
    pub(super) fn tcp_send(&mut self, id: u32, flags: TcpFlags, len: u16) -> bool {
        let t = self.tcb(id);
        let h = t.host;
        let ident = self.hosts[h as usize].next_ident();
        let seg = TcpRepr {
            src_port: t.local.1,
            dst_port: t.remote.1,
            seq: if flags.syn() { t.iss } else { t.snd_nxt },
            ack: if flags.ack() { t.rcv_nxt } else { 0 },
            flags,
            window: TCP_RCV_WND as u16,
            payload_len: len,
        };
        let now = self.now();
        let tcb = self.tcb_mut(id);
        let advance = u32::from(len) + u32::from(flags.syn()) + u32::from(flags.fin());
        if flags.syn() {
            tcb.snd_nxt = tcb.iss.wrapping_add(1);
        } else {
            tcb.snd_nxt = tcb.snd_nxt.wrapping_add(advance);
        }
        // __tcp_transmit_skb: tcp_event_ack_sent, then tcp_event_data_sent.
        if flags.ack() {
            let rcv_nxt = tcb.rcv_nxt;
            tcb.ack.ack_sent(rcv_nxt);
        }
        if len > 0 {
            tcb.ack.data_sent(now);
        }
        let pkt =
            Packet { tunnel: None, ip: ip_header(t.local.0, t.remote.0, IpProtocol::Tcp, ident), l4: L4::Tcp(seg) };
        self.local_out(h, pkt)
    }

    /// Sends `len` bytes in segments of at most one MSS; the last one is pushed (PSH).
    pub(super) fn tcp_send_data(&mut self, id: u32, len: u16) {
        let mss = self.tcb(id).mss;
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
        let tcb = self.tcb_mut(id);
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

    /// The reset a segment with no socket gets (`tcp_v4_send_reset`, net/ipv4/tcp_ipv4.c).
    fn reply_rst(&mut self, h: HostId, pkt: &Packet, t: &TcpRepr) {
        if t.flags.rst() {
            return;
        }
        let ident = self.hosts[h as usize].next_ident();
        let rst = reset_for(t);
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
                    req_seq: seg.seq.wrapping_add(1),
                    is_client: false,
                    req_len: 0,
                    left: 0,
                    ack: Ack::new(seg.seq.wrapping_add(1)),
                };
                let id = self.tcb_alloc(t);
                trace!(
                    self,
                    h,
                    Some(iif),
                    Stage::Socket,
                    Action::Deliver,
                    Subject::packet(pkt),
                    Why::TcpSynListener {
                        port: seg.dst_port,
                        local: pkt.ip.dst,
                        remote: pkt.ip.src,
                        rport: seg.src_port
                    }
                );
                self.tcp_send(id, TcpFlags::SYN | TcpFlags::ACK, 0);
                return Outcome::Delivered;
            }
            drop_step!(
                self,
                h,
                Some(iif),
                Stage::Socket,
                DropReason::NoSocket,
                Fate::Frame,
                Subject::packet(pkt),
                Why::TcpNoSocket { addr: pkt.ip.dst, port: seg.dst_port, rst: seg.flags.rst() }
            );
            self.reply_rst(h, pkt, &seg);
            return Outcome::Dropped(DropReason::NoSocket);
        };
        let out = self.tcp_rcv_sock(h, iif, pkt, id);
        self.tcp_arm_delack(id);
        out
    }

    /// A segment for connected socket `id`: the state machine, and the ACK each segment
    /// gets (`crate::workload::ack`: at once, when the application reads it, on the
    /// application's next segment, or from the delayed-ACK timer).
    fn tcp_rcv_sock(&mut self, h: HostId, iif: IfIndex, pkt: &Packet, id: u32) -> Outcome {
        let L4::Tcp(seg) = pkt.l4 else { unreachable!("tcp_rcv gets TCP") };
        let now = self.now();
        // The control block before the segment (what the trace reports); the decision
        // updates the live one.
        let t = self.tcb(id);
        let action = tcp::on_segment(self.tcb_mut(id), &seg, now);
        let deliver = |e: &mut Self, why: Why| {
            trace!(e, h, Some(iif), Stage::Socket, Action::Deliver, Subject::packet(pkt), why);
        };
        match action {
            TcpAction::Reset => {
                deliver(self, Why::TcpReset { addr: pkt.ip.src, port: seg.src_port });
                if t.is_client {
                    self.client_failed(id, Failure::Refused);
                } else {
                    self.tcb_free_slot(id);
                }
            }
            TcpAction::Established { after, request } => {
                deliver(self, Why::TcpEstablished { after, request: u32::from(request) });
                self.tcp_send(id, TcpFlags::ACK, 0);
                // A keepalived TCP_CHECK closes here (engine/keepalived.rs).
                if let Some(c) = super::keepalived::checker_of(t.app)
                    && self.ka_connected(c, id)
                {
                    return Outcome::Delivered;
                }
                self.send_request(id, request, false);
            }
            TcpAction::ResponseNext { check, read, left } => {
                deliver(self, Why::TcpResponseNext { ack: ack_note(now, check, read, Some("the request")), left });
                self.tcp_ack_now(id, check, read);
                self.send_request(id, t.req_len, false);
            }
            TcpAction::ResponseClose { check, read } => {
                let latency = now.since(t.started);
                let checker = super::keepalived::checker_of(t.app);
                if checker.is_none() {
                    let stats = self.client_stats(t.app);
                    let cs = &mut self.metrics.clients[stats];
                    cs.completed += 1;
                    cs.latency.record(latency.as_nanos());
                }
                deliver(self, Why::TcpResponseClose { latency, ack: ack_note(now, check, read, Some("the FIN")) });
                self.tcp_ack_now(id, check, read);
                self.tcp_send(id, TcpFlags::FIN | TcpFlags::ACK, 0);
                match checker {
                    // A keepalived HTTP_GET's response (engine/keepalived.rs).
                    Some(c) => self.ka_response(c, id),
                    None => self.client_finished(t.app),
                }
            }
            TcpAction::ResponsePart { len, check } => {
                deliver(self, Why::TcpResponsePart { len, ack: ack_note(now, check, None, None) });
                self.tcp_ack_now(id, check, None);
            }
            TcpAction::ServerFin => {
                deliver(self, Why::TcpServerFin {});
                self.tcp_send(id, TcpFlags::ACK, 0);
                self.tcb_free_slot(id);
            }
            TcpAction::RequestPart { dup, len, check } => {
                let ack = ack_note(now, check, None, None);
                deliver(self, Why::TcpServerData { dup, pushed: false, len, port: t.local.1, ack });
                self.tcp_ack_now(id, check, None);
            }
            TcpAction::Request { dup, len, check, read } => {
                if self.server_has_service(t.app) {
                    return self.tcp_request_queued(h, iif, pkt, id, check);
                }
                let (response, stats) = self.server_response(t.app);
                self.metrics.served[stats] += 1;
                deliver(
                    self,
                    Why::TcpServerRequest {
                        dup,
                        pushed: true,
                        len,
                        port: t.local.1,
                        ack: ack_note(now, check, read, Some("the response")),
                        response: u32::from(response),
                    },
                );
                self.tcp_ack_now(id, check, read);
                self.tcp_send_data(id, response);
            }
            TcpAction::HandshakeAck => deliver(self, Why::TcpHandshakeAck {}),
            TcpAction::ClientFin { check } => {
                deliver(self, Why::TcpClientFin {});
                self.tcp_ack_now(id, check, None);
                self.tcp_send(id, TcpFlags::FIN | TcpFlags::ACK, 0);
            }
            TcpAction::LastAck => {
                deliver(self, Why::TcpLastAck {});
                self.tcb_free_slot(id);
            }
            TcpAction::Ack => deliver(self, Why::TcpAck {}),
            TcpAction::BadState => {
                drop_step!(
                    self,
                    h,
                    Some(iif),
                    Stage::Socket,
                    DropReason::TcpState,
                    Fate::Frame,
                    Subject::packet(pkt),
                    Why::TcpBadState { flags: seg.flags, state: tcp_state_name(t.state) }
                );
                return Outcome::Dropped(DropReason::TcpState);
            }
        }
        Outcome::Delivered
    }

    /// Sends a pure ACK if the receive path decided one is due now.
    pub(super) fn tcp_ack_now(&mut self, id: u32, check: Check, read: Option<Read>) {
        if check.is_now() || read.is_some() {
            self.tcp_send(id, TcpFlags::ACK, 0);
        }
    }

    /// The application takes a request that waited for a worker (`tcp_cleanup_rbuf`):
    /// ACK now if the kernel would.
    pub(super) fn tcp_app_read(&mut self, id: u32) {
        if let Some(t) = self.tcbs.at(id).copied()
            && let Some(why) = t.ack.app_read(t.rcv_nxt)
        {
            trace!(
                self,
                t.host,
                None,
                Stage::Socket,
                Action::Info,
                None,
                Why::AppRead { addr: t.remote.0, port: t.remote.1, read: read_ack(why) }
            );
            self.tcp_send(id, TcpFlags::ACK, 0);
        }
    }

    /// Puts socket `id`'s delayed-ACK timer on the agenda, unless an event at or before
    /// it already waits (that one re-arms it when it fires).
    fn tcp_arm_delack(&mut self, id: u32) {
        let Some(tcb) = self.tcbs.at_mut(id) else { return };
        let Some(due) = tcb.ack.timer else { return };
        if tcb.ack.armed.is_some_and(|a| a <= due) {
            return;
        }
        tcb.ack.armed = Some(due);
        self.schedule(due, Event::TcpDelack { tcb: id });
    }

    /// `Event::TcpDelack` (`tcp_delack_timer_handler`): the delayed ACK goes out if no
    /// segment has carried it yet. An event left from a cancelled or moved timer does
    /// nothing but re-arm.
    pub(super) fn tcp_delack(&mut self, id: u32) {
        let now = self.now();
        let Some(tcb) = self.tcbs.at_mut(id) else { return };
        if tcb.ack.armed == Some(now) {
            tcb.ack.armed = None;
        }
        if tcb.ack.timer == Some(now) {
            let pingpong = tcb.ack.in_pingpong_mode();
            let t = *tcb;
            if tcb.ack.timer_fired() {
                trace!(
                    self,
                    t.host,
                    None,
                    Stage::Socket,
                    Action::Info,
                    None,
                    Why::TcpDelayedAck {
                        local: t.local.0,
                        lport: t.local.1,
                        remote: t.remote.0,
                        rport: t.remote.1,
                        ato: t.ack.ato,
                        pingpong
                    }
                );
                self.tcp_send(id, TcpFlags::ACK, 0);
            }
        }
        self.tcp_arm_delack(id);
    }

    pub(super) fn hosts_rng_u32(&mut self, h: HostId) -> u32 {
        self.host_rngs[h as usize].next_u32()
    }

    fn client_stats(&self, app: AppId) -> usize {
        match &self.apps[app as usize] {
            App::Client(c) => c.stats,
            App::Server(_) => unreachable!("servers have no client stats"),
        }
    }

    fn client_failed(&mut self, id: u32, why: Failure) {
        let t = self.tcb(id);
        if let Some(c) = super::keepalived::checker_of(t.app) {
            return self.ka_failed(c, id, why.name());
        }
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
        let Some(t) = self.tcbs.at(id).copied() else { return };
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
                        Why::TcpConnectTimeout { addr: t.remote.0, port: t.remote.1, retries: u32::from(t.retries) }
                    );
                    self.client_failed(id, Failure::TimedOut);
                    return;
                }
                let tcb = self.tcb_mut(id);
                tcb.retries += 1;
                let retries = tcb.retries;
                trace!(
                    self,
                    t.host,
                    None,
                    Stage::Socket,
                    Action::Info,
                    None,
                    Why::TcpSynRetry { addr: t.remote.0, port: t.remote.1, attempt: u32::from(retries) + 1 }
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
                        Why::TcpRequestTimeout { addr: t.remote.0, port: t.remote.1, retries: u32::from(t.retries) }
                    );
                    self.client_failed(id, Failure::TimedOut);
                    return;
                }
                self.tcb_mut(id).retries += 1;
                let request = t.req_len;
                trace!(
                    self,
                    t.host,
                    None,
                    Stage::Socket,
                    Action::Info,
                    None,
                    Why::TcpRequestRetry {
                        addr: t.remote.0,
                        port: t.remote.1,
                        attempt: u32::from(t.retries) + 2,
                        mss: u32::from(t.mss)
                    }
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
                Why::UdpRequest { port: u.dst_port, response: u32::from(response), addr: pkt.ip.dst }
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
                    Why::UdpReply { latency }
                );
                return Outcome::Delivered;
            }
        }
        drop_step!(
            self,
            h,
            Some(iif),
            Stage::Socket,
            DropReason::NoSocket,
            Fate::Frame,
            Subject::packet(pkt),
            Why::UdpNoSocket { port: u.dst_port, src: pkt.ip.src }
        );
        self.icmp_unreach(h, pkt, unreach::PORT, 0);
        Outcome::Dropped(DropReason::NoSocket)
    }

    // ----- ICMP -----

    pub(super) fn icmp_rcv(&mut self, h: HostId, iif: IfIndex, pkt: &Packet) -> Outcome {
        let L4::Icmp(m) = pkt.l4 else { unreachable!("icmp_rcv gets ICMP") };
        match m {
            IcmpRepr::EchoRequest { ident, seq, data_len } => {
                trace!(self, h, Some(iif), Stage::Socket, Action::Deliver, Subject::packet(pkt), Why::IcmpEcho {});
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
                        let t = self.tcb(id);
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
                                Why::IcmpFragNeeded {
                                    dst: q.dst,
                                    port: quote.dst_port(),
                                    mtu: u32::from(mtu),
                                    old_mss: u32::from(t.mss),
                                    mss: u32::from(mss),
                                    resend: t.is_client && t.state == TcpState::Established
                                }
                            );
                            self.sockets[h as usize].pmtu.insert(q.dst, mtu);
                            if mss < t.mss {
                                self.tcb_mut(id).mss = mss;
                                if t.is_client && t.state == TcpState::Established {
                                    self.send_request(id, t.req_len, true);
                                }
                            }
                            return Outcome::Delivered;
                        }
                        // tcp_v4_err (net/ipv4/tcp_ipv4.c): a destination unreachable with a
                        // known code (<= NR_ICMP_UNREACH; frag-needed was PMTU above) or a time
                        // exceeded gives an error (icmp_err_convert / EHOSTUNREACH); in SYN_SENT
                        // the socket takes it at once (sk_err, tcp_done): the connect fails.
                        let aborts = match m {
                            IcmpRepr::DstUnreachable { code, .. } => code <= NR_ICMP_UNREACH,
                            _ => true,
                        };
                        if t.is_client && t.state == TcpState::SynSent && aborts {
                            let why = if matches!(m, IcmpRepr::DstUnreachable { .. })
                                && (code == unreach::PORT || code == unreach::PROTOCOL)
                            {
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
                                Why::IcmpConnectFails { dst: q.dst, port: quote.dst_port(), failure: why.name() }
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
                            Why::IcmpSoftError { dst: q.dst, port: quote.dst_port() }
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
                        Why::IcmpUdpFailed { dst: q.dst, port: quote.dst_port() }
                    );
                    return Outcome::Delivered;
                }
                drop_step!(
                    self,
                    h,
                    Some(iif),
                    Stage::Socket,
                    DropReason::IcmpIgnored,
                    Fate::Frame,
                    Subject::packet(pkt),
                    Why::IcmpNoSocket {}
                );
                Outcome::Dropped(DropReason::IcmpIgnored)
            }
            IcmpRepr::EchoReply { .. } => {
                drop_step!(
                    self,
                    h,
                    Some(iif),
                    Stage::Socket,
                    DropReason::IcmpIgnored,
                    Fate::Frame,
                    Subject::packet(pkt),
                    Why::IcmpEchoReply {}
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
                    ack: Ack::new(0),
                };
                let id = self.tcb_alloc(t);
                trace!(
                    self,
                    h,
                    None,
                    Stage::Socket,
                    Action::Info,
                    None,
                    Why::AppConnect { dst: dst.0, dport: dst.1, local, port }
                );
                if self.tcp_send(id, TcpFlags::SYN, 0) {
                    let generation = self.tcb(id).generation;
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
                    Why::AppUdp { dst: dst.0, dport: dst.1, port }
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

/// How a received segment is acknowledged, for the trace: `carrier` is the segment the
/// application sends next, which carries a delayed ACK.
pub(super) fn ack_note(
    now: crate::sim::SimTime,
    check: Check,
    read: Option<Read>,
    carrier: Option<&'static str>,
) -> crate::why::Ack {
    use crate::why::Ack as A;
    match (check, read) {
        (Check::Quick { quick }, _) => A::Quick { more: u32::from(quick) - 1 },
        (Check::TimerDue, _) => A::TimerDue,
        (Check::Delayed { .. }, Some(why)) => A::Read(read_ack(why)),
        (Check::Delayed { due, pingpong }, None) => A::Delayed { pingpong, carrier, timer: due.since(now) },
    }
}

/// Why the ACK leaves when the application reads (`tcp_cleanup_rbuf`).
const fn read_ack(why: Read) -> crate::why::ReadAck {
    match why {
        Read::MoreThanOneMss => crate::why::ReadAck::MoreThanOneMss,
        Read::Pushed => crate::why::ReadAck::Pushed,
    }
}

/// A socket state as `Debug` prints it (the trace's wording).
const fn tcp_state_name(s: TcpState) -> &'static str {
    match s {
        TcpState::SynSent => "SynSent",
        TcpState::SynRecv => "SynRecv",
        TcpState::Established => "Established",
        TcpState::FinWait1 => "FinWait1",
        TcpState::LastAck => "LastAck",
    }
}

/// Whole connections against the kernel's: each test runs one client and one server on a
/// segment and compares the segments each side sends — flags, payload length and the
/// acknowledgement number relative to the peer's initial sequence number — with a
/// capture from Linux 6.1 (kernel/tcp/acks.out, cases named in each test; TCP
/// timestamps off there, so the MSS is lvsim's 1460). Comparing each direction on its
/// own keeps the test independent of how the two directions interleave on the wire,
/// while the ACK numbers still say which data each ACK acknowledges.
#[cfg(test)]
mod tests {
    use crate::packet::{L4, Payload, TcpFlags};
    use crate::sim::{SimDuration, SimTime};
    use crate::workload::{App, Dist};
    use std::cell::RefCell;
    use std::rc::Rc;

    const S: TcpFlags = TcpFlags::SYN;
    const SA: TcpFlags = TcpFlags::SYN.union(TcpFlags::ACK);
    const A: TcpFlags = TcpFlags::ACK;
    const PA: TcpFlags = TcpFlags::PSH.union(TcpFlags::ACK);
    const FA: TcpFlags = TcpFlags::FIN.union(TcpFlags::ACK);

    /// One TCP segment as tcpdump shows it: flags, length, relative ack (0 without ACK).
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    struct Seg {
        flags: TcpFlags,
        len: u16,
        ack: u32,
    }

    const fn seg(flags: TcpFlags, len: u16, ack: u32) -> Seg {
        Seg { flags, len, ack }
    }

    /// Every TCP frame that enters the segment, with its time: (time, client → server?, repr).
    #[derive(Default)]
    struct Frames(Vec<(SimTime, bool, crate::packet::TcpRepr)>);

    impl super::super::Capture for Frames {
        fn frame(&mut self, _seg: crate::topology::SegId, time: SimTime, frame: &crate::packet::Frame) {
            if let Payload::Ipv4(p) = &frame.payload
                && let L4::Tcp(t) = p.l4
            {
                self.0.push((time, t.dst_port == 80, t));
            }
        }
    }

    /// The run's two directions as `Seg`s (client's, server's), plus every frame.
    struct Run {
        client: Vec<Seg>,
        server: Vec<Seg>,
        frames: Vec<(SimTime, bool, crate::packet::TcpRepr)>,
    }

    /// A client and a server on one segment: `requests` requests of `request` bytes on one
    /// connection, each answered with `response` bytes; `service` is the server's service
    /// time per request, switched to the next value of the list after each response.
    fn run(request: u16, response: u16, requests: u32, service: &[&str]) -> Run {
        let svc = service.first().map_or(String::new(), |s| format!(", service: \"{s}\""));
        let src = format!(
            r#"Scenario(
                about: "ACK test", seed: 1, duration: "5s",
                segments: [Segment(name: "lan", latency: "10us")],
                hosts: [
                    Host(name: "client", ifaces: {{"eth0": "lan"}}, run: ["ip addr add 10.1.0.10/24 dev eth0"]),
                    Host(name: "server", ifaces: {{"eth0": "lan"}}, run: ["ip addr add 10.1.0.20/24 dev eth0"]),
                ],
                apps: [
                    Server(host: "server", proto: tcp, port: 80, response: {response}{svc}),
                    Client(host: "client", proto: tcp, to: "10.1.0.20:80", count: 1, every: "1s",
                           request: {request}, requests: "{requests}"),
                ],
            )"#
        );
        let mut e = crate::scenario::parse("test.ron", &src).expect("scenario").build().expect("builds");
        let frames = Rc::new(RefCell::new(Frames::default()));
        e.set_capture(Box::new(frames.clone()));
        let mut served = 0;
        while e.step().is_some() {
            let now_served = e.metrics.served[0];
            if now_served != served {
                served = now_served;
                if let Some(next) = service.get(served as usize)
                    && let Some(App::Server(s)) = e.apps.iter_mut().find(|a| matches!(a, App::Server(_)))
                {
                    let ns = SimDuration::parse(next).expect("duration").as_nanos() as f64;
                    s.service.as_mut().expect("service model").time = Dist::Const(ns);
                }
            }
        }
        let frames = frames.borrow().0.clone();
        let iss = |from_client: bool| {
            frames.iter().find(|(_, c, t)| *c == from_client && t.flags.syn()).map_or(0, |(_, _, t)| t.seq)
        };
        let (client_iss, server_iss) = (iss(true), iss(false));
        let side = |from_client: bool| {
            let peer = if from_client { server_iss } else { client_iss };
            frames
                .iter()
                .filter(|(_, c, _)| *c == from_client)
                .map(|(_, _, t)| seg(t.flags, t.payload_len, if t.flags.ack() { t.ack.wrapping_sub(peer) } else { 0 }))
                .collect::<Vec<_>>()
        };
        Run { client: side(true), server: side(false), frames }
    }

    // Case A, and the LVS-DR capture (wget to busybox httpd) that showed the finding:
    //   10.1.0.10.33290 > 10.1.0.20.80: Flags [S], seq 201790785, win 64240, length 0
    //   10.1.0.20.80 > 10.1.0.10.33290: Flags [S.], seq 3735250511, ack 201790786, length 0
    //   10.1.0.10.33290 > 10.1.0.20.80: Flags [.], ack 1, win 1004, length 0
    //   10.1.0.10.33290 > 10.1.0.20.80: Flags [P.], seq 1:101, ack 1, length 100
    //   10.1.0.20.80 > 10.1.0.10.33290: Flags [.], ack 101, length 0
    //   10.1.0.20.80 > 10.1.0.10.33290: Flags [P.], seq 1:1001, ack 101, length 1000
    //   10.1.0.10.33290 > 10.1.0.20.80: Flags [.], ack 1001, length 0
    //   10.1.0.10.33290 > 10.1.0.20.80: Flags [F.], seq 101, ack 1001, length 0
    //   10.1.0.20.80 > 10.1.0.10.33290: Flags [F.], seq 1001, ack 102, length 0
    //   10.1.0.10.33290 > 10.1.0.20.80: Flags [.], ack 1002, length 0
    // Both sides are in quick ACK mode, so each ACKs the other's data at once, before its
    // application runs; the server's FIN carries the ACK of the client's FIN (a FIN puts
    // the socket in pingpong mode and the application closes within the delayed-ACK time).
    #[test]
    fn one_request_each_side_acks_at_once() {
        let r = run(100, 1000, 1, &[]);
        assert_eq!(
            r.client,
            [seg(S, 0, 0), seg(A, 0, 1), seg(PA, 100, 1), seg(A, 0, 1001), seg(FA, 0, 1001), seg(A, 0, 1002)]
        );
        assert_eq!(r.server, [seg(SA, 0, 1), seg(A, 0, 101), seg(PA, 1000, 101), seg(FA, 0, 102)]);
    }

    // Case B: a 4-segment response in quick ACK mode is ACKed segment by segment:
    //   10.1.0.20.80 > 10.1.0.10.33306: Flags [.], seq 1:1461, ack 101, length 1460
    //   10.1.0.10.33306 > 10.1.0.20.80: Flags [.], ack 1461, length 0
    //   10.1.0.20.80 > 10.1.0.10.33306: Flags [.], seq 1461:2921, ack 101, length 1460
    //   10.1.0.10.33306 > 10.1.0.20.80: Flags [.], ack 2921, length 0
    //   10.1.0.20.80 > 10.1.0.10.33306: Flags [.], seq 2921:4381, ack 101, length 1460
    //   10.1.0.10.33306 > 10.1.0.20.80: Flags [.], ack 4381, length 0
    //   10.1.0.20.80 > 10.1.0.10.33306: Flags [P.], seq 4381:5001, ack 101, length 620
    //   10.1.0.10.33306 > 10.1.0.20.80: Flags [.], ack 5001, length 0
    //   10.1.0.10.33306 > 10.1.0.20.80: Flags [F.], seq 101, ack 5001, length 0
    #[test]
    fn response_segments_acked_one_by_one_in_quick_ack_mode() {
        let r = run(100, 5000, 1, &[]);
        let c = [seg(A, 0, 1461), seg(A, 0, 2921), seg(A, 0, 4381), seg(A, 0, 5001), seg(FA, 0, 5001)];
        assert_eq!(r.client[3..8], c);
        assert_eq!(r.server[2..6], [seg(A, 1460, 101), seg(A, 1460, 101), seg(A, 1460, 101), seg(PA, 620, 101)]);
    }

    // Case C: after the first exchange both sockets answered within ato (40 ms) of
    // receiving, so both are in pingpong mode: no more pure ACKs, each request carries the
    // ACK of the last response and each response the ACK of its request.
    //   10.1.0.10.33312 > 10.1.0.20.80: Flags [P.], seq 1:101, ack 1, length 100
    //   10.1.0.20.80 > 10.1.0.10.33312: Flags [.], ack 101, length 0
    //   10.1.0.20.80 > 10.1.0.10.33312: Flags [P.], seq 1:1001, ack 101, length 1000
    //   10.1.0.10.33312 > 10.1.0.20.80: Flags [.], ack 1001, length 0
    //   10.1.0.10.33312 > 10.1.0.20.80: Flags [P.], seq 101:201, ack 1001, length 100
    //   10.1.0.20.80 > 10.1.0.10.33312: Flags [P.], seq 1001:2001, ack 201, length 1000
    //   10.1.0.10.33312 > 10.1.0.20.80: Flags [P.], seq 201:301, ack 2001, length 100
    //   10.1.0.20.80 > 10.1.0.10.33312: Flags [P.], seq 2001:3001, ack 301, length 1000
    //   10.1.0.10.33312 > 10.1.0.20.80: Flags [P.], seq 301:401, ack 3001, length 100
    //   10.1.0.20.80 > 10.1.0.10.33312: Flags [P.], seq 3001:4001, ack 401, length 1000
    //   10.1.0.10.33312 > 10.1.0.20.80: Flags [F.], seq 401, ack 4001, length 0
    //   10.1.0.20.80 > 10.1.0.10.33312: Flags [F.], seq 4001, ack 402, length 0
    //   10.1.0.10.33312 > 10.1.0.20.80: Flags [.], ack 4002, length 0
    #[test]
    fn keepalive_turns_pingpong_after_the_first_exchange() {
        let r = run(100, 1000, 4, &[]);
        let client = [
            seg(S, 0, 0),
            seg(A, 0, 1),
            seg(PA, 100, 1),
            seg(A, 0, 1001),
            seg(PA, 100, 1001),
            seg(PA, 100, 2001),
            seg(PA, 100, 3001),
            seg(FA, 0, 4001),
            seg(A, 0, 4002),
        ];
        assert_eq!(r.client, client);
        let server = [
            seg(SA, 0, 1),
            seg(A, 0, 101),
            seg(PA, 1000, 101),
            seg(PA, 1000, 201),
            seg(PA, 1000, 301),
            seg(PA, 1000, 401),
            seg(FA, 0, 402),
        ];
        assert_eq!(r.server, server);
    }

    // Case D: in pingpong mode a 4-segment response gets one ACK, when the client reads
    // it (more than one MSS unacknowledged: tcp_cleanup_rbuf), and the request follows.
    //   10.1.0.10.33316 > 10.1.0.20.80: Flags [P.], seq 101:201, ack 5001, length 100
    //   10.1.0.20.80 > 10.1.0.10.33316: Flags [.], seq 5001:6461, ack 201, length 1460
    //   10.1.0.20.80 > 10.1.0.10.33316: Flags [.], seq 6461:7921, ack 201, length 1460
    //   10.1.0.20.80 > 10.1.0.10.33316: Flags [.], seq 7921:9381, ack 201, length 1460
    //   10.1.0.20.80 > 10.1.0.10.33316: Flags [P.], seq 9381:10001, ack 201, length 620
    //   10.1.0.10.33316 > 10.1.0.20.80: Flags [.], ack 10001, length 0
    //   10.1.0.10.33316 > 10.1.0.20.80: Flags [P.], seq 201:301, ack 10001, length 100
    //   (the same for the third response: [.] ack 15001, then [F.] ack 15001)
    #[test]
    fn pingpong_multi_segment_response_acked_when_read() {
        let r = run(100, 5000, 3, &[]);
        let first = [seg(A, 0, 1461), seg(A, 0, 2921), seg(A, 0, 4381), seg(A, 0, 5001)];
        assert_eq!(r.client[3..7], first);
        let later = [seg(PA, 100, 5001), seg(A, 0, 10001), seg(PA, 100, 10001), seg(A, 0, 15001), seg(FA, 0, 15001)];
        assert_eq!(r.client[7..12], later);
        assert_eq!(r.client.len(), 13);
    }

    // Case E: a 28-segment response. The first data segment grants
    // min(64240 / (2 * rcv_mss), 16) = 16 quick ACKs; segments 1 to 16 are ACKed one by
    // one, 17 to 28 not at all until the client reads the response: one ACK, then FIN.
    //   10.1.0.10.33330 > 10.1.0.20.80: Flags [.], ack 1461, length 0
    //   ... (one ACK per segment) ...
    //   10.1.0.10.33330 > 10.1.0.20.80: Flags [.], ack 23361, length 0
    //   10.1.0.20.80 > 10.1.0.10.33330: Flags [.], seq 23361:24821, ack 101, length 1460
    //   ... (segments 18 to 27, no ACK) ...
    //   10.1.0.20.80 > 10.1.0.10.33330: Flags [P.], seq 39421:40001, ack 101, length 580
    //   10.1.0.10.33330 > 10.1.0.20.80: Flags [.], ack 40001, length 0
    //   10.1.0.10.33330 > 10.1.0.20.80: Flags [F.], seq 101, ack 40001, length 0
    #[test]
    fn sixteen_quick_acks_then_one_when_read() {
        let r = run(100, 40_000, 1, &[]);
        let mut want: Vec<Seg> = (1..=16).map(|k| seg(A, 0, 1 + 1460 * k)).collect();
        want.extend([seg(A, 0, 40_001), seg(FA, 0, 40_001), seg(A, 0, 40_002)]);
        assert_eq!(r.client[3..], want[..]);
        assert_eq!(r.server.iter().filter(|s| s.len > 0).count(), 28);
    }

    // Case F: a server that answers 60 ms after each request (more than ato) never becomes
    // interactive, so it ACKs every request at once; the client does become interactive
    // (it sends the next request right after a response) and sends no pure ACK after the
    // first response.
    //   10.1.0.10.33340 > 10.1.0.20.80: Flags [P.], seq 101:201, ack 1001, length 100
    //   10.1.0.20.80 > 10.1.0.10.33340: Flags [.], ack 201, length 0
    //   10.1.0.20.80 > 10.1.0.10.33340: Flags [P.], seq 1001:2001, ack 201, length 1000
    //   10.1.0.10.33340 > 10.1.0.20.80: Flags [P.], seq 201:301, ack 2001, length 100
    //   10.1.0.20.80 > 10.1.0.10.33340: Flags [.], ack 301, length 0
    #[test]
    fn slow_server_acks_every_request_at_once() {
        let r = run(100, 1000, 3, &["60ms"]);
        let server = [
            seg(SA, 0, 1),
            seg(A, 0, 101),
            seg(PA, 1000, 101),
            seg(A, 0, 201),
            seg(PA, 1000, 201),
            seg(A, 0, 301),
            seg(PA, 1000, 301),
            seg(FA, 0, 302),
        ];
        assert_eq!(r.server, server);
        assert_eq!(
            r.client[3..],
            [seg(A, 0, 1001), seg(PA, 100, 1001), seg(PA, 100, 2001), seg(FA, 0, 3001), seg(A, 0, 3002)]
        );
    }

    // Case K: 20 requests to a server that answers after 50 ms: all ACKed at once, also the
    // four after the 16 quick ACKs are spent (then the ACK leaves when the server reads
    // the pushed request: tcp_cleanup_rbuf, socket not interactive).
    //   10.1.0.10.34944 > 10.1.0.20.80: Flags [P.], seq 1901:2001, ack 19001, length 100
    //   10.1.0.20.80 > 10.1.0.10.34944: Flags [.], ack 2001, length 0
    #[test]
    fn slow_server_acks_after_the_quick_acks_run_out() {
        let r = run(100, 1000, 20, &["50ms"]);
        let pure: Vec<u32> = r.server.iter().filter(|s| s.flags == A).map(|s| s.ack).collect();
        assert_eq!(pure, (1..=20).map(|k| 1 + 100 * k).collect::<Vec<_>>());
    }

    // Cases H and I: a 3000-byte request (1460, 1460, 80) has each segment ACKed at once;
    // so has a single full-sized pushed request. The server answers once, after the last
    // (pushed) segment.
    //   10.1.0.10.33354 > 10.1.0.20.80: Flags [.], seq 1:1461, ack 1, length 1460
    //   10.1.0.20.80 > 10.1.0.10.33354: Flags [.], ack 1461, length 0
    //   10.1.0.10.33354 > 10.1.0.20.80: Flags [.], seq 1461:2921, ack 1, length 1460
    //   10.1.0.20.80 > 10.1.0.10.33354: Flags [.], ack 2921, length 0
    //   10.1.0.10.33354 > 10.1.0.20.80: Flags [P.], seq 2921:3001, ack 1, length 80
    //   10.1.0.20.80 > 10.1.0.10.33354: Flags [.], ack 3001, length 0
    //   10.1.0.20.80 > 10.1.0.10.33354: Flags [P.], seq 1:1001, ack 3001, length 1000
    //   10.1.0.10.34940 > 10.1.0.20.80: Flags [P.], seq 1:1461, ack 1, length 1460
    //   10.1.0.20.80 > 10.1.0.10.34940: Flags [.], ack 1461, length 0
    #[test]
    fn request_segments_acked_at_once() {
        let r = run(3000, 1000, 1, &[]);
        assert_eq!(
            r.server,
            [seg(SA, 0, 1), seg(A, 0, 1461), seg(A, 0, 2921), seg(A, 0, 3001), seg(PA, 1000, 3001), seg(FA, 0, 3002)]
        );
        let r = run(1460, 1000, 1, &[]);
        assert_eq!(r.server, [seg(SA, 0, 1), seg(A, 0, 1461), seg(PA, 1000, 1461), seg(FA, 0, 1462)]);
    }

    // Case L: fast, slow (60 ms), fast. The second request reaches an interactive server:
    // its ACK waits for the delayed-ACK timer (the kernel fired it 45 ms later: 40 ms
    // rounded up to jiffies; lvsim 40 ms), which also ends pingpong mode, so the third
    // request, answered at once again, is ACKed at once.
    //   1796266818.465106 10.1.0.10.40420 > 10.1.0.20.80: Flags [P.], seq 101:201, ack 1001, length 100
    //   1796266818.510459 10.1.0.20.80 > 10.1.0.10.40420: Flags [.], ack 201, length 0
    //   1796266818.526117 10.1.0.20.80 > 10.1.0.10.40420: Flags [P.], seq 1001:2001, ack 201, length 1000
    //   1796266818.526581 10.1.0.10.40420 > 10.1.0.20.80: Flags [P.], seq 201:301, ack 2001, length 100
    //   1796266818.526703 10.1.0.20.80 > 10.1.0.10.40420: Flags [.], ack 301, length 0
    //   1796266818.526881 10.1.0.20.80 > 10.1.0.10.40420: Flags [P.], seq 2001:3001, ack 301, length 1000
    //   1796266818.527127 10.1.0.10.40420 > 10.1.0.20.80: Flags [F.], seq 301, ack 3001, length 0
    #[test]
    fn delayed_ack_timer_on_an_interactive_server() {
        let r = run(100, 1000, 3, &["0ms", "60ms", "0ms"]);
        let server = [
            seg(SA, 0, 1),
            seg(A, 0, 101),
            seg(PA, 1000, 101),
            seg(A, 0, 201),
            seg(PA, 1000, 201),
            seg(A, 0, 301),
            seg(PA, 1000, 301),
            seg(FA, 0, 302),
        ];
        assert_eq!(r.server, server);
        assert_eq!(
            r.client[3..],
            [seg(A, 0, 1001), seg(PA, 100, 1001), seg(PA, 100, 2001), seg(FA, 0, 3001), seg(A, 0, 3002)]
        );
        let request2 = r.frames.iter().filter(|(_, c, t)| *c && t.payload_len == 100).nth(1).expect("request 2").0;
        let ack2 = r.frames.iter().filter(|(_, c, t)| !*c && t.flags == A).nth(1).expect("delayed ACK").0;
        let d = ack2.since(request2);
        assert!(d >= SimDuration::from_millis(40) && d < SimDuration::from_millis(41), "{d}");
    }

    #[test]
    fn reset_answers_an_acking_segment_with_a_bare_rst_at_its_ack() {
        // tcp_v4_send_reset: the segment has ACK, so the reset is [R] with seq = its ack_seq
        // and no ACK flag. nat-wrong-gateway's kernel capture (wan), the client answering the
        // real server's SYN-ACK that came straight from the RIP (tcpdump -S):
        //   10.0.0.12.8080 > 203.0.113.10.51660: Flags [S.], seq 883380636, ack 3214321821
        //   203.0.113.10.51660 > 10.0.0.12.8080: Flags [R], seq 3214321821, win 0, length 0
        let synack = crate::packet::TcpRepr {
            src_port: 8080,
            dst_port: 51660,
            seq: 883_380_636,
            ack: 3_214_321_821,
            flags: SA,
            window: 65160,
            payload_len: 0,
        };
        let r = super::reset_for(&synack);
        assert_eq!((r.src_port, r.dst_port), (51660, 8080));
        assert_eq!((r.flags, r.seq, r.ack, r.window), (TcpFlags::RST, 3_214_321_821, 0, 0));
    }

    #[test]
    fn reset_answers_a_segment_without_ack_with_rst_ack_past_its_data() {
        // tcp_v4_send_reset without ACK in the segment: RST|ACK, seq 0, ack = seq + data + SYN
        // + FIN, so the peer can match it to what it sent (a SYN to a closed port: ack seq+1).
        let syn = crate::packet::TcpRepr {
            src_port: 51660,
            dst_port: 81,
            seq: 1000,
            ack: 0,
            flags: S,
            window: 64240,
            payload_len: 0,
        };
        let r = super::reset_for(&syn);
        assert_eq!((r.flags, r.seq, r.ack), (TcpFlags::RST.union(TcpFlags::ACK), 0, 1001));
        let fin_data = crate::packet::TcpRepr { flags: TcpFlags::FIN, payload_len: 10, ..syn };
        assert_eq!(super::reset_for(&fin_data).ack, 1011);
    }
}
