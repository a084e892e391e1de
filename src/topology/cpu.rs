//! A host's packet-processing capacity: one CPU that spends `per_packet` on every frame
//! it receives (the softirq work of receiving, routing, IPVS and transmitting it), in
//! arrival order, with a bounded backlog of frames waiting (`net.core.netdev_max_backlog`,
//! 1000 by default). A frame arriving when the backlog is full is dropped (`backlog_full`).
//!
//! Like a link, a FIFO server with a fixed cost needs no state but the time its last job
//! finishes (`busy_until`): the number waiting at `t` is `ceil((busy_until − t) / cost)`.
//! Hosts without a `cpu:` in the scenario have no `Cpu` and cost nothing (infinite capacity).

use crate::sim::{SimDuration, SimTime};

/// `net.core.netdev_max_backlog`.
pub const NETDEV_MAX_BACKLOG: u32 = 1000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cpu {
    /// CPU time each received frame costs.
    pub per_packet: SimDuration,
    /// Frames that may wait (not counting the one being processed).
    pub backlog: u32,
    busy_until: SimTime,
    /// CPU time spent so far (for utilisation).
    pub busy_ns: u64,
}

impl Cpu {
    pub fn new(per_packet: SimDuration, backlog: u32) -> Self {
        Cpu { per_packet, backlog, busy_until: SimTime::ZERO, busy_ns: 0 }
    }

    /// Frames waiting or in service at `now`.
    pub fn queued(&self, now: SimTime) -> u64 {
        self.busy_until.0.saturating_sub(now.0).div_ceil(self.per_packet.as_nanos().max(1))
    }

    /// Offers a frame at `now`: when its processing ends, or `None` when the backlog is full.
    pub fn offer(&mut self, now: SimTime) -> Option<SimTime> {
        if self.queued(now) > u64::from(self.backlog) {
            return None;
        }
        let start = self.busy_until.max(now);
        self.busy_until = start + self.per_packet;
        self.busy_ns += self.per_packet.as_nanos();
        Some(self.busy_until)
    }

    /// CPU time spent by `now` (work already started counts in full only once done).
    pub fn busy_by(&self, now: SimTime) -> u64 {
        self.busy_ns.saturating_sub(self.busy_until.0.saturating_sub(now.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_wait_in_order_and_overflow_drops() {
        // Cost 10 us, backlog 2: three frames at once finish at 10, 20, 30 us (one in
        // service, two waiting); a fourth is dropped; after the queue drains it is accepted.
        let mut c = Cpu::new(SimDuration::from_micros(10), 2);
        let t0 = SimTime::ZERO;
        assert_eq!(c.offer(t0), Some(SimTime(10_000)));
        assert_eq!(c.offer(t0), Some(SimTime(20_000)));
        assert_eq!(c.offer(t0), Some(SimTime(30_000)));
        assert_eq!(c.offer(t0), None);
        assert_eq!(c.queued(t0), 3);
        assert_eq!(c.offer(SimTime(30_000)), Some(SimTime(40_000)));
        // 40 us of work accepted, 30 us of it done at 35 us... busy_by counts what is done.
        assert_eq!(c.busy_by(SimTime(35_000)), 35_000);
    }
}
