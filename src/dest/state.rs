//! IPVS TCP connection states and the kernel's transition tables
//! (`tcp_states` in `net/netfilter/ipvs/ip_vs_proto_tcp.c`), and the default timeouts.

use crate::sim::SimDuration;

/// Connection state, named as `ipvsadm -Lnc` prints it. `Udp` is the single UDP state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum State {
    None,
    Established,
    SynSent,
    SynRecv,
    FinWait,
    TimeWait,
    Close,
    CloseWait,
    LastAck,
    Listen,
    Synack,
    Udp,
    /// A persistence template once a controlled entry reached ESTABLISHED (TCP) or saw a
    /// reply (UDP) (`IP_VS_CTPL_S_ASSURED`); templates start in `None`.
    Assured,
}

use State::{
    Close as CL, CloseWait as CW, Established as ES, FinWait as FW, LastAck as LA, Listen as LI, SynRecv as SR,
    SynSent as SS, TimeWait as TW,
};

impl State {
    pub const fn name(self) -> &'static str {
        match self {
            State::None => "NONE",
            State::Established => "ESTABLISHED",
            State::SynSent => "SYN_SENT",
            State::SynRecv => "SYN_RECV",
            State::FinWait => "FIN_WAIT",
            State::TimeWait => "TIME_WAIT",
            State::Close => "CLOSE",
            State::CloseWait => "CLOSE_WAIT",
            State::LastAck => "LAST_ACK",
            State::Listen => "LISTEN",
            State::Synack => "SYNACK",
            State::Udp => "UDP",
            State::Assured => "ASSURED",
        }
    }

    /// Counted in ActiveConn (since Linux 4.8: ESTABLISHED and the pre-established states).
    pub const fn is_active(self) -> bool {
        matches!(self, State::Established | State::SynSent | State::SynRecv | State::Synack)
    }

    const fn index(self) -> usize {
        self as usize
    }
}

/// Which table a packet is run through.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dir {
    /// Client → server, NAT entries.
    Input,
    /// Server → client (seen only for NAT).
    Output,
    /// Client → server for entries flagged NOOUTPUT (DR, TUN).
    InputOnly,
}

// Rows: current state in `State` order (NONE..SYNACK); columns: SYN, FIN, ACK, RST.
const INPUT: [[State; 4]; 11] = [
    [SR, CL, ES, CL], // NONE
    [ES, CW, ES, CL], // ESTABLISHED
    [ES, SS, SS, CL], // SYN_SENT
    [SR, TW, ES, SR], // SYN_RECV
    [SR, TW, FW, CL], // FIN_WAIT
    [SR, TW, TW, CL], // TIME_WAIT
    [SR, CL, CL, CL], // CLOSE
    [SR, CW, CW, CL], // CLOSE_WAIT
    [SR, LA, CL, LA], // LAST_ACK
    [SR, LI, LI, LI], // LISTEN
    [SR, TW, ES, SR], // SYNACK
];

const OUTPUT: [[State; 4]; 11] = [
    [SS, TW, ES, CL], // NONE
    [ES, FW, ES, CL], // ESTABLISHED
    [SS, SS, SS, SS], // SYN_SENT
    [SR, TW, ES, CL], // SYN_RECV
    [SS, FW, FW, CL], // FIN_WAIT
    [SS, TW, TW, TW], // TIME_WAIT
    [SS, CL, CL, CL], // CLOSE
    [SS, TW, CW, CL], // CLOSE_WAIT
    [SS, LA, LA, CL], // LAST_ACK
    [LI, LI, ES, CL], // LISTEN
    [SR, TW, ES, CL], // SYNACK
];

const INPUT_ONLY: [[State; 4]; 11] = [
    [SR, CL, ES, CL], // NONE
    [ES, FW, ES, CL], // ESTABLISHED
    [ES, SS, SS, CL], // SYN_SENT
    [SR, TW, ES, SR], // SYN_RECV
    [SR, FW, FW, CL], // FIN_WAIT
    [SR, TW, TW, CL], // TIME_WAIT
    [SR, CL, CL, CL], // CLOSE
    [SR, CW, CW, CL], // CLOSE_WAIT
    [SR, LA, CL, LA], // LAST_ACK
    [SR, LI, LI, LI], // LISTEN
    [SR, TW, ES, CL], // SYNACK
];

