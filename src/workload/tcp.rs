//! The TCP state machine as a decision (`tcp_rcv_state_process`, `tcp_rcv_established`,
//! reduced to the states lvsim models): [`on_segment`] updates a control block for one
//! received segment and says what follows as a [`TcpAction`]; the engine carries it out
//! (sends, the application, counters, the trace). When to acknowledge is [`super::ack`]'s.

use super::ack::{Ack, Check, Read};
use super::{Tcb, TcpState};
use crate::packet::{TcpFlags, TcpRepr};
use crate::sim::{SimDuration, SimTime};

/// What a received segment leads to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TcpAction {
    /// RST: a client's connection is refused, a server's socket freed.
    Reset,
    /// Client, SYN-ACK in SYN_SENT: established `after` the SYN; send the ACK, then the
    /// request of `request` bytes.
    Established { after: SimDuration, request: u16 },
    /// Client: the pushed end of a response with `left` requests still to send on this
    /// connection: ACK per `check`/`read`, send the next request.
    ResponseNext { check: Check, read: Option<Read>, left: u16 },
    /// Client: the pushed end of the last response: ACK per `check`/`read`, send FIN
    /// (now FIN_WAIT1), the request is complete.
    ResponseClose { check: Check, read: Option<Read> },
    /// Client: `len` bytes of a response, not its end: ACK per `check`.
    ResponsePart { len: u32, check: Check },
    /// Client, FIN in FIN_WAIT1: ACK it and free the socket.
    ServerFin,
    /// Server: `len` bytes of a request, not its end (`dup`: already received): ACK per
    /// `check`.
    RequestPart { dup: bool, len: u32, check: Check },
    /// Server: the pushed end of a request of `len` bytes (0 when `dup`, a resent copy):
    /// ACK per `check`/`read`, serve it.
    Request { dup: bool, len: u32, check: Check, read: Option<Read> },
    /// Server, the handshake's ACK in SYN_RECV: established.
    HandshakeAck,
    /// Server, the client's FIN: ACK per `check` (now LAST_ACK), send FIN.
    ClientFin { check: Check },
    /// Server, the ACK of its FIN in LAST_ACK: free the socket.
    LastAck,
    /// A pure ACK on an established connection: nothing to do.
    Ack,
    /// Nothing this state expects: dropped.
    BadState,
}

