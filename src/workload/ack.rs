//! When a receiver acknowledges data: quick ACKs, delayed ACKs and the interactive
//! ("pingpong") mode, as Linux 6.1 decides them (`icsk_ack` in `inet_connection_sock.h`,
//! `net/ipv4/tcp_input.c`, `tcp_output.c`, `tcp_timer.c`, `tcp.c`).
//!
//! ```text
//!  data segment ─► data_recv (tcp_event_data_recv: rcv_mss, quick, ato)
//!                     │
//!                     ▼
//!                 snd_check (__tcp_ack_snd_check) ── quick ACK mode ──► ACK now
//!                     │ otherwise
//!                     ▼
//!                 send_delayed_ack (tcp_send_delayed_ack) ──► timer at now + ato (40 ms)
//!                     │
//!  application reads ─► app_read (tcp_cleanup_rbuf) ── > 1 MSS unacknowledged,
//!                     │                                 or pushed and not interactive ──► ACK now
//!                     ▼
//!  any segment with ACK ─► ack_sent (tcp_event_ack_sent): the pending ACK rides on it
//!  timer expires ───────► timer_fired (tcp_delack_timer_handler) ──► ACK now
//! ```
//!
//! A new connection starts in quick ACK mode: the first data segment sets
//! `quick = min(rcv_wnd / (2 * rcv_mss), TCP_MAX_QUICKACKS)` (16 with lvsim's 64240-byte
//! window), and every ACK of new data spends one. A socket that answers within `ato` of
//! receiving (a request/response exchange) enters pingpong mode (threshold 1 since the
//! 2022 revert of "tcp: change pingpong threshold to 3"), and so does one that receives a
//! FIN: such a socket delays its ACKs, expecting its answer to carry them.
//!
//! One piece is decided by lvsim's applications rather than copied: `__tcp_ack_snd_check`
//! also ACKs at once after more than one full segment *if the receive window would not
//! shrink*. It shrinks while data waits unread, and lvsim's applications read a message
//! when its last (pushed) segment arrives, so in lvsim that ACK always comes from
//! `tcp_cleanup_rbuf` when the application reads, as in the kernel captures
//! (kernel/tcp/acks.out, cases D and E): after the quick ACKs run out, a 28-segment
//! response got one ACK, when the reader took it all.

use crate::packet::TcpFlags;
use crate::sim::{SimDuration, SimTime};

/// `TCP_MAX_QUICKACKS`: most quick ACKs granted at once.
pub const TCP_MAX_QUICKACKS: u32 = 16;
/// `TCP_ATO_MIN` (`HZ / 25`): the delayed-ACK timeout to start from, 40 ms.
pub const TCP_ATO_MIN: SimDuration = SimDuration::from_millis(40);
/// `TCP_DELACK_MIN` (`HZ / 25`), 40 ms.
pub const TCP_DELACK_MIN: SimDuration = SimDuration::from_millis(40);
/// `TCP_DELACK_MAX` (`HZ / 5`): the longest an ACK waits, 200 ms.
pub const TCP_DELACK_MAX: SimDuration = SimDuration::from_millis(200);
/// `TCP_PINGPONG_THRESH`: answers within `ato` before a socket counts as interactive.
pub const TCP_PINGPONG_THRESH: u8 = 1;
/// The receive window lvsim's sockets offer (`tcp_select_initial_window`: 64 KiB rounded
/// down to a multiple of the 1460-byte MSS, 44 × 1460).
pub const TCP_RCV_WND: u32 = 64240;
/// `TCP_MSS_DEFAULT`: the receiver's first guess of the peer's MSS.
const TCP_MSS_DEFAULT: u16 = 536;
/// `TCP_MIN_MSS`.
const TCP_MIN_MSS: u16 = 88;
/// `sizeof(struct tcphdr)`; lvsim's segments carry no options, so also `tcp_header_len`.
const TCP_HEADER_LEN: u16 = 20;
/// `HZ / 2`: the bound on a delayed ACK of a non-interactive socket.
const HALF_SECOND: SimDuration = SimDuration::from_millis(500);

