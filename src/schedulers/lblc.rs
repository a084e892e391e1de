//! Locality-based least-connection (`net/netfilter/ipvs/ip_vs_lblc.c`).
//!
//! A cache maps each destination IP to a server. A hit refreshes `lastuse` and keeps the
//! server while it has weight > 0 and is not overloaded in lblc's sense ([`lblc_overloaded`]);
//! otherwise wlc chooses and the entry is replaced.
//!
//! Simplified garbage collection: instead of the kernel's 60 s timer (full check every 30th
//! run, purges above 16384 entries), entries unused for `lblc_expiration` (24 h) are dropped
//! when the scheduler is next called.

use super::{SchedCtx, Scheduler, wlc::Wlc};
use crate::dest::{Dest, DestId, Dests};
use crate::sim::{SimDuration, SimTime};
use std::collections::BTreeMap;
use std::net::Ipv4Addr;

/// `sysctl lblc_expiration` / `lblcr_expiration` default.
pub(super) const EXPIRATION: SimDuration = SimDuration::from_secs(24 * 60 * 60);
/// At most `CONFIG_IP_VS_LBLC_TAB_BITS`-derived 16384·3/2 entries are created.
pub(super) const MAX_ENTRIES: usize = 16384 * 3 / 2;

/// `is_overloaded` of lblc/lblcr: more active connections than its weight, while some
/// server of the service is less than half busy (activeconns·2 < weight). The OVERLOAD
/// flag plays no part.
pub(super) fn lblc_overloaded(d: &Dest, dests: &Dests) -> bool {
    d.activeconns > d.weight && dests.iter().any(|x| u64::from(x.activeconns) * 2 < u64::from(x.weight))
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    dest: DestId,
    lastuse: SimTime,
}

#[derive(Clone, Debug, Default)]
pub struct Lblc {
    cache: BTreeMap<Ipv4Addr, Entry>,
}

