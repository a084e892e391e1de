//! Per-student variants. The student's name (with the exercise id) is hashed with FNV-1a
//! into a seed for a ChaCha8 stream (in a course with a key, the seed is the key's HMAC of
//! them instead, see [`super::key`]); the stream draws the address plan, the weights and
//! the exercise's own variables in a fixed order. The same name always gets the same
//! variant; no name gets the variant of the empty name.
//!
//! Templates name variables as `{name}` (letters, digits, `_`); a value may itself hold
//! placeholders, which are replaced in turn (up to a small depth).

use super::schema::Var;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::BTreeMap;

/// The values of one variant, by variable name.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Variant {
    pub student: Option<String>,
    pub vars: BTreeMap<String, String>,
}

/// The seed of `student`'s variant of exercise `id`.
pub fn seed(id: &str, student: Option<&str>) -> u64 {
    crate::sim::rng::stable_hash(&format!("lvsim-exercise/{id}/{}", student.unwrap_or("")))
}

/// `n` distinct numbers in `lo..=hi`, in the order drawn.
fn distinct(rng: &mut ChaCha8Rng, n: usize, lo: u32, hi: u32) -> Vec<u32> {
    let mut out: Vec<u32> = Vec::with_capacity(n);
    while out.len() < n {
        let x = rng.random_range(lo..=hi);
        if !out.contains(&x) {
            out.push(x);
        }
    }
    out
}

/// The standard variables every exercise has (the address plan of the base scenarios
/// and three weights), then the exercise's own `vars` (which may override them).
pub fn draw(id: &str, student: Option<&str>, vars: &[Var]) -> Variant {
    draw_seeded(seed(id, student), student, vars)
}

/// Like [`draw`] from a given seed (a course key's, see [`super::key`]).
pub fn draw_seeded(seed: u64, student: Option<&str>, vars: &[Var]) -> Variant {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut v = BTreeMap::new();
    let mut set = |k: &str, val: String| {
        v.insert(k.to_string(), val);
    };
    // The director's LAN, with the router as .1.
    let lan = format!("10.{}.{}", rng.random_range(1..=254u32), rng.random_range(0..=255u32));
    set("gw", format!("{lan}.1"));
    set("dip", format!("{lan}.{}", rng.random_range(2..=9u32)));
    set("vip", format!("{lan}.{}", rng.random_range(100..=199u32)));
    for (i, h) in distinct(&mut rng, 3, 10, 99).into_iter().enumerate() {
        set(&format!("rip{}", i + 1), format!("{lan}.{h}"));
    }
    set("lan", lan);
    // NAT's private network behind the director.
    let p = format!("192.168.{}", rng.random_range(0..=255u32));
    set("ndip", format!("{p}.{}", rng.random_range(1..=9u32)));
    for (i, h) in distinct(&mut rng, 3, 10, 99).into_iter().enumerate() {
        set(&format!("nrip{}", i + 1), format!("{p}.{h}"));
    }
    set("priv", p);
    // TUN's second data centre.
    let dc = format!("172.{}.{}", rng.random_range(16..=31u32), rng.random_range(0..=255u32));
    set("dcgw", format!("{dc}.1"));
    for (i, h) in distinct(&mut rng, 3, 10, 99).into_iter().enumerate() {
        set(&format!("trip{}", i + 1), format!("{dc}.{h}"));
    }
    set("dc", dc);
    set("cip", format!("203.0.113.{}", rng.random_range(10..=99u32)));
    set("wgw", "203.0.113.1".to_string());
    set("port", rng.random_range(8000..=8999u32).to_string());
    for i in 1..=3 {
        set(&format!("w{i}"), rng.random_range(1..=5u32).to_string());
    }
    for var in vars {
        match var {
            Var::Int { name, min, max } => set(name, rng.random_range(*min..=(*max).max(*min)).to_string()),
            Var::Choice { name, of } => {
                if !of.is_empty() {
                    set(name, of[rng.random_range(0..of.len())].clone());
                }
            }
            Var::Cases { name, of } => {
                if !of.is_empty() {
                    let c = &of[rng.random_range(0..of.len())];
                    set(name, c.key.clone());
                    for (k, val) in &c.set {
                        set(k, val.clone());
                    }
                }
            }
            Var::Shuffle { names, of } => {
                let mut items = of.clone();
                // Fisher–Yates with the variant's stream.
                for i in (1..items.len()).rev() {
                    let j = rng.random_range(0..=i);
                    items.swap(i, j);
                }
                for (n, item) in names.iter().zip(items) {
                    set(n, item);
                }
            }
        }
    }
    Variant { student: student.map(str::to_string), vars: v }
}