/// A socket's receive-side ACK state: `icsk_ack` plus `tp->rcv_wup`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ack {
    /// `ICSK_ACK_SCHED`: data (or a FIN) arrived that no segment has acknowledged yet.
    pub scheduled: bool,
    /// `ICSK_ACK_TIMER` with `icsk_ack.timeout`: the delayed-ACK timer is due then.
    pub timer: Option<SimTime>,
    /// When the engine's delayed-ACK event for this socket is due (at most one waits).
    pub armed: Option<SimTime>,
    /// `ICSK_ACK_PUSHED`: a pushed or short segment arrived (end of a write).
    pushed: bool,
    /// `ICSK_ACK_PUSHED2`: a second one before an ACK.
    pushed2: bool,
    /// `icsk_ack.quick`: ACKs still to send at once.
    pub quick: u8,
    /// `icsk_ack.pingpong`: answers sent within `ato` of receiving.
    pub pingpong: u8,
    /// `icsk_ack.ato`: the delayed-ACK timeout; zero until the first data segment.
    pub ato: SimDuration,
    /// `icsk_ack.lrcvtime`: when data last arrived.
    lrcvtime: SimTime,
    /// `icsk_ack.rcv_mss`: the receiver's estimate of the peer's MSS.
    pub rcv_mss: u16,
    /// `icsk_ack.last_seg_size`.
    last_seg_size: u16,
    /// `tp->rcv_wup`: `rcv_nxt` when the last ACK left.
    pub rcv_wup: u32,
    /// The smoothed RTT the kernel would have from the handshake (zero: none).
    pub srtt: SimDuration,
}

/// What `__tcp_ack_snd_check` and `tcp_send_delayed_ack` decided for a segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Check {
    /// Quick ACK mode: ACK at once (`quick` ACKs were left before this one).
    Quick { quick: u8 },
    /// The delayed-ACK timer was about to expire anyway: ACK at once.
    TimerDue,
    /// Delayed: the timer fires at this time unless a segment carries the ACK first.
    Delayed { due: SimTime, pingpong: bool },
}

/// Why `tcp_cleanup_rbuf` ACKs when the application reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Read {
    /// More than one MSS arrived unacknowledged.
    MoreThanOneMss,
    /// The end of a write (a pushed or short segment) on a socket that is not interactive.
    Pushed,
}

impl Check {
    /// Whether an ACK must leave now.
    pub const fn is_now(self) -> bool {
        matches!(self, Check::Quick { .. } | Check::TimerDue)
    }
}

impl Ack {
    /// A socket just connected (`tcp_finish_connect`, `tcp_create_openreq_child`), with
    /// `rcv_mss` from `tcp_initialize_rcv_mss`: min(advmss, mss, rcv_wnd / 2, 536), at
    /// least `TCP_MIN_MSS`; lvsim advertises a 1460-byte MSS.
    pub fn new(rcv_nxt: u32) -> Ack {
        let half_window = (TCP_RCV_WND / 2).min(u32::from(u16::MAX)) as u16;
        let hint = super::DEFAULT_MSS.min(half_window).min(TCP_MSS_DEFAULT);
        Ack {
            scheduled: false,
            timer: None,
            armed: None,
            pushed: false,
            pushed2: false,
            quick: 0,
            pingpong: 0,
            ato: SimDuration::ZERO,
            lrcvtime: SimTime::ZERO,
            rcv_mss: hint.max(TCP_MIN_MSS),
            last_seg_size: 0,
            rcv_wup: rcv_nxt,
            srtt: SimDuration::ZERO,
        }
    }

    /// `inet_csk_in_pingpong_mode`.
    pub const fn in_pingpong_mode(&self) -> bool {
        self.pingpong >= TCP_PINGPONG_THRESH
    }

    /// `tcp_in_quickack_mode`: quick ACKs left and not interactive.
    pub const fn in_quickack_mode(&self) -> bool {
        self.quick > 0 && !self.in_pingpong_mode()
    }

