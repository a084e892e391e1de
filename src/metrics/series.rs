//! Time series for batch runs: the cumulative counters sampled at the end of every fixed
//! bin (an `Event::Sample` per bin, never per packet), so memory grows with the number
//! of bins, not with traffic. Rates per bin are differences of consecutive samples.

use crate::sim::SimDuration;

/// The counters at one instant (cumulative since the start, except the gauges).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Sample {
    pub t_ns: u64,
    /// All clients: connections/requests started, completed, failed (refused,
    /// unreachable or timed out).
    pub started: u64,
    pub completed: u64,
    pub failed: u64,
    pub latency_sum_ns: u128,
    /// Per server application: connections accepted (TCP) or requests answered (UDP).
    pub served: Vec<u64>,
    /// Per server application, a gauge: IPVS `activeconns` of its real-server entries.
    pub active: Vec<u32>,
    /// Per server application, a gauge: IPVS `inactconns`.
    pub inactive: Vec<u32>,
    /// Per host: frames received, frames dropped there, CPU time used, bytes sent and
    /// received on its links.
    pub rx: Vec<u64>,
    pub dropped: Vec<u64>,
    pub cpu_ns: Vec<u64>,
    pub tx_bytes: Vec<u64>,
    pub rx_bytes: Vec<u64>,
    /// Drops anywhere (hosts and switches).
    pub drops_total: u64,
}

/// Samples every `bin`, the first one at time 0 (all zero).
#[derive(Clone, Debug)]
pub struct Series {
    pub bin: SimDuration,
    pub samples: Vec<Sample>,
}

impl Series {
    pub fn new(bin: SimDuration) -> Self {
        Series { bin, samples: Vec::new() }
    }
}