/// Next TCP state for a packet with `flags` (`set_tcp_state`): classified by the first of
/// RST, SYN, FIN, ACK that is set; a packet with none of them moves the entry to CLOSE.
pub fn next(current: State, dir: Dir, flags: crate::packet::TcpFlags) -> State {
    let col = if flags.rst() {
        3
    } else if flags.syn() {
        0
    } else if flags.fin() {
        1
    } else if flags.ack() {
        2
    } else {
        return State::Close;
    };
    if matches!(current, State::Udp | State::Assured) {
        return current;
    }
    let table = match dir {
        Dir::Input => &INPUT,
        Dir::Output => &OUTPUT,
        Dir::InputOnly => &INPUT_ONLY,
    };
    table[current.index()][col]
}

/// Timeouts (`tcp_timeouts`, `udp_timeouts`); `ipvsadm --set` changes ESTABLISHED,
/// FIN_WAIT and UDP only.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timeouts {
    pub tcp: SimDuration,
    pub tcpfin: SimDuration,
    pub udp: SimDuration,
    /// (active, inactive): one timeout for every active and every inactive TCP state, as
    /// `lvsim sched --script` uses to mean "active until closed, inactive until expired".
    pub script: Option<(SimDuration, SimDuration)>,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            tcp: SimDuration::from_secs(900),
            tcpfin: SimDuration::from_secs(120),
            udp: SimDuration::from_secs(300),
            script: None,
        }
    }
}

impl Timeouts {
    pub fn of(&self, s: State) -> SimDuration {
        if let Some((active, inactive)) = self.script
            && !matches!(s, State::Udp | State::None | State::Assured)
        {
            return if s.is_active() { active } else { inactive };
        }
        let secs = match s {
            State::Established => return self.tcp,
            State::FinWait => return self.tcpfin,
            State::Udp => return self.udp,
            // Templates keep their own timeout (`Conn::timeout`); NONE's is for entries.
            State::None | State::Assured => 2,
            State::SynSent | State::TimeWait | State::Listen | State::Synack => 120,
            State::SynRecv | State::CloseWait => 60,
            State::Close => 10,
            State::LastAck => 30,
        };
        SimDuration::from_secs(secs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::packet::TcpFlags as F;

    fn run(dir_of: impl Fn(usize) -> Dir, pkts: &[F]) -> Vec<State> {
        let mut s = State::None;
        pkts.iter()
            .enumerate()
            .map(|(i, f)| {
                s = next(s, dir_of(i), *f);
                s
            })
            .collect()
    }

    #[test]
    fn dr_typical_run() {
        // Spec b.2 "DR/TUN": SYN→SYN_RECV, ACK→ESTABLISHED, client FIN→FIN_WAIT, last ACK
        // stays FIN_WAIT. The director sees only client→server packets.
        let got = run(|_| Dir::InputOnly, &[F::SYN, F::ACK, F::ACK | F::PSH, F::FIN | F::ACK, F::ACK]);
        assert_eq!(got, [SR, ES, ES, FW, FW]);
    }

    #[test]
    fn nat_client_closes_first() {
        // Spec b.2 "NAT, client closes first": SYN→SYN_RECV, SYN+ACK(out) stays SYN_RECV,
        // ACK→ESTABLISHED; client FIN→CLOSE_WAIT; server FIN(out)→TIME_WAIT.
        let dirs = [Dir::Input, Dir::Output, Dir::Input, Dir::Input, Dir::Output];
        let got = run(|i| dirs[i], &[F::SYN, F::SYN | F::ACK, F::ACK, F::FIN | F::ACK, F::FIN | F::ACK]);
        assert_eq!(got, [SR, SR, ES, CW, TW]);
    }

    #[test]
    fn active_states() {
        // Only ESTABLISHED and the pre-established states count in ActiveConn.
        let active: Vec<_> = [State::None, ES, SS, SR, FW, TW, CL, CW, LA, LI, State::Synack, State::Udp]
            .into_iter()
            .filter(|s| s.is_active())
            .collect();
        assert_eq!(active, [ES, SS, SR, State::Synack]);
        assert_eq!(Timeouts::default().of(TW).as_nanos(), 120_000_000_000);
    }
}