    /// `icsk_rto` as the kernel computes it after one RTT sample: srtt + max(rttvar,
    /// `TCP_RTO_MIN`), which is srtt + 200 ms on any path lvsim models.
    pub fn rto(&self) -> SimDuration {
        self.srtt + SimDuration::from_nanos(super::TCP_RTO_MIN_NS)
    }

    /// `tcp_incr_quickack`: grant quick ACKs, never fewer than are left.
    fn incr_quickack(&mut self) {
        let mut quickacks = TCP_RCV_WND / (2 * u32::from(self.rcv_mss));
        if quickacks == 0 {
            quickacks = 2;
        }
        let quickacks = quickacks.min(TCP_MAX_QUICKACKS) as u8;
        if quickacks > self.quick {
            self.quick = quickacks;
        }
    }

    /// `tcp_enter_quickack_mode`: a duplicate segment (a retransmission) arrived: ACK it
    /// at once, and the next few too.
    pub fn enter_quickack_mode(&mut self) {
        self.incr_quickack();
        self.pingpong = 0;
        self.ato = TCP_ATO_MIN;
        self.scheduled = true;
    }

    /// `tcp_measure_rcv_mss`, with 6.1.y's "tcp: fix delayed ACKs for MSS boundary
    /// condition" (a full-sized pushed segment counts as the end of a write).
    fn measure_rcv_mss(&mut self, len: u16, flags: TcpFlags) {
        let lss = self.last_seg_size;
        self.last_seg_size = 0;
        if len >= self.rcv_mss {
            self.rcv_mss = len.min(super::DEFAULT_MSS);
            if flags.contains(TcpFlags::PSH) {
                self.pushed = true;
            }
            return;
        }
        // "len" is the segment length with the TCP header.
        let len = len + TCP_HEADER_LEN;
        // TCP_REMNANT: FIN, URG, SYN, PSH.
        let remnant = flags.fin() || flags.syn() || flags.contains(TcpFlags::PSH);
        if len >= TCP_MSS_DEFAULT + TCP_HEADER_LEN || (len >= TCP_MIN_MSS + TCP_HEADER_LEN && !remnant) {
            let len = len - TCP_HEADER_LEN;
            self.last_seg_size = len;
            if len == lss {
                self.rcv_mss = len;
                return;
            }
        }
        if self.pushed {
            self.pushed2 = true;
        }
        self.pushed = true;
    }

    /// `tcp_event_data_recv`: `len` bytes of new data arrived in order.
    pub fn data_recv(&mut self, now: SimTime, len: u16, flags: TcpFlags) {
        self.scheduled = true;
        self.measure_rcv_mss(len, flags);
        if self.ato == SimDuration::ZERO {
            // The first data segment: start the delayed-ACK engine in quick ACK mode.
            self.incr_quickack();
            self.ato = TCP_ATO_MIN;
        } else {
            let m = now.since(self.lrcvtime);
            let half = SimDuration::from_nanos(TCP_ATO_MIN.as_nanos() / 2);
            if m <= half {
                self.ato = SimDuration::from_nanos(self.ato.as_nanos() / 2) + half;
            } else if m < self.ato {
                self.ato = (SimDuration::from_nanos(self.ato.as_nanos() / 2) + m).min(self.rto());
            } else if m > self.rto() {
                // "Too long gap. Apparently sender failed to restart window."
                self.incr_quickack();
            }
        }
        self.lrcvtime = now;
    }

    /// `tcp_fin` in ESTABLISHED or SYN_RECV: the peer closed; the socket goes to
    /// CLOSE_WAIT in pingpong mode, expecting its own FIN to carry the ACK.
    pub fn fin_recv(&mut self) {
        self.scheduled = true;
        self.pingpong = TCP_PINGPONG_THRESH;
    }

    /// `__tcp_ack_snd_check` then, if it does not ACK, `tcp_send_delayed_ack`. An ACK is
    /// due (`Quick`, `TimerDue`) or the timer is armed (`Delayed`).
    pub fn snd_check(&mut self, now: SimTime) -> Check {
        // (rcv_nxt - rcv_wup > rcv_mss && window would not shrink) never holds here: see
        // the module documentation. ICSK_ACK_NOW is not modelled (no reordering, no ECN).
        if self.in_quickack_mode() {
            return Check::Quick { quick: self.quick };
        }
        self.send_delayed_ack(now)
    }

