//! Maglev hashing (`net/netfilter/ipvs/ip_vs_mh.c`), with the 64-bit kernel's `hsiphash`.
//!
//! Each server's preference list (offset, skip from SipHash-1-3 of its address + port) claims
//! `turns` free slots per round, in list order, until all 4093 slots are taken (rebuilt on every
//! add/edit/delete, weights from `last_weight`). A client goes to slot `H(port + saddr) mod M`;
//! weight 0 or OVERLOAD there gives none, or with `mh-fallback` the kernel's rehash scan.

use super::{SchedCtx, Scheduler, available};
use crate::dest::{DestId, Dests};
use std::collections::BTreeMap;

/// `primes[CONFIG_IP_VS_MH_TAB_INDEX - 8]` with the default index 12.
const TAB_SIZE: u32 = 4093;
/// `IP_VS_MH_TAB_BITS` = `CONFIG_IP_VS_MH_TAB_INDEX / 2`.
const TAB_BITS: u32 = 6;
/// `generate_hash_secret`: fixed keys, so every director builds the same table.
const KEY1: [u64; 2] = [2_654_435_761, 2_654_435_761];
const KEY2: [u64; 2] = [2_654_446_892, 2_654_446_892];

/// `SIPROUND` of `lib/siphash.c`.
fn sipround(v: &mut [u64; 4]) {
    v[0] = v[0].wrapping_add(v[1]);
    v[1] = v[1].rotate_left(13) ^ v[0];
    v[0] = v[0].rotate_left(32);
    v[2] = v[2].wrapping_add(v[3]);
    v[3] = v[3].rotate_left(16) ^ v[2];
    v[0] = v[0].wrapping_add(v[3]);
    v[3] = v[3].rotate_left(21) ^ v[0];
    v[2] = v[2].wrapping_add(v[1]);
    v[1] = v[1].rotate_left(17) ^ v[2];
    v[2] = v[2].rotate_left(32);
}

/// `hsiphash` on a 64-bit kernel (`__hsiphash_unaligned`): SipHash-1-3 with the message
/// length in the top byte of the last block, the 64-bit result truncated to 32 bits.
pub(super) fn hsiphash(data: &[u8], key: [u64; 2]) -> u32 {
    // HPREAMBLE
    let mut v = [
        0x736f_6d65_7073_6575 ^ key[0],
        0x646f_7261_6e64_6f6d ^ key[1],
        0x6c79_6765_6e65_7261 ^ key[0],
        0x7465_6462_7974_6573 ^ key[1],
    ];
    let mut b = (data.len() as u64) << 56;
    let mut chunks = data.chunks_exact(8);
    for c in &mut chunks {
        let m = u64::from_le_bytes(c.try_into().expect("8 bytes"));
        v[3] ^= m;
        sipround(&mut v);
        v[0] ^= m;
    }
    for (i, &byte) in chunks.remainder().iter().enumerate() {
        b |= u64::from(byte) << (8 * i);
    }
    // HPOSTAMBLE
    v[3] ^= b;
    sipround(&mut v);
    v[0] ^= b;
    v[2] ^= 0xff;
    sipround(&mut v);
    sipround(&mut v);
    sipround(&mut v);
    (v[0] ^ v[1] ^ v[2] ^ v[3]) as u32
}

/// `ip_vs_mh_hashkey`: hsiphash of the `unsigned int` `offset + port + addr`, stored in host
/// (little-endian) order.
fn hashkey(addr: u32, port: u16, key: [u64; 2], offset: u32) -> u32 {
    let v = offset.wrapping_add(u32::from(port)).wrapping_add(addr);
    hsiphash(&v.to_le_bytes(), key)
}

fn gcd(a: u32, b: u32) -> u32 {
    if b == 0 { a } else { gcd(b, a % b) }
}

#[derive(Clone, Debug)]
pub struct Mh {
    /// The lookup table: slot → server.
    lookup: Vec<Option<DestId>>,
    /// `dest->last_weight`: the latest non-zero weight (0 if added with weight 0).
    last_weight: BTreeMap<DestId, u32>,
    /// `-b mh-fallback`.
    fallback: bool,
    /// `-b mh-port`.
    port: bool,
    /// The servers changed since the table was populated. The table depends only on the
    /// list and the last weights at the latest change, so it is populated when the next
    /// pick needs it: adding 10,000 servers one by one populates it once, not 10,000
    /// times (the kernel repopulates on every change, which gives the same table).
    stale: bool,
}

