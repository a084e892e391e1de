//! Sweeps past one machine: `lvsim sweep SPEC --shard K/N --out DIR` runs one
//! deterministic slice of the points and writes it as `DIR/shard-K-of-N.json`;
//! `lvsim sweep merge DIR... --out OUT` checks the slices and writes the same files the
//! unsharded sweep writes, byte for byte.
//!
//! Points are independent and each has its own seed, so a slice is just a range of
//! point indices: slice K of N is `[total·(K−1)/N, total·K/N)`. A slice file carries
//! the sweep's own text, so the merge needs nothing else and can check that every slice
//! came from the same sweep (an FNV-1a hash of the text) and the same lvsim version, and
//! that no slice is missing or given twice.

use super::sweep::{self, PointResult, Sweep};
use serde::{Deserialize, Serialize};
use std::ops::Range;
use std::path::{Path, PathBuf};

/// The slice file format; a merge refuses another.
pub const FORMAT: u32 = 1;
/// The most slices a sweep can be cut into.
pub const MAX_SHARDS: usize = 100_000;

/// Slice `k` (1-based) of `n`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    pub k: usize,
    pub n: usize,
}

impl std::str::FromStr for Shard {
    type Err = String;
    /// `K/N` with 1 ≤ K ≤ N ≤ 100,000.
    fn from_str(s: &str) -> Result<Shard, String> {
        let bad = || format!("--shard: expected K/N with 1 <= K <= N <= {MAX_SHARDS} (e.g. 2/8), found \"{s}\"");
        let (k, n) = s.split_once('/').ok_or_else(bad)?;
        let k: usize = k.trim().parse().map_err(|_| bad())?;
        let n: usize = n.trim().parse().map_err(|_| bad())?;
        if k == 0 || k > n || n > MAX_SHARDS {
            return Err(bad());
        }
        Ok(Shard { k, n })
    }
}

impl Shard {
    /// The point indices of this slice, out of `total`.
    pub fn range(self, total: usize) -> Range<usize> {
        total * (self.k - 1) / self.n..total * self.k / self.n
    }

    /// The slice's file name in its output directory.
    pub fn file_name(self) -> String {
        format!("shard-{}-of-{}.json", self.k, self.n)
    }
}

/// One slice's results and what the merge checks them by.
#[derive(Debug, Serialize, Deserialize)]
pub struct Part {
    pub format: u32,
    /// The lvsim version that ran it (`CARGO_PKG_VERSION`).
    pub version: String,
    /// Where the sweep came from (a path or `embedded:NAME`) and its text.
    pub origin: String,
    pub text: String,
    /// FNV-1a 64 of `text`, in hex.
    pub hash: String,
    pub shard: Shard,
    /// Points in the whole sweep, and the first index of this slice.
    pub total: usize,
    pub first: usize,
    pub results: Vec<PointResult>,
}

fn fnv1a(text: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}

/// Runs slice `shard` of the sweep at `name_or_path` on `threads` threads.
pub fn run(name_or_path: &str, shard: Shard, threads: usize, progress: &(dyn Fn() + Sync)) -> Result<Part, String> {
    let (origin, text) = sweep::load_sweep_text(name_or_path).map_err(|e| e.render())?;
    let mut sw = sweep::parse(&origin, &text).map_err(|e| e.render())?;
    let total = sw.points.len();
    let range = shard.range(total);
    let first = range.start;
    sw.points = sw.points.drain(range).collect();
    let results = sweep::run_with(&sw, threads, progress).map_err(|e| e.render())?;
    Ok(Part {
        format: FORMAT,
        version: env!("CARGO_PKG_VERSION").to_string(),
        hash: fnv1a(&text),
        origin,
        text,
        shard,
        total,
        first,
        results,
    })
}

/// Writes the slice into `dir` (created if missing); returns the file.
pub fn write(part: &Part, dir: &Path) -> Result<PathBuf, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    let p = dir.join(part.shard.file_name());
    let json = serde_json::to_vec(part).map_err(|e| e.to_string())?;
    std::fs::write(&p, json).map_err(|e| format!("writing {}: {e}", p.display()))?;
    Ok(p)
}