/// A placeholder found in a template: byte range of `{name}` and the name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placeholder {
    pub start: usize,
    pub end: usize,
    pub name: String,
}

/// Every `{name}` in `text` (a `{` followed by a lowercase identifier and `}`).
pub fn placeholders(text: &str) -> Vec<Placeholder> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'{' {
            let mut j = i + 1;
            while j < b.len() && (b[j].is_ascii_lowercase() || b[j].is_ascii_digit() || b[j] == b'_') {
                j += 1;
            }
            if j > i + 1 && j < b.len() && b[j] == b'}' && b[i + 1].is_ascii_lowercase() {
                out.push(Placeholder { start: i, end: j + 1, name: text[i + 1..j].to_string() });
                i = j + 1;
                continue;
            }
        }
        i += 1;
    }
    out
}

/// Whether `line` is part of a diagram: it holds a box-drawing character (U+2500–U+257F),
/// whose column must not move when addresses are filled in.
pub fn is_diagram(line: &str) -> bool {
    line.chars().any(|c| ('\u{2500}'..='\u{257f}').contains(&c))
}

/// The longest text placeholder expansion may produce (1 MiB).
pub const MAX_EXPANDED: usize = 1 << 20;

impl Variant {
    /// `text` with every known placeholder replaced (values' own placeholders too, up to
    /// depth 4). Unknown placeholders are left as they are; [`Variant::unknown`] finds them.
    pub fn apply(&self, text: &str) -> String {
        self.apply_with(text, false)
    }

    /// Like [`Variant::apply`] for RON source where every placeholder sits inside a string
    /// literal: values are escaped (`\\`, `\"`, newlines) so they stay one literal.
    pub fn apply_ron(&self, text: &str) -> String {
        self.apply_with(text, true)
    }