impl Mh {
    pub fn new(fallback: bool, port: bool) -> Self {
        Mh { lookup: vec![None; TAB_SIZE as usize], last_weight: BTreeMap::new(), fallback, port, stale: false }
    }

    /// `ip_vs_mh_dest_changed`, first half: each server's last non-zero weight.
    fn note_weights(&mut self, dests: &Dests) {
        let present: std::collections::BTreeSet<DestId> = dests.iter().map(|d| d.id).collect();
        self.last_weight.retain(|id, _| present.contains(id));
        for d in dests {
            let lw = self.last_weight.entry(d.id).or_insert(0);
            if d.weight > 0 {
                *lw = d.weight;
            }
        }
        self.stale = true;
    }

    /// `ip_vs_mh_dest_changed`, second half: gcd, shift, permutations, population.
    fn rebuild(&mut self, dests: &Dests) {
        self.stale = false;
        let lws: Vec<u32> = dests.iter().map(|d| self.last_weight[&d.id]).collect();
        let g = lws.iter().filter(|&&w| w > 0).fold(0, |g, &w| if g > 0 { gcd(w, g) } else { w });
        self.lookup.fill(None);
        if g < 1 {
            return;
        }
        let mw = lws.iter().max().copied().unwrap_or(0) / g;
        let shift = (u32::BITS - mw.leading_zeros()).saturating_sub(TAB_BITS);
        // ip_vs_mh_permutate: (next preferred slot, skip, turns) per server in list order.
        let mut setup: Vec<(u32, u32, u32)> = dests
            .iter()
            .zip(&lws)
            .map(|(d, &lw)| {
                let a = u32::from(d.addr);
                let offset = hashkey(a, d.port, KEY1, 0) % TAB_SIZE;
                let skip = hashkey(a, d.port, KEY2, 0) % (TAB_SIZE - 1) + 1;
                let turns = match (lw / g) >> shift {
                    0 => u32::from(lw != 0),
                    t => t,
                };
                (offset, skip, turns)
            })
            .collect();
        // ip_vs_mh_populate: rounds over the list, each server claiming `turns` free slots.
        let mut filled = 0;
        while filled < TAB_SIZE {
            for (i, (perm, skip, turns)) in setup.iter_mut().enumerate() {
                for _ in 0..*turns {
                    while self.lookup[*perm as usize].is_some() {
                        *perm = (*perm + *skip) % TAB_SIZE;
                    }
                    self.lookup[*perm as usize] = Some(dests[i].id);
                    filled += 1;
                    if filled == TAB_SIZE {
                        return;
                    }
                }
            }
        }
    }

    fn slot(&self, dests: &Dests, slot: u32) -> Option<usize> {
        let id = self.lookup[slot as usize]?;
        dests.iter().position(|d| d.id == id)
    }
}