/// Reads every `shard-*.json` in `dirs` (each a directory or a slice file), checks that
/// they are the N slices of one sweep run by this lvsim, and returns the sweep and its
/// results in point order.
pub fn merge(dirs: &[PathBuf]) -> Result<(Sweep, Vec<PointResult>), String> {
    let mut files = Vec::new();
    for d in dirs {
        if d.is_dir() {
            let mut here: Vec<PathBuf> = std::fs::read_dir(d)
                .map_err(|e| format!("reading {}: {e}", d.display()))?
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.file_name().is_some_and(|n| n.to_string_lossy().starts_with("shard-")))
                .filter(|p| p.extension().is_some_and(|x| x == "json"))
                .collect();
            here.sort();
            if here.is_empty() {
                return Err(format!("{}: no shard-K-of-N.json in it (written by lvsim sweep --shard)", d.display()));
            }
            files.extend(here);
        } else {
            files.push(d.clone());
        }
    }
    let mut parts: Vec<(PathBuf, Part)> = Vec::new();
    for f in files {
        let bytes = std::fs::read(&f).map_err(|e| format!("reading {}: {e}", f.display()))?;
        let part: Part = serde_json::from_slice(&bytes).map_err(|e| {
            format!("{}: not a sweep slice ({e}); it should be written by lvsim sweep --shard", f.display())
        })?;
        parts.push((f, part));
    }
    let Some((f0, p0)) = parts.first() else {
        return Err("sweep merge: no slices given".into());
    };
    for (f, p) in &parts {
        let differs = |what: &str, a: &dyn std::fmt::Display, b: &dyn std::fmt::Display| {
            format!(
                "{} and {}: {what} differ ({a} vs {b}); every slice must come from one sweep run",
                f0.display(),
                f.display()
            )
        };
        if p.format != FORMAT {
            return Err(format!("{}: slice format {} (this lvsim reads {FORMAT})", f.display(), p.format));
        }
        if p.version != env!("CARGO_PKG_VERSION") {
            return Err(format!(
                "{}: written by lvsim {}, this is lvsim {}; merge with the version that ran the slices",
                f.display(),
                p.version,
                env!("CARGO_PKG_VERSION")
            ));
        }
        if p.hash != fnv1a(&p.text) {
            return Err(format!("{}: the sweep text does not match its hash (edited by hand?)", f.display()));
        }
        if p.hash != p0.hash {
            return Err(differs("the sweep files", &p0.hash, &p.hash));
        }
        if p.shard.n != p0.shard.n {
            return Err(differs("the slice counts N", &p0.shard.n, &p.shard.n));
        }
        let want = p.shard.range(p.total);
        if p.total != p0.total || p.first != want.start || p.results.len() != want.len() {
            return Err(format!(
                "{}: slice {}/{} should hold points {}..{} of {}, it holds {} from {}",
                f.display(),
                p.shard.k,
                p.shard.n,
                want.start,
                want.end,
                p0.total,
                p.results.len(),
                p.first
            ));
        }
    }
    let n = p0.shard.n;
    let mut by_k: Vec<Option<&Path>> = vec![None; n];
    for (f, p) in &parts {
        if let Some(other) = by_k[p.shard.k - 1] {
            return Err(format!("slice {}/{n} is given twice: {} and {}", p.shard.k, other.display(), f.display()));
        }
        by_k[p.shard.k - 1] = Some(f);
    }
    let missing: Vec<String> =
        by_k.iter().enumerate().filter(|(_, f)| f.is_none()).map(|(k, _)| format!("{}/{n}", k + 1)).collect();
    if !missing.is_empty() {
        return Err(format!("missing slices: {} (run lvsim sweep --shard K/{n} for each)", missing.join(", ")));
    }
    let sw = sweep::parse(&p0.origin, &p0.text).map_err(|e| e.render())?;
    parts.sort_by_key(|(_, p)| p.shard.k);
    let results: Vec<PointResult> = parts.into_iter().flat_map(|(_, p)| p.results).collect();
    Ok((sw, results))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slices_cover_every_point_once() {
        // For any total and N, the N ranges are contiguous, disjoint and cover 0..total.
        for total in [0, 1, 2, 7, 10, 101] {
            for n in 1..=12 {
                let mut next = 0;
                for k in 1..=n {
                    let r = Shard { k, n }.range(total);
                    assert_eq!(r.start, next);
                    next = r.end;
                }
                assert_eq!(next, total);
            }
        }
    }

    #[test]
    fn shard_syntax() {
        assert_eq!("2/8".parse::<Shard>(), Ok(Shard { k: 2, n: 8 }));
        for bad in ["0/3", "4/3", "3", "a/b", "1/0", "1/100001", ""] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
    }
}