    fn apply_with(&self, text: &str, escape: bool) -> String {
        // Diagram lines first, so their columns are measured on the template.
        let mut cur = if text.lines().any(is_diagram) {
            text.split_inclusive('\n')
                .map(|l| if is_diagram(l) { self.apply_aligned(l, escape) } else { l.to_string() })
                .collect()
        } else {
            text.to_string()
        };
        for _ in 0..4 {
            let ps = placeholders(&cur);
            if !ps.iter().any(|p| self.vars.contains_key(&p.name)) {
                break;
            }
            let mut out = String::with_capacity(cur.len());
            let mut last = 0;
            for p in ps {
                if let Some(v) = self.vars.get(&p.name) {
                    out.push_str(&cur[last..p.start]);
                    if escape {
                        out.push_str(&v.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n"));
                    } else {
                        out.push_str(v);
                    }
                    last = p.end;
                }
            }
            out.push_str(&cur[last..]);
            // A value that names itself (or a cycle of values) grows geometrically with
            // each round: stop at MAX_EXPANDED bytes, leaving the rest unexpanded.
            if out.len() > MAX_EXPANDED {
                break;
            }
            cur = out;
        }
        cur
    }

    /// One diagram line with its placeholders replaced so that what follows a placeholder
    /// and its run of spaces stays in its template column: the spaces absorb the value's
    /// length (at least one is kept). A value too long for its spaces pushes the rest of
    /// the line right; the template must leave room (an IPv4 address takes up to 15).
    fn apply_aligned(&self, line: &str, escape: bool) -> String {
        let col = |byte: usize| line[..byte].chars().count();
        let mut out = String::with_capacity(line.len() + 32);
        let mut last = 0;
        for p in placeholders(line) {
            if !self.vars.contains_key(&p.name) || p.start < last {
                continue;
            }
            out.push_str(&line[last..p.start]);
            out.push_str(&self.apply_with(&line[p.start..p.end], escape));
            let spaces = line[p.end..].bytes().take_while(|&b| b == b' ').count();
            let next = p.end + spaces;
            if spaces > 0 && next < line.len() && !line[next..].starts_with(['\n', '\r']) {
                let pad = col(next).saturating_sub(out.chars().count()).max(1);
                out.extend(std::iter::repeat_n(' ', pad));
                last = next;
            } else {
                last = p.end;
            }
        }
        out.push_str(&line[last..]);
        out
    }

    /// Placeholders of `text` that name no variable (`{got}`, which goal messages use for
    /// what was observed, is not a variable and is left for the checker).
    pub fn unknown(&self, text: &str) -> Vec<Placeholder> {
        placeholders(text).into_iter().filter(|p| p.name != "got" && !self.vars.contains_key(&p.name)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_name_same_variant_other_name_other_variant() {
        // The seed depends only on (exercise, name): the same name gets identical values,
        // and another name gets another address plan (the VIP differs here).
        let a = draw("x", Some("alice"), &[]);
        assert_eq!(a, draw("x", Some("alice"), &[]));
        let b = draw("x", Some("bob"), &[]);
        assert_ne!(a.vars, b.vars);
        assert_ne!(draw("y", Some("alice"), &[]).vars, a.vars);
    }

    #[test]
    fn self_naming_values_stop_growing() {
        // {a} is 100 copies of itself: four rounds would make 10^8 copies (400 MB). The
        // expansion stops once the text passes MAX_EXPANDED, within one round's growth.
        let mut v = Variant::default();
        v.vars.insert("a".into(), "{a}".repeat(100));
        let out = v.apply("{a}");
        assert!(out.len() <= MAX_EXPANDED, "{} bytes", out.len());
        assert!(out.len() > 3 * 100 * 100 - 1, "the rounds under the limit were done");
    }

    #[test]
    fn placeholders_and_nesting() {
        // RON maps such as {"eth0": "wan"} are not placeholders; nested values resolve.
        let mut v = Variant::default();
        v.vars.insert("a".into(), "{b}.1".into());
        v.vars.insert("b".into(), "10.0".into());
        assert_eq!(v.apply(r#"{"eth0": "wan"} {a} {zz}"#), r#"{"eth0": "wan"} 10.0.1 {zz}"#);
        assert_eq!(v.unknown("{a} {zz}").len(), 1);
    }

    #[test]
    fn diagram_columns_survive_long_and_short_values() {
        // `├` is at column 20 of the template (counted by hand: 4 + 3 + 13 spaces); with a
        // 15-character value (4 + 15 + 1 space) it stays there, and with a 1-character
        // one too (15 spaces). A line with no box character is replaced as before.
        let mut v = Variant::default();
        v.vars.insert("a".into(), "255.255.255.255".into());
        let t = format!("//  {{a}}{}├── x {{a}}\n", " ".repeat(13));
        assert_eq!(t.chars().position(|c| c == '├'), Some(20));
        assert_eq!(v.apply(&t), "//  255.255.255.255 ├── x 255.255.255.255\n");
        v.vars.insert("a".into(), "1".into());
        assert_eq!(v.apply(&t), format!("//  1{}├── x 1\n", " ".repeat(15)));
        assert_eq!(v.apply("{a}   b"), "1   b");
    }

    #[test]
    fn rips_are_distinct() {
        // Three real servers on one LAN never share an address, whatever the name.
        for n in ["a", "b", "c", "d", "e", "f"] {
            let v = draw("t", Some(n), &[]).vars;
            assert_ne!(v["rip1"], v["rip2"]);
            assert_ne!(v["rip2"], v["rip3"]);
            assert_ne!(v["rip1"], v["rip3"]);
        }
    }
}
