//! The kernel's rate estimator (`net/netfilter/ipvs/ip_vs_est.c`, the timer version of
//! Linux 4.1 to 6.1), integer arithmetic and all: what `ipvsadm -Ln --rate` prints.
//!
//! Every 2 seconds (`estimation_timer`, armed `jiffies + 2*HZ` when IPVS starts) each
//! estimator takes the counters' growth since its last sample and moves an exponentially
//! weighted average a quarter of the way towards it:
//!
//! ```text
//! avgrate = avgrate·(1 − W) + rate·W,   W = 2^−2
//! ```
//!
//! Connections and packets per second are stored scaled by 2^10, bytes per second by 2^5;
//! the difference over 2 s is shifted by 9 (= ·2^10 / 2) or 4 (= ·2^5 / 2). Reading
//! (`ip_vs_read_estimator`) rounds to the nearest unit: `(x + 0x1FF) >> 10` and
//! `(x + 0xF) >> 5` (halves round down).

use super::state::Dir;

/// Packet and byte counters (`ipvsadm -Ln --stats`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    pub conns: u64,
    pub inpkts: u64,
    pub outpkts: u64,
    pub inbytes: u64,
    pub outbytes: u64,
}

impl Stats {
    /// One packet of `bytes` in direction `dir` (Output = server → client).
    pub(crate) fn count(&mut self, dir: Dir, bytes: u64) {
        if dir == Dir::Output {
            self.outpkts += 1;
            self.outbytes += bytes;
        } else {
            self.inpkts += 1;
            self.inbytes += bytes;
        }
    }
}

/// Decoded rates, as `ip_vs_read_estimator` returns them (per second).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Rates {
    pub cps: u64,
    pub inpps: u64,
    pub outpps: u64,
    /// Bytes per second (ipvsadm's `InBPS` column is bytes, despite the name).
    pub inbps: u64,
    pub outbps: u64,
}

/// `struct ip_vs_estimator`: the counters at the last sample and the scaled averages.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RateEstimator {
    last_conns: u64,
    last_inpkts: u64,
    last_outpkts: u64,
    last_inbytes: u64,
    last_outbytes: u64,
    /// Scaled by 2^10.
    cps: u64,
    /// Scaled by 2^10.
    inpps: u64,
    /// Scaled by 2^10.
    outpps: u64,
    /// Scaled by 2^5.
    inbps: u64,
    /// Scaled by 2^5.
    outbps: u64,
}

/// One EWMA step: `avg += ((s64)rate − (s64)avg) >> 2`, with the kernel's u64 wrapping and
/// arithmetic (flooring) right shift of a negative difference.
fn ewma(avg: &mut u64, rate: u64) {
    let diff = (rate.cast_signed().wrapping_sub(avg.cast_signed())) >> 2;
    *avg = avg.wrapping_add(diff.cast_unsigned());
}

/// The growth of one counter since the last sample, scaled: `(now − last) << shift`,
/// wrapping in u64 as the kernel's does.
fn delta(now: u64, last: &mut u64, shift: u32) -> u64 {
    let d = now.wrapping_sub(*last) << shift;
    *last = now;
    d
}

impl RateEstimator {
    /// One run of `estimation_timer` for these counters (call every 2 s).
    pub fn sample(&mut self, s: &Stats) {
        // Scaled by 2^10, but divided by 2 seconds: << 9.
        ewma(&mut self.cps, delta(s.conns, &mut self.last_conns, 9));
        ewma(&mut self.inpps, delta(s.inpkts, &mut self.last_inpkts, 9));
        ewma(&mut self.outpps, delta(s.outpkts, &mut self.last_outpkts, 9));
        // Scaled by 2^5, but divided by 2 seconds: << 4.
        ewma(&mut self.inbps, delta(s.inbytes, &mut self.last_inbytes, 4));
        ewma(&mut self.outbps, delta(s.outbytes, &mut self.last_outbytes, 4));
    }

    /// Whether every average is 0 and the counters have not moved since the last sample:
    /// then every further sample is a no-op until a counter moves, so the engine may skip
    /// them (an idle director costs nothing per 2 s).
    pub fn settled(&self, s: &Stats) -> bool {
        (self.cps | self.inpps | self.outpps | self.inbps | self.outbps) == 0
            && (self.last_conns, self.last_inpkts, self.last_outpkts, self.last_inbytes, self.last_outbytes)
                == (s.conns, s.inpkts, s.outpkts, s.inbytes, s.outbytes)
    }

