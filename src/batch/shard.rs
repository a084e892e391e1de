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

/// What every slice file starts with, and what a merge checks slices by.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Header {
    pub format: u32,
    /// The lvsim version that ran it (`CARGO_PKG_VERSION`).
    pub version: String,
    /// FNV-1a 64, in hex, of what was cut into slices (the sweep text; the exercise and
    /// its students), so slices of different jobs are not joined.
    pub hash: String,
    pub shard: Shard,
    /// Items in the whole job, and the first index of this slice.
    pub total: usize,
    pub first: usize,
}

impl Header {
    /// The header of slice `shard` of `total` items of the job hashed as `hash`.
    pub fn new(hash: String, shard: Shard, total: usize) -> Header {
        Header {
            format: FORMAT,
            version: env!("CARGO_PKG_VERSION").to_string(),
            hash,
            shard,
            total,
            first: shard.range(total).start,
        }
    }
}

/// One sweep slice: its header, the sweep (where it came from and its text) and the
/// results of its points.
#[derive(Debug, Serialize, Deserialize)]
pub struct Part {
    #[serde(flatten)]
    pub header: Header,
    pub origin: String,
    pub text: String,
    pub results: Vec<PointResult>,
}

/// FNV-1a 64 of `text`, as 16 hex digits.
pub fn fnv1a(text: &str) -> String {
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
    sw.points = sw.points.drain(shard.range(total)).collect();
    let results = sweep::run_with(&sw, threads, progress).map_err(|e| e.render())?;
    Ok(Part { header: Header::new(fnv1a(&text), shard, total), origin, text, results })
}

/// Writes the slice into `dir` (created if missing); returns the file.
pub fn write(part: &Part, dir: &Path) -> Result<PathBuf, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    let p = dir.join(part.header.shard.file_name());
    let json = serde_json::to_vec(part).map_err(|e| e.to_string())?;
    std::fs::write(&p, json).map_err(|e| format!("writing {}: {e}", p.display()))?;
    Ok(p)
}

/// The slice files named by `paths`: each a slice file, or a directory whose files
/// named `PREFIX-*.json` are taken.
pub fn slice_files(paths: &[PathBuf], prefix: &str) -> Result<Vec<PathBuf>, String> {
    let mut files = Vec::new();
    for d in paths {
        if d.is_dir() {
            let mut here: Vec<PathBuf> = std::fs::read_dir(d)
                .map_err(|e| format!("reading {}: {e}", d.display()))?
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.file_name().is_some_and(|n| n.to_string_lossy().starts_with(&format!("{prefix}-"))))
                .filter(|p| p.extension().is_some_and(|x| x == "json"))
                .collect();
            here.sort();
            if here.is_empty() {
                return Err(format!("{}: no {prefix}-K-of-N.json in it", d.display()));
            }
            files.extend(here);
        } else {
            files.push(d.clone());
        }
    }
    if files.is_empty() {
        return Err("no slices given".into());
    }
    Ok(files)
}

/// Reads a slice file as `T`, or says which file is not a slice.
pub fn read_slice<T: serde::de::DeserializeOwned>(f: &Path) -> Result<T, String> {
    let bytes = std::fs::read(f).map_err(|e| format!("reading {}: {e}", f.display()))?;
    serde_json::from_slice(&bytes).map_err(|e| format!("{}: not a slice of this kind ({e})", f.display()))
}

/// Checks that `slices` (file, header, number of items it holds) are the N slices of
/// one job run by this lvsim: same format, version, job hash and N; every slice once;
/// each holding exactly the items of its range. Returns the slice order (indices into
/// `slices` by K).
pub fn check(slices: &[(&Path, &Header, usize)]) -> Result<Vec<usize>, String> {
    let Some(&(f0, h0, _)) = slices.first() else {
        return Err("no slices given".into());
    };
    for &(f, h, len) in slices {
        if h.format != FORMAT {
            return Err(format!("{}: slice format {} (this lvsim reads {FORMAT})", f.display(), h.format));
        }
        if h.version != env!("CARGO_PKG_VERSION") {
            return Err(format!(
                "{}: written by lvsim {}, this is lvsim {}; merge with the version that ran the slices",
                f.display(),
                h.version,
                env!("CARGO_PKG_VERSION")
            ));
        }
        if h.hash != h0.hash {
            return Err(format!(
                "{} and {} are slices of different jobs (hash {} vs {}); every slice must come from one run",
                f0.display(),
                f.display(),
                h0.hash,
                h.hash
            ));
        }
        if h.shard.n != h0.shard.n || h.total != h0.total {
            return Err(format!(
                "{} and {}: cut differently ({}/{} of {} vs {}/{} of {})",
                f0.display(),
                f.display(),
                h0.shard.k,
                h0.shard.n,
                h0.total,
                h.shard.k,
                h.shard.n,
                h.total
            ));
        }
        let want = h.shard.range(h.total);
        if h.first != want.start || len != want.len() {
            return Err(format!(
                "{}: slice {}/{} should hold items {}..{} of {}, it holds {} from {}",
                f.display(),
                h.shard.k,
                h.shard.n,
                want.start,
                want.end,
                h.total,
                len,
                h.first
            ));
        }
    }
    let n = h0.shard.n;
    let mut by_k: Vec<Option<usize>> = vec![None; n];
    for (i, &(f, h, _)) in slices.iter().enumerate() {
        if let Some(other) = by_k[h.shard.k - 1] {
            return Err(format!(
                "slice {}/{n} is given twice: {} and {}",
                h.shard.k,
                slices[other].0.display(),
                f.display()
            ));
        }
        by_k[h.shard.k - 1] = Some(i);
    }
    let missing: Vec<String> =
        by_k.iter().enumerate().filter(|(_, i)| i.is_none()).map(|(k, _)| format!("{}/{n}", k + 1)).collect();
    if !missing.is_empty() {
        return Err(format!("missing slices: {} (run each with --shard K/{n})", missing.join(", ")));
    }
    Ok(by_k.into_iter().flatten().collect())
}

/// Reads the sweep slices in `paths` (directories or `shard-K-of-N.json` files), checks
/// them ([`check`], and each sweep text against its hash) and returns the sweep and its
/// results in point order.
pub fn merge(paths: &[PathBuf]) -> Result<(Sweep, Vec<PointResult>), String> {
    let files = slice_files(paths, "shard")?;
    let mut parts: Vec<(PathBuf, Part)> = Vec::new();
    for f in files {
        let part: Part = read_slice(&f)?;
        if part.header.hash != fnv1a(&part.text) {
            return Err(format!("{}: the sweep text does not match its hash (edited by hand?)", f.display()));
        }
        parts.push((f, part));
    }
    let view: Vec<(&Path, &Header, usize)> =
        parts.iter().map(|(f, p)| (f.as_path(), &p.header, p.results.len())).collect();
    let order = check(&view)?;
    let (_, p0) = &parts[order[0]];
    let sw = sweep::parse(&p0.origin, &p0.text).map_err(|e| e.render())?;
    let mut slots: Vec<Option<Part>> = parts.into_iter().map(|(_, p)| Some(p)).collect();
    let results = order.into_iter().filter_map(|i| slots[i].take()).flat_map(|p| p.results).collect();
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
