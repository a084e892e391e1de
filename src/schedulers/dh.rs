//! Destination hashing (`net/netfilter/ipvs/ip_vs_dh.c`).
//!
//! 256 buckets; on `init_service`, `add_dest` and `del_dest` (not on weight edits) bucket i
//! gets the server at list position i mod n. A packet goes to bucket `hash_32(daddr, 8)`;
//! that server is returned unless it has weight 0 or OVERLOAD, then none (no fallback).

use super::{SchedCtx, Scheduler, available};
use crate::dest::{DestId, Dests};

/// `CONFIG_IP_VS_DH_TAB_BITS`.
const TAB_BITS: u32 = 8;
const TAB_SIZE: usize = 1 << TAB_BITS;

/// `hash_32` of `include/linux/hash.h`: the top `bits` bits of `val · GOLDEN_RATIO_32`.
pub(super) fn hash_32(val: u32, bits: u32) -> u32 {
    val.wrapping_mul(0x61C8_8647) >> (32 - bits)
}

#[derive(Clone, Debug)]
pub struct Dh {
    buckets: [Option<DestId>; TAB_SIZE],
}

impl Default for Dh {
    fn default() -> Self {
        Dh { buckets: [None; TAB_SIZE] }
    }
}

impl Dh {
    /// `ip_vs_dh_reassign`: bucket i = list[i mod n], weights ignored.
    fn reassign(&mut self, dests: &Dests) {
        for (i, b) in self.buckets.iter_mut().enumerate() {
            *b = (!dests.is_empty()).then(|| dests[i % dests.len()].id);
        }
    }
}

impl Scheduler for Dh {
    fn name(&self) -> &'static str {
        "dh"
    }

    fn changed(&mut self, dests: &Dests) {
        self.reassign(dests);
    }

    /// Weight edits do not rebuild the table (only add and delete do).
    fn upd_dest(&mut self, _dests: &Dests, _updated: DestId) {}

    fn schedule(&mut self, dests: &Dests, ctx: &SchedCtx) -> Option<usize> {
        let bucket = hash_32(u32::from(ctx.daddr), TAB_BITS) as usize;
        let id = self.buckets[bucket]?;
        let pos = dests.iter().position(|d| d.id == id)?;
        available(&dests[pos]).then_some(pos)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedulers::testutil::{ctx, dests};
    use std::net::Ipv4Addr;

    fn built(weights: &[u32]) -> (Dh, Dests) {
        let d = dests(weights);
        let mut s = Dh::default();
        s.init_service(&d);
        (s, d)
    }

    #[test]
    fn hash_32_matches_the_kernel() {
        // Spec c.8 self-test 12: 0xC0000207 → 125; the test VIP 10.0.0.100 → 248
        // ((0x0A000064 · 0x61C88647) mod 2^32 = 0xF8...).
        assert_eq!(hash_32(0xC000_0207, 8), 125);
        assert_eq!(hash_32(0x0A00_0064, 8), 248);
    }

    #[test]
    fn one_vip_one_server_whatever_the_client_and_weights() {
        // Bucket 248 holds list[248 mod 3] = list[2] = the oldest server (id 0), and the
        // weight-9 server gets nothing extra: weights are ignored.
        let (mut s, d) = built(&[1, 9, 1]);
        for (i, port) in (1..50u16).enumerate() {
            let mut c = ctx();
            c.saddr = Ipv4Addr::new(198, 51, 100, i as u8);
            c.sport = port;
            assert_eq!(d[s.schedule(&d, &c).unwrap()].id, 0);
        }
    }

    #[test]
    fn unavailable_bucket_server_gives_none_without_fallback() {
        // The bucket's server quiesced (weight 0) or OVERLOADed: none, although others are free.
        let (mut s, mut d) = built(&[1, 1, 1]);
        d[2].weight = 0;
        s.upd_dest(&d, d[2].id);
        assert_eq!(s.schedule(&d, &ctx()), None);
        d[2].weight = 1;
        d[2].overloaded = true;
        assert_eq!(s.schedule(&d, &ctx()), None);
    }

    #[test]
    fn weight_edits_keep_the_table_adds_rebuild_it() {
        // upd_dest does not reassign; an add moves bucket 248 to list[248 mod 4] = list[0].
        let (mut s, mut d) = built(&[1, 1, 1]);
        d[0].weight = 50;
        s.upd_dest(&d, d[0].id);
        assert_eq!(d[s.schedule(&d, &ctx()).unwrap()].id, 0);
        let mut d = dests(&[1, 1, 1, 1]);
        s.add_dest(&d, 3);
        assert_eq!(d[s.schedule(&d, &ctx()).unwrap()].id, 3);
        let gone = d.remove(0);
        s.del_dest(&d, gone.id, 0);
        assert_eq!(d[s.schedule(&d, &ctx()).unwrap()].id, 0);
    }

    proptest::proptest! {
        #[test]
        fn stable_and_never_unavailable(
            weights in proptest::collection::vec(0u32..4, 1..8),
            over in proptest::collection::vec(proptest::bool::ANY, 8),
            keys in proptest::collection::vec(proptest::num::u32::ANY, 1..40),
        ) {
            // Nothing changes between calls, so each daddr keeps its answer, and an answer
            // is always a server with weight > 0 and no OVERLOAD.
            let (mut s, mut d) = built(&weights);
            for (x, o) in d.iter_mut().zip(&over) {
                x.overloaded = *o;
            }
            for k in keys {
                let mut c = ctx();
                c.daddr = Ipv4Addr::from(k);
                let a = s.schedule(&d, &c);
                c.saddr = Ipv4Addr::from(!k);
                proptest::prop_assert_eq!(a, s.schedule(&d, &c));
                if let Some(p) = a {
                    proptest::prop_assert!(available(&d[p]));
                }
            }
        }
    }
}