    /// `tcp_send_delayed_ack`.
    fn send_delayed_ack(&mut self, now: SimTime) -> Check {
        let mut ato = self.ato;
        if ato > TCP_DELACK_MIN {
            let mut max_ato = if self.in_pingpong_mode() || self.pushed { TCP_DELACK_MAX } else { HALF_SECOND };
            if self.srtt > SimDuration::ZERO {
                let rtt = self.srtt.max(TCP_DELACK_MIN);
                if rtt < max_ato {
                    max_ato = rtt;
                }
            }
            ato = ato.min(max_ato);
        }
        ato = ato.min(TCP_DELACK_MAX); // icsk_delack_max
        let mut timeout = now + ato;
        if let Some(old) = self.timer {
            // "If delack timer is about to expire, send ACK now."
            if old <= now + SimDuration::from_nanos(ato.as_nanos() / 4) {
                return Check::TimerDue;
            }
            // Use the new timeout only if there was no earlier one.
            timeout = timeout.min(old);
        }
        self.scheduled = true;
        self.timer = Some(timeout);
        Check::Delayed { due: timeout, pingpong: self.in_pingpong_mode() }
    }

    /// `tcp_cleanup_rbuf` after the application read everything that arrived: ACK now if
    /// more than one MSS is unacknowledged, or a pushed segment came and the socket is not
    /// interactive (or two came). `rcv_nxt` is the socket's.
    pub fn app_read(&self, rcv_nxt: u32) -> Option<Read> {
        if !self.scheduled {
            None
        } else if rcv_nxt.wrapping_sub(self.rcv_wup) > u32::from(self.rcv_mss) {
            Some(Read::MoreThanOneMss)
        } else if self.pushed2 || (self.pushed && !self.in_pingpong_mode()) {
            Some(Read::Pushed)
        } else {
            None
        }
    }

    /// `tcp_event_ack_sent` (and `tcp_select_window` setting `rcv_wup`): a segment with
    /// ACK left. One quick ACK is spent if it acknowledges new data (6.1.y's "tcp: fix
    /// quick-ack counting to count actual ACKs of new data"); the pending ACK, its timer
    /// and the pushed marks are cleared (`inet_csk_clear_xmit_timer(ICSK_TIME_DACK)`).
    pub fn ack_sent(&mut self, rcv_nxt: u32) {
        if self.quick > 0 {
            let pkts = u8::from(self.scheduled);
            if pkts >= self.quick {
                self.quick = 0;
                // Leaving quick ACK mode deflates ATO.
                self.ato = TCP_ATO_MIN;
            } else {
                self.quick -= pkts;
            }
        }
        self.scheduled = false;
        self.pushed = false;
        self.pushed2 = false;
        self.timer = None;
        self.rcv_wup = rcv_nxt;
    }

    /// `tcp_event_data_sent`: a segment with data left; an answer within `ato` of the
    /// last data received counts towards pingpong mode.
    pub fn data_sent(&mut self, now: SimTime) {
        if now.since(self.lrcvtime) < self.ato {
            self.pingpong = self.pingpong.saturating_add(1);
        }
    }