impl Scheduler for Lblc {
    fn name(&self) -> &'static str {
        "lblc"
    }

    fn init_service(&mut self, _dests: &Dests) {
        self.cache.clear();
    }

    fn schedule(&mut self, dests: &Dests, ctx: &SchedCtx) -> Option<usize> {
        let now = ctx.now;
        self.cache.retain(|_, e| now.since(e.lastuse) < EXPIRATION);
        if let Some(e) = self.cache.get_mut(&ctx.daddr) {
            e.lastuse = now;
            // A deleted server (in the kernel: not IP_VS_DEST_F_AVAILABLE) is not reused.
            if let Some(pos) = dests.iter().position(|d| d.id == e.dest) {
                let d = &dests[pos];
                if d.weight > 0 && !lblc_overloaded(d, dests) {
                    return Some(pos);
                }
            }
        }
        let pos = Wlc.schedule(dests, ctx)?;
        let id = dests[pos].id;
        let room = self.cache.len() < MAX_ENTRIES;
        match self.cache.get_mut(&ctx.daddr) {
            Some(e) => e.dest = id,
            None if room => {
                self.cache.insert(ctx.daddr, Entry { dest: id, lastuse: now });
            }
            None => {}
        }
        Some(pos)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedulers::testutil::{ctx, dests};

    fn at(daddr: [u8; 4], secs: u64) -> SchedCtx {
        let mut c = ctx();
        c.daddr = Ipv4Addr::from(daddr);
        c.now = SimTime::ZERO + SimDuration::from_secs(secs);
        c
    }

    fn pick(s: &mut Lblc, d: &Dests, c: &SchedCtx) -> Option<u32> {
        s.schedule(d, c).map(|p| d[p].id)
    }

    const A: [u8; 4] = [203, 0, 113, 1];
    const B: [u8; 4] = [203, 0, 113, 2];

    #[test]
    fn keeps_its_server_until_overloaded_by_lblc_rule() {
        // All idle: wlc gives the head (id 2). With 1 active (not > weight 1) it stays,
        // though wlc would now pick id 1; at 2 active with idle servers around it moves.
        let mut d = dests(&[1, 1, 1]);
        let mut s = Lblc::default();
        assert_eq!(pick(&mut s, &d, &at(A, 0)), Some(2));
        d[0].activeconns = 1;
        assert_eq!(pick(&mut s, &d, &at(A, 1)), Some(2));
        d[0].activeconns = 2;
        assert_eq!(pick(&mut s, &d, &at(A, 2)), Some(1));
        // The entry now says id 1.
        d[0].activeconns = 0;
        assert_eq!(pick(&mut s, &d, &at(A, 3)), Some(1));
    }

    #[test]
    fn not_overloaded_when_no_server_is_half_idle() {
        // The cached server has 5 active > weight 1, but every other has 1 active with
        // weight 1 (1·2 ≥ 1): the second condition fails, so it stays.
        let mut d = dests(&[1, 1, 1]);
        let mut s = Lblc::default();
        assert_eq!(pick(&mut s, &d, &at(A, 0)), Some(2));
        d[0].activeconns = 5;
        d[1].activeconns = 1;
        d[2].activeconns = 1;
        assert_eq!(pick(&mut s, &d, &at(A, 1)), Some(2));
    }

    #[test]
    fn overload_flag_ignored_on_a_hit_but_weight_zero_is_not() {
        // The threshold OVERLOAD flag is not checked for the cached server; weight 0 is.
        let mut d = dests(&[1, 1]);
        let mut s = Lblc::default();
        assert_eq!(pick(&mut s, &d, &at(A, 0)), Some(1));
        d[0].overloaded = true;
        assert_eq!(pick(&mut s, &d, &at(A, 1)), Some(1));
        d[0].overloaded = false;
        d[0].weight = 0;
        assert_eq!(pick(&mut s, &d, &at(A, 2)), Some(0));
    }

    #[test]
    fn each_destination_has_its_own_entry() {
        // A caches id 1; with id 1 busy (1 active) a new destination B gets wlc's id 0,
        // while A stays on id 1.
        let mut d = dests(&[1, 1]);
        let mut s = Lblc::default();
        assert_eq!(pick(&mut s, &d, &at(A, 0)), Some(1));
        d[0].activeconns = 1;
        assert_eq!(pick(&mut s, &d, &at(B, 1)), Some(0));
        assert_eq!(pick(&mut s, &d, &at(A, 2)), Some(1));
    }

    #[test]
    fn entries_unused_for_24h_are_dropped() {
        // Used at 0: kept at 24 h − 1 s (which refreshes it), dropped 24 h after that use,
        // so wlc decides again (id 0, id 1 having 1 active).
        let mut d = dests(&[1, 1]);
        let mut s = Lblc::default();
        let day = 24 * 3600;
        assert_eq!(pick(&mut s, &d, &at(A, 0)), Some(1));
        d[0].activeconns = 1;
        assert_eq!(pick(&mut s, &d, &at(A, day - 1)), Some(1));
        assert_eq!(pick(&mut s, &d, &at(A, 2 * day - 2)), Some(1));
        assert_eq!(pick(&mut s, &d, &at(A, 3 * day - 2)), Some(0));
    }

    #[test]
    fn deleted_server_is_replaced() {
        // The cached server deleted: wlc picks among the rest.
        let mut d = dests(&[1, 1]);
        let mut s = Lblc::default();
        assert_eq!(pick(&mut s, &d, &at(A, 0)), Some(1));
        let gone = d.remove(0);
        s.del_dest(&d, gone.id, 0);
        assert_eq!(pick(&mut s, &d, &at(A, 1)), Some(0));
    }

    #[test]
    fn none_when_nothing_available() {
        // No entry and every server quiescent: none, and nothing is cached.
        let d = dests(&[0, 0]);
        let mut s = Lblc::default();
        assert_eq!(pick(&mut s, &d, &at(A, 0)), None);
        assert!(s.cache.is_empty());
    }
}
