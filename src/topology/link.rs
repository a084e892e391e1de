//! A full-duplex link between an interface and its switch: propagation latency,
//! serialization at the link rate, and a FIFO queue with tail drop in each direction.
//!
//! A FIFO at a fixed rate needs no events of its own: the queue is fully described by the
//! time its last queued bit leaves (`busy_until`). A frame offered at `t` starts sending
//! at `max(t, busy_until)`; the backlog in bytes is `(busy_until − t) × rate`.

use crate::sim::{SimDuration, SimTime};

/// Latency, bandwidth and queue size of a link.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LinkParams {
    /// One-way propagation delay.
    pub latency: SimDuration,
    /// Bits per second.
    pub bandwidth: u64,
    /// Queue limit in bytes (Linux `txqueuelen` 1000 × a full-size frame by default).
    pub queue_bytes: u64,
    /// Link MTU (the IP packet size limit of interfaces on this segment).
    pub mtu: u16,
}

impl Default for LinkParams {
    fn default() -> Self {
        LinkParams {
            latency: SimDuration::from_micros(10),
            bandwidth: 1_000_000_000,
            queue_bytes: 1000 * 1538,
            mtu: 1500,
        }
    }
}

/// One direction of a link.
#[derive(Clone, Copy, Debug, Default)]
pub struct Queue {
    busy_until: SimTime,
    /// The last frame size and its serialization time: sizes repeat, divisions are slow.
    last: (usize, u64),
}

#[derive(Clone, Debug)]
pub struct Link {
    pub params: LinkParams,
    /// Interface → switch.
    pub up: Queue,
    /// Switch → interface.
    pub down: Queue,
}

impl Link {
    pub fn new(params: LinkParams) -> Self {
        Link { params, up: Queue::default(), down: Queue::default() }
    }
}

impl Queue {
    /// Offers `bytes` at `now`: the arrival time at the far end, or `None` (tail drop)
    /// when the queue already holds `queue_bytes`.
    pub fn offer(&mut self, now: SimTime, bytes: usize, p: &LinkParams) -> Option<SimTime> {
        let backlog_ns = self.busy_until.0.saturating_sub(now.0);
        if backlog_ns > 0 {
            // ns × bit/s can exceed u64 only for backlogs of hours; saturate then.
            let backlog_bytes = backlog_ns.saturating_mul(p.bandwidth) / 8_000_000_000;
            if backlog_bytes + bytes as u64 > p.queue_bytes {
                return None;
            }
        } else if bytes as u64 > p.queue_bytes {
            return None;
        }
        let ser = if self.last.0 == bytes {
            self.last.1
        } else {
            let ser = (bytes as u64 * 8_000_000_000).div_ceil(p.bandwidth.max(1));
            self.last = (bytes, ser);
            ser
        };
        let start = self.busy_until.max(now);
        self.busy_until = start + SimDuration(ser);
        Some(self.busy_until + p.latency)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serialization_and_latency_add_up() {
        // 1250 bytes at 1 Gbit/s take 10 us; plus 10 us latency = arrival at 20 us.
        let p = LinkParams::default();
        let mut q = Queue::default();
        assert_eq!(q.offer(SimTime(0), 1250, &p), Some(SimTime(20_000)));
        // A second frame offered at once waits for the first: it arrives 10 us later.
        assert_eq!(q.offer(SimTime(0), 1250, &p), Some(SimTime(30_000)));
    }

    #[test]
    fn tail_drop_when_full() {
        // A queue of 3000 bytes accepts two 1250-byte frames at once and drops the third:
        // the backlog (2500) plus the frame (1250) would exceed 3000.
        let p = LinkParams { queue_bytes: 3000, ..LinkParams::default() };
        let mut q = Queue::default();
        assert!(q.offer(SimTime(0), 1250, &p).is_some());
        assert!(q.offer(SimTime(0), 1250, &p).is_some());
        assert!(q.offer(SimTime(0), 1250, &p).is_none());
        // Once the queue drains, frames are accepted again.
        assert!(q.offer(SimTime(1_000_000), 1250, &p).is_some());
    }
}