    /// `tcp_delack_timer_handler` at `now`: whether the delayed ACK is sent. A missed
    /// delayed ACK inflates `ato`, or ends pingpong mode.
    pub fn timer_fired(&mut self) -> bool {
        self.timer = None;
        if !self.scheduled {
            return false;
        }
        if self.in_pingpong_mode() {
            self.pingpong = 0;
            self.ato = TCP_ATO_MIN;
        } else {
            self.ato = SimDuration::from_nanos(self.ato.as_nanos() * 2).min(self.rto());
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(ms: u64) -> SimTime {
        SimTime::ZERO + SimDuration::from_millis(ms)
    }

    // The budget is min(rcv_wnd / (2 * rcv_mss), 16): 64240 / (2 * 536) = 59 with the
    // first guess of the MSS, so 16; a 100-byte request does not change the guess.
    #[test]
    fn first_data_grants_sixteen_quick_acks() {
        let mut a = Ack::new(1);
        assert_eq!(a.rcv_mss, 536);
        a.data_recv(at(0), 100, TcpFlags::PSH | TcpFlags::ACK);
        assert_eq!((a.quick, a.ato, a.rcv_mss), (16, TCP_ATO_MIN, 536));
        assert_eq!(a.snd_check(at(0)), Check::Quick { quick: 16 });
    }

    // Only ACKs of new data spend the budget: after 16 of them the socket leaves quick ACK
    // mode, and a data segment sent with nothing to acknowledge spends nothing.
    #[test]
    fn each_ack_of_new_data_spends_one() {
        let mut a = Ack::new(0);
        let mut rcv_nxt = 0u32;
        for i in 0..16 {
            rcv_nxt += 1460;
            a.data_recv(at(0), 1460, TcpFlags::ACK);
            assert!(matches!(a.snd_check(at(0)), Check::Quick { .. }), "segment {i}");
            a.ack_sent(rcv_nxt);
        }
        assert_eq!(a.quick, 0);
        a.ack_sent(rcv_nxt); // a data segment of our own: nothing new to acknowledge
        assert_eq!(a.quick, 0);
        rcv_nxt += 1460;
        a.data_recv(at(0), 1460, TcpFlags::ACK);
        assert_eq!(a.snd_check(at(0)), Check::Delayed { due: at(40), pingpong: false });
        assert_eq!(a.app_read(rcv_nxt), None, "one MSS unacknowledged, not pushed");
        rcv_nxt += 1460;
        a.data_recv(at(0), 1460, TcpFlags::ACK);
        assert_eq!(a.app_read(rcv_nxt), Some(Read::MoreThanOneMss));
    }

    // An answer within ato of the request makes the socket interactive: the next request
    // gets no quick ACK but a 40 ms timer, and reading it sends nothing (the answer will
    // carry the ACK). If the answer takes longer, the timer fires and pingpong mode ends.
    #[test]
    fn pingpong_delays_then_the_timer_ends_it() {
        let mut a = Ack::new(0);
        a.data_recv(at(0), 100, TcpFlags::PSH | TcpFlags::ACK);
        assert!(matches!(a.snd_check(at(0)), Check::Quick { .. }));
        a.ack_sent(100);
        a.ack_sent(100); // the response
        a.data_sent(at(0));
        assert!(a.in_pingpong_mode());
        a.data_recv(at(1), 100, TcpFlags::PSH | TcpFlags::ACK);
        assert_eq!(a.snd_check(at(1)), Check::Delayed { due: at(41), pingpong: true });
        assert_eq!(a.app_read(200), None);
        assert!(a.timer_fired());
        assert!(!a.in_pingpong_mode());
        assert_eq!(a.ato, TCP_ATO_MIN);
    }

    // A slow answer (after ato) does not count towards pingpong mode; a pushed request
    // read by a non-interactive socket out of quick ACKs is ACKed when read.
    #[test]
    fn slow_answers_stay_non_interactive() {
        let mut a = Ack::new(0);
        a.data_recv(at(0), 100, TcpFlags::PSH | TcpFlags::ACK);
        a.ack_sent(100);
        a.data_sent(at(50));
        assert!(!a.in_pingpong_mode());
        a.quick = 0;
        a.data_recv(at(51), 100, TcpFlags::PSH | TcpFlags::ACK);
        assert!(matches!(a.snd_check(at(51)), Check::Delayed { pingpong: false, .. }));
        assert_eq!(a.app_read(200), Some(Read::Pushed));
    }

    // A FIN puts the socket in pingpong mode with the ACK delayed: the application's
    // close sends a FIN that carries it.
    #[test]
    fn fin_delays_the_ack() {
        let mut a = Ack::new(0);
        a.data_recv(at(0), 100, TcpFlags::PSH | TcpFlags::ACK);
        a.ack_sent(100);
        a.fin_recv();
        assert_eq!(a.snd_check(at(5)), Check::Delayed { due: at(45), pingpong: true });
    }
}