/// Processes segment `seg`, received at `now`, on `tcb`.
pub fn on_segment(tcb: &mut Tcb, seg: &TcpRepr, now: SimTime) -> TcpAction {
    if seg.flags.rst() {
        return TcpAction::Reset;
    }
    let data_len = u32::from(seg.payload_len);
    // The sender pushes (PSH) the last segment of each request and response: the
    // application reads the message then.
    let pushed = seg.flags.contains(TcpFlags::PSH);
    match (tcb.state, tcb.is_client) {
        (TcpState::SynSent, true) if seg.flags.syn() && seg.flags.ack() => {
            tcb.rcv_nxt = seg.seq.wrapping_add(1);
            tcb.state = TcpState::Established;
            tcb.generation += 1;
            tcb.ack = Ack::new(tcb.rcv_nxt);
            // The SYN's round trip is the first RTT sample, unless it was resent (Karn).
            if tcb.retries == 0 {
                tcb.ack.srtt = now.since(tcb.started);
            }
            TcpAction::Established { after: now.since(tcb.started), request: tcb.req_len }
        }
        (TcpState::Established, true) if data_len > 0 => {
            tcb.rcv_nxt = tcb.rcv_nxt.wrapping_add(data_len + u32::from(seg.flags.fin()));
            tcb.ack.data_recv(now, seg.payload_len, seg.flags);
            let check = tcb.ack.snd_check(now);
            let read = if pushed && !check.is_now() { tcb.ack.app_read(tcb.rcv_nxt) } else { None };
            if pushed && tcb.left > 0 {
                // Keep-alive: the next request on the same connection.
                tcb.left -= 1;
                tcb.retries = 0;
                TcpAction::ResponseNext { check, read, left: tcb.left }
            } else if pushed {
                tcb.state = TcpState::FinWait1;
                TcpAction::ResponseClose { check, read }
            } else {
                TcpAction::ResponsePart { len: data_len, check }
            }
        }
        (TcpState::FinWait1, true) if seg.flags.fin() => {
            tcb.rcv_nxt = seg.seq.wrapping_add(u32::from(seg.payload_len) + 1);
            TcpAction::ServerFin
        }
        (TcpState::SynRecv | TcpState::Established, false) if data_len > 0 => {
            if tcb.state == TcpState::SynRecv {
                tcb.ack.srtt = now.since(tcb.started);
            }
            tcb.state = TcpState::Established;
            let end = seg.seq.wrapping_add(data_len);
            // Data already received: the client resent its request (the response was
            // lost or late).
            let dup = seg.seq != tcb.rcv_nxt && tcb.rcv_nxt.wrapping_sub(end).cast_signed() >= 0;
            if dup {
                // tcp_data_queue: "A retransmit, 2nd most common case. Force an
                // immediate ack."
                tcb.ack.enter_quickack_mode();
            } else {
                tcb.rcv_nxt = end;
                tcb.ack.data_recv(now, seg.payload_len, seg.flags);
            }
            let check = tcb.ack.snd_check(now);
            if !pushed {
                return TcpAction::RequestPart { dup, len: if dup { 0 } else { data_len }, check };
            }
            let read = if check.is_now() { None } else { tcb.ack.app_read(tcb.rcv_nxt) };
            // The request's size: from where it started (req_seq) to its pushed end.
            let len = if dup {
                0
            } else {
                let len = tcb.rcv_nxt.wrapping_sub(tcb.req_seq);
                tcb.req_seq = tcb.rcv_nxt;
                len
            };
            TcpAction::Request { dup, len, check, read }
        }
        (TcpState::SynRecv, false) if seg.flags.ack() && !seg.flags.fin() => {
            tcb.state = TcpState::Established;
            tcb.ack.srtt = now.since(tcb.started);
            TcpAction::HandshakeAck
        }
        (TcpState::Established | TcpState::SynRecv, false) if seg.flags.fin() => {
            tcb.rcv_nxt = seg.seq.wrapping_add(1);
            tcb.state = TcpState::LastAck;
            // tcp_fin: CLOSE_WAIT, in pingpong mode, so the ACK waits for our own FIN.
            tcb.ack.fin_recv();
            TcpAction::ClientFin { check: tcb.ack.snd_check(now) }
        }
        (TcpState::LastAck, false) if seg.flags.ack() => TcpAction::LastAck,
        (TcpState::Established, _) if data_len == 0 && !seg.flags.fin() => TcpAction::Ack,
        _ => TcpAction::BadState,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    const SYN: TcpFlags = TcpFlags::SYN;
    const ACK: TcpFlags = TcpFlags::ACK;
    const SA: TcpFlags = TcpFlags::SYN.union(TcpFlags::ACK);
    const PA: TcpFlags = TcpFlags::PSH.union(TcpFlags::ACK);
    const FA: TcpFlags = TcpFlags::FIN.union(TcpFlags::ACK);
    const RST: TcpFlags = TcpFlags::RST;

    const STARTED: SimTime = SimTime(1_000_000);
    /// 300 µs after the socket started: the RTT a first sample reads.
    const NOW: SimTime = SimTime(1_300_000);

    /// A control block in `state`; it has received up to `rcv_nxt`.
    fn tcb(is_client: bool, state: TcpState, rcv_nxt: u32) -> Tcb {
        Tcb {
            host: 0,
            app: 0,
            local: (Ipv4Addr::new(10, 0, 0, 1), 40001),
            remote: (Ipv4Addr::new(10, 0, 0, 2), 80),
            state,
            iss: 100,
            snd_nxt: 101,
            rcv_nxt,
            started: STARTED,
            retries: 0,
            generation: 1,
            mss: 1460,
            req_seq: rcv_nxt,
            is_client,
            req_len: 300,
            left: 0,
            ack: Ack::new(rcv_nxt),
        }
    }

    fn seg(flags: TcpFlags, seq: u32, len: u16) -> TcpRepr {
        TcpRepr { src_port: 80, dst_port: 40001, seq, ack: 101, flags, window: 65535, payload_len: len }
    }

    /// The fields a decision may change, to compare control blocks (`Tcb` has no `Eq`).
    fn key(t: &Tcb) -> (TcpState, u32, u32, u32, u8, u16, Ack) {
        (t.state, t.rcv_nxt, t.req_seq, t.generation, t.retries, t.left, t.ack)
    }

    #[test]
    fn client_syn_ack_establishes_and_sends_the_request() {
        // RFC 793 SYN-SENT: a SYN-ACK sets RCV.NXT = SEG.SEQ + 1 (the SYN takes one
        // sequence number) and enters ESTABLISHED; the handshake's round trip (300 µs,
        // NOW − STARTED) is the first RTT sample. A new generation makes the SYN's
        // retransmission timer stale.
        let mut t = tcb(true, TcpState::SynSent, 0);
        let a = on_segment(&mut t, &seg(SA, 5000, 0), NOW);
        assert_eq!(a, TcpAction::Established { after: SimDuration::from_micros(300), request: 300 });
        assert_eq!((t.state, t.rcv_nxt, t.generation), (TcpState::Established, 5001, 2));
        assert_eq!(t.ack.srtt, SimDuration::from_micros(300));
        // Karn: after a resent SYN the round trip is ambiguous, no sample.
        let mut t = tcb(true, TcpState::SynSent, 0);
        t.retries = 1;
        on_segment(&mut t, &seg(SA, 5000, 0), NOW);
        assert_eq!(t.ack.srtt, SimDuration::ZERO);
    }

    #[test]
    fn server_handshake_ack_establishes() {
        // SYN-RECEIVED + ACK → ESTABLISHED, the SYN-ACK's round trip sampled.
        let mut t = tcb(false, TcpState::SynRecv, 1001);
        assert_eq!(on_segment(&mut t, &seg(ACK, 1001, 0), NOW), TcpAction::HandshakeAck);
        assert_eq!(t.state, TcpState::Established);
        assert_eq!(t.ack.srtt, SimDuration::from_micros(300));
    }

    #[test]
    fn server_reads_a_request_up_to_its_pushed_end() {
        // A 1500-byte request in two segments, 1460 then 40 pushed: the first is data
        // only, the pushed one ends a request of 1460 + 40 = 1500 bytes counted from
        // where it started (req_seq 1001), and the next request starts at 2501.
        let mut t = tcb(false, TcpState::Established, 1001);
        let TcpAction::RequestPart { dup: false, len: 1460, .. } = on_segment(&mut t, &seg(ACK, 1001, 1460), NOW)
        else {
            panic!("first segment is part of the request")
        };
        assert_eq!(t.rcv_nxt, 2461);
        let TcpAction::Request { dup: false, len: 1500, .. } = on_segment(&mut t, &seg(PA, 2461, 40), NOW) else {
            panic!("the pushed segment ends the request")
        };
        assert_eq!((t.rcv_nxt, t.req_seq), (2501, 2501));
    }

    #[test]
    fn a_resent_request_is_a_duplicate_acked_at_once() {
        // Bytes 1001..1101 already received (rcv_nxt 1101): a copy is a duplicate, of
        // length 0 for the application; tcp_data_queue forces an immediate ACK.
        let mut t = tcb(false, TcpState::Established, 1101);
        let TcpAction::Request { dup: true, len: 0, check, read: None } = on_segment(&mut t, &seg(PA, 1001, 100), NOW)
        else {
            panic!("a duplicate")
        };
        assert!(check.is_now());
        assert_eq!((t.rcv_nxt, t.req_seq), (1101, 1101));
    }

    #[test]
    fn client_reads_responses_then_closes() {
        // Keep-alive with one request left: the pushed end of a response sends the next
        // (left 1 → 0); the last response moves the client to FIN_WAIT1. A segment
        // without PSH is part of a response. RCV.NXT advances by each segment's length.
        let mut t = tcb(true, TcpState::Established, 5001);
        t.left = 1;
        t.retries = 2;
        let a = on_segment(&mut t, &seg(ACK, 5001, 1460), NOW);
        assert!(matches!(a, TcpAction::ResponsePart { len: 1460, .. }));
        let a = on_segment(&mut t, &seg(PA, 6461, 40), NOW);
        assert!(matches!(a, TcpAction::ResponseNext { left: 0, .. }));
        assert_eq!((t.rcv_nxt, t.left, t.retries, t.state), (6501, 0, 0, TcpState::Established));
        let a = on_segment(&mut t, &seg(PA, 6501, 200), NOW);
        assert!(matches!(a, TcpAction::ResponseClose { .. }));
        assert_eq!((t.rcv_nxt, t.state), (6701, TcpState::FinWait1));
    }

    #[test]
    fn fin_from_the_client_puts_the_server_in_last_ack() {
        // The FIN takes one sequence number (RCV.NXT = 2000 + 1); the server answers with
        // its own FIN at once, so it goes to LAST_ACK; the ACK of that FIN frees it.
        let mut t = tcb(false, TcpState::Established, 2000);
        assert!(matches!(on_segment(&mut t, &seg(FA, 2000, 0), NOW), TcpAction::ClientFin { .. }));
        assert_eq!((t.state, t.rcv_nxt), (TcpState::LastAck, 2001));
        assert_eq!(on_segment(&mut t, &seg(ACK, 2001, 0), NOW), TcpAction::LastAck);
    }

    #[test]
    fn fin_from_the_server_ends_the_client() {
        // FIN_WAIT1 + FIN: RCV.NXT = SEG.SEQ + length + 1 = 9000 + 0 + 1.
        let mut t = tcb(true, TcpState::FinWait1, 9000);
        assert_eq!(on_segment(&mut t, &seg(FA, 9000, 0), NOW), TcpAction::ServerFin);
        assert_eq!(t.rcv_nxt, 9001);
    }

    #[test]
    fn rst_resets_in_every_state_without_touching_the_block() {
        for (client, state) in [
            (true, TcpState::SynSent),
            (true, TcpState::Established),
            (true, TcpState::FinWait1),
            (false, TcpState::SynRecv),
            (false, TcpState::Established),
            (false, TcpState::LastAck),
        ] {
            let mut t = tcb(client, state, 7000);
            let before = key(&t);
            assert_eq!(on_segment(&mut t, &seg(RST, 7000, 0), NOW), TcpAction::Reset, "{state:?}");
            assert_eq!(key(&t), before);
        }
    }

    #[test]
    fn out_of_state_segments_are_refused_and_change_nothing() {
        // Segments no modelled state expects: a bare ACK or a SYN to a client still in
        // SYN_SENT (no SYN-ACK), a second SYN to a server in SYN_RECV, data to a client
        // that already sent its FIN, a SYN to a server in LAST_ACK. (A data-less segment
        // to an established socket, even a resent SYN-ACK, is taken as an ACK.)
        for (client, state, flags, len) in [
            (true, TcpState::SynSent, ACK, 0),
            (true, TcpState::SynSent, SYN, 0),
            (false, TcpState::SynRecv, SYN, 0),
            (true, TcpState::FinWait1, PA, 100),
            (false, TcpState::LastAck, SYN, 0),
        ] {
            let mut t = tcb(client, state, 7000);
            let before = key(&t);
            assert_eq!(on_segment(&mut t, &seg(flags, 7000, len), NOW), TcpAction::BadState, "{state:?} {flags:?}");
            assert_eq!(key(&t), before);
        }
    }

    #[test]
    fn a_pure_ack_on_an_established_connection_does_nothing() {
        let mut t = tcb(true, TcpState::Established, 5001);
        let before = key(&t);
        assert_eq!(on_segment(&mut t, &seg(ACK, 5001, 0), NOW), TcpAction::Ack);
        assert_eq!(key(&t), before);
    }
}