    /// `ip_vs_read_estimator`: the averages unscaled, rounded.
    pub fn rates(&self) -> Rates {
        Rates {
            cps: self.cps.wrapping_add(0x1FF) >> 10,
            inpps: self.inpps.wrapping_add(0x1FF) >> 10,
            outpps: self.outpps.wrapping_add(0x1FF) >> 10,
            inbps: self.inbps.wrapping_add(0xF) >> 5,
            outbps: self.outbps.wrapping_add(0xF) >> 5,
        }
    }

    /// `ip_vs_zero_estimator` (`ipvsadm -Z`): forget the averages, count from `s` on.
    pub fn zero(&mut self, s: &Stats) {
        *self = RateEstimator {
            last_conns: s.conns,
            last_inpkts: s.inpkts,
            last_outpkts: s.outpkts,
            last_inbytes: s.inbytes,
            last_outbytes: s.outbytes,
            ..RateEstimator::default()
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stats(conns: u64, inpkts: u64, inbytes: u64) -> Stats {
        Stats { conns, inpkts, outpkts: 0, inbytes, outbytes: 0 }
    }

    #[test]
    fn first_sample_is_a_quarter_of_the_rate() {
        // 8 connections in 2 s = 4/s; the average moves 1/4 of the way from 0: 1/s.
        // Scaled: (8 << 9) >> 2 = 1024 = 1.0 · 2^10, read back exactly as 1.
        let mut e = RateEstimator::default();
        e.sample(&stats(8, 64, 4000));
        assert_eq!(e.cps, 1024);
        // 64 packets in 2 s = 32/s → 8/s; 4000 bytes in 2 s = 2000 B/s → 500 B/s.
        assert_eq!(e.rates(), Rates { cps: 1, inpps: 8, outpps: 0, inbps: 500, outbps: 0 });
    }

    #[test]
    fn converges_to_a_steady_rate() {
        // A steady 100 conns/s: after n samples the average is 100·(1 − (3/4)^n), so
        // after 40 samples it reads 100 (the integer steps stop within a unit of it).
        let mut e = RateEstimator::default();
        for i in 1..=40 {
            e.sample(&stats(200 * i, 0, 0));
        }
        assert_eq!(e.rates().cps, 100);
    }

    #[test]
    fn decays_when_traffic_stops() {
        // After traffic stops, each sample keeps 3/4 (floored through the signed
        // shift), so the rate reaches 0 instead of sticking at a remainder.
        let mut e = RateEstimator::default();
        e.sample(&stats(200, 0, 0));
        let after_burst = e.rates().cps;
        for _ in 0..60 {
            e.sample(&stats(200, 0, 0));
        }
        assert_eq!(after_burst, 25);
        assert_eq!(e.rates().cps, 0);
        assert_eq!(e.cps, 0);
    }

    #[test]
    fn read_rounds_halves_down() {
        // ip_vs_read_estimator adds 0x1FF (just under one half of 2^10): 511/1024
        // reads 0, 512/1024 reads 0 too (half rounds down), 513/1024 reads 1.
        let e = |cps| RateEstimator { cps, ..RateEstimator::default() };
        assert_eq!(e(511).rates().cps, 0);
        assert_eq!(e(512).rates().cps, 0);
        assert_eq!(e(513).rates().cps, 1);
        // Bytes: 0xF of 2^5 = 32: 16/32 reads 0, 17/32 reads 1.
        let b = |inbps| RateEstimator { inbps, ..RateEstimator::default() };
        assert_eq!(b(16).rates().inbps, 0);
        assert_eq!(b(17).rates().inbps, 1);
    }

    #[test]
    fn zero_restarts_from_current_counters() {
        // -Z: the next sample measures only what came after the reset.
        let mut e = RateEstimator::default();
        e.sample(&stats(1000, 0, 0));
        e.zero(&stats(1000, 0, 0));
        e.sample(&stats(1008, 0, 0));
        assert_eq!(e.rates().cps, 1);
    }
}