impl Scheduler for Mh {
    fn name(&self) -> &'static str {
        "mh"
    }

    fn changed(&mut self, dests: &Dests) {
        self.note_weights(dests);
    }

    fn schedule(&mut self, dests: &Dests, ctx: &SchedCtx) -> Option<usize> {
        if self.stale {
            self.rebuild(dests);
        }
        let port = if self.port { ctx.sport } else { 0 };
        let saddr = u32::from(ctx.saddr);
        let ihash = hashkey(saddr, port, KEY1, 0) % TAB_SIZE;
        let first = self.slot(dests, ihash)?;
        if available(&dests[first]) {
            return Some(first);
        }
        if !self.fallback {
            return None;
        }
        // ip_vs_mh_get_fallback: rehash with offsets ihash, ihash + 1, ... (mod M).
        for offset in 0..TAB_SIZE {
            let roffset = (offset + ihash) % TAB_SIZE;
            let pos = self.slot(dests, hashkey(saddr, port, KEY1, roffset) % TAB_SIZE)?;
            if available(&dests[pos]) {
                return Some(pos);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedulers::testutil::{ctx, dests};
    use std::net::Ipv4Addr;

    /// `test_vectors_hsiphash` for `BITS_PER_LONG == 64` from the kernel's
    /// `lib/test_siphash.c`: key bytes 00..0f, message bytes 00, 01, ... of length i.
    const VECTORS: [u32; 64] = [
        0x050f_c4dc,
        0x7d57_ca93,
        0x4dc7_d44d,
        0xe7dd_f7fb,
        0x88d3_8328,
        0x4953_3b67,
        0xc59f_22a7,
        0x9bb1_1140,
        0x8d29_9a8e,
        0x6c06_3de4,
        0x92ff_097f,
        0xf94d_c352,
        0x57b4_d9a2,
        0x1229_ffa7,
        0xc0f9_5d34,
        0x2a51_9956,
        0x7d90_8b66,
        0x63db_d80c,
        0xb473_e63e,
        0x8d29_7d1c,
        0xa6cc_e040,
        0x2b45_f844,
        0xa320_872e,
        0xdae6_c123,
        0x6734_9c8c,
        0x705b_0979,
        0xca99_13a5,
        0x4ade_3b35,
        0xef6c_d00d,
        0x4ab1_e1f4,
        0x43c5_e663,
        0x8c21_d1bc,
        0x16a7_b60d,
        0x7a8f_f9bf,
        0x1f2a_753e,
        0xbf18_6b91,
        0xada2_6206,
        0xa3c3_3057,
        0xae3a_36a1,
        0x7b10_8392,
        0x99e4_1531,
        0x3f1a_d944,
        0xc813_8825,
        0xc289_49a6,
        0xfaf8_876b,
        0x9f04_2196,
        0x68b1_d623,
        0x8b51_14fd,
        0xdf07_4c46,
        0x12cc_86b3,
        0x0a52_098f,
        0x9d29_2f9a,
        0xa2f4_1f12,
        0x43a7_1ed0,
        0x73f0_bce6,
        0x70a7_e980,
        0x243c_6d75,
        0xfdb7_1513,
        0xa67d_8a08,
        0xb7e8_f148,
        0xf7a6_44ee,
        0x0f18_37f2,
        0x4b66_94e0,
        0xb7bb_b3a8,
    ];
    const TEST_KEY: [u64; 2] = [0x0706_0504_0302_0100, 0x0f0e_0d0c_0b0a_0908];

    #[test]
    fn hsiphash_matches_the_kernel_self_test() {
        // The kernel's own 64-bit self-test vectors, all 64 lengths; length 4 is the path
        // ip_vs_mh takes (hsiphash_1u32(0x03020100) must equal vector 4).
        let input: Vec<u8> = (0..64).collect();
        for (i, want) in VECTORS.iter().enumerate() {
            assert_eq!(hsiphash(&input[..i], TEST_KEY), *want, "length {i}");
        }
        assert_eq!(hsiphash(&0x0302_0100u32.to_le_bytes(), TEST_KEY), VECTORS[4]);
    }

    fn built(weights: &[u32], fallback: bool, port: bool) -> (Mh, Dests) {
        let d = dests(weights);
        let mut s = Mh::new(fallback, port);
        s.init_service(&d);
        s.rebuild(&d);
        (s, d)
    }

    fn slots_of(s: &Mh, id: DestId) -> usize {
        assert!(!s.stale, "populate the table first (a pick does)");
        s.lookup.iter().filter(|x| **x == Some(id)).count()
    }

    #[test]
    fn equal_weights_first_in_list_gets_the_extra_slot() {
        // 4093 = 3·1364 + 1: the round that fills the table stops after the list head.
        let (s, _) = built(&[1, 1, 1], false, false);
        assert_eq!([slots_of(&s, 2), slots_of(&s, 1), slots_of(&s, 0)], [1365, 1364, 1364]);
    }

    #[test]
    fn weights_two_one_take_two_thirds() {
        // turns 2 and 1, 1364 full rounds of 3, then the head's first turn: 2729 and 1364.
        let (s, _) = built(&[1, 2], false, false);
        assert_eq!([slots_of(&s, 1), slots_of(&s, 0)], [2729, 1364]);
    }

    #[test]
    fn large_weights_are_shifted() {
        // last weights 1000, 1: fls(1000) = 10, shift 4, turns 62 and max(1 >> 4, 1) = 1:
        // 64 rounds of 63 slots, then 61 more for the head: 4029 and 64.
        let (s, _) = built(&[1, 1000], false, false);
        assert_eq!([slots_of(&s, 1), slots_of(&s, 0)], [4029, 64]);
    }

    #[test]
    fn weight_zero_keeps_slots_fallback_moves_on() {
        // Setting the client's server to weight 0 keeps its slots (last_weight): none without
        // mh-fallback, another server with it.
        for fallback in [false, true] {
            let (mut s, mut d) = built(&[1, 1, 1], fallback, false);
            let p = s.schedule(&d, &ctx()).unwrap();
            let before = s.lookup.clone();
            d[p].weight = 0;
            s.upd_dest(&d, d[p].id);
            s.rebuild(&d);
            assert_eq!(s.lookup, before);
            let got = s.schedule(&d, &ctx());
            if fallback {
                assert!(got.is_some_and(|q| q != p));
            } else {
                assert_eq!(got, None);
            }
        }
    }

    #[test]
    fn populating_at_the_next_pick_gives_the_kernels_table() {
        // The kernel repopulates after every change; here only the pick after the last
        // change does. Adds, weight-0 edits (last_weight keeps the old weight) and deletes
        // in between: after each step both tables, and 200 clients' picks, are the same.
        let all = dests(&[3, 1, 2, 5, 4]);
        let (mut lazy, mut eager) = (Mh::new(true, false), Mh::new(true, false));
        let mut d = Dests::default();
        let step = |d: &Dests, lazy: &mut Mh, eager: &mut Mh| {
            lazy.changed(d);
            eager.changed(d);
            eager.rebuild(d);
            for c in 0..200u32 {
                let mut x = ctx();
                x.saddr = std::net::Ipv4Addr::from(0xc000_0200 + c);
                assert_eq!(lazy.schedule(d, &x), eager.schedule(d, &x));
            }
            assert_eq!(lazy.lookup, eager.lookup);
        };
        for x in all {
            d.insert(0, x);
            step(&d, &mut lazy, &mut eager);
        }
        d[1].weight = 0;
        step(&d, &mut lazy, &mut eager);
        d.remove(3);
        step(&d, &mut lazy, &mut eager);
        d[1].weight = 7;
        step(&d, &mut lazy, &mut eager);
    }

    #[test]
    fn added_with_weight_zero_gets_no_slot() {
        // A server added with weight 0 has last_weight 0, so turns 0.
        let (s, _) = built(&[1, 0, 1], false, false);
        assert_eq!(slots_of(&s, 1), 0);
        assert_eq!(slots_of(&s, 0) + slots_of(&s, 2), TAB_SIZE as usize);
    }

    #[test]
    fn mh_port_decides_whether_the_source_port_counts() {
        // Without mh-port all source ports of a client hash alike; with it 50 ports of one
        // client spread over more than one of three servers.
        let (mut s, d) = built(&[1, 1, 1], false, false);
        let (mut sp, _) = built(&[1, 1, 1], false, true);
        let mut seen = std::collections::BTreeSet::new();
        let first = s.schedule(&d, &ctx());
        for port in 1000..1050 {
            let mut c = ctx();
            c.sport = port;
            assert_eq!(s.schedule(&d, &c), first);
            seen.insert(sp.schedule(&d, &c));
        }
        assert!(seen.len() > 1);
    }

    #[test]
    fn deleting_a_server_moves_only_its_clients_mostly() {
        // Maglev's point: removing one of four servers leaves most other clients in place.
        let (mut s, mut d) = built(&[1, 1, 1, 1], false, false);
        let clients: Vec<SchedCtx> = (0..200u32)
            .map(|i| {
                let mut c = ctx();
                c.saddr = Ipv4Addr::from(0xC633_6400 + i);
                c
            })
            .collect();
        let before: Vec<DestId> = clients.iter().map(|c| d[s.schedule(&d, c).unwrap()].id).collect();
        let gone = d.remove(1);
        s.del_dest(&d, gone.id, 1);
        let kept = clients
            .iter()
            .zip(&before)
            .filter(|(c, b)| **b != gone.id && d[s.schedule(&d, c).unwrap()].id == **b)
            .count();
        let others = before.iter().filter(|b| **b != gone.id).count();
        assert!(kept * 10 >= others * 8, "{kept} of {others} kept");
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(32))]
        #[test]
        fn stable_and_never_unavailable(
            weights in proptest::collection::vec(0u32..5, 1..6),
            over in proptest::collection::vec(proptest::bool::ANY, 6),
            fallback in proptest::bool::ANY,
            port in proptest::bool::ANY,
            keys in proptest::collection::vec((proptest::num::u32::ANY, proptest::num::u16::ANY), 1..20),
        ) {
            // Nothing changes between calls, so each client keeps its answer, and an answer
            // never has weight 0 or OVERLOAD.
            let (mut s, mut d) = built(&weights, fallback, port);
            for (x, o) in d.iter_mut().zip(&over) {
                x.overloaded = *o;
            }
            for (a, p) in keys {
                let mut c = ctx();
                c.saddr = Ipv4Addr::from(a);
                c.sport = p;
                let first = s.schedule(&d, &c);
                c.daddr = Ipv4Addr::from(!a);
                proptest::prop_assert_eq!(first, s.schedule(&d, &c));
                if let Some(i) = first {
                    proptest::prop_assert!(available(&d[i]));
                }
            }
        }
    }
}
