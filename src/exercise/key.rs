//! The teacher's course key (`lvsim exercise key new`): a random 256-bit secret in a small
//! text file, and optionally a deadline.
//!
//! - `--show-answers` needs it: the expected answers are for the teacher.
//! - It salts the per-student variants: the seed of a student's variant is
//!   HMAC-SHA256(key, "lvsim-variant/ID/STUDENT"), so a student without the key cannot
//!   compute a classmate's variant. `lvsim exercise start --key` records the student's own
//!   seed (`variant = ...`) in the folder it writes, so the student can check without the
//!   key; `grade --key` recomputes it from the folder's name and flags a mismatch.
//! - Its `deadline` is copied into the folders `start --key` writes: after it, a
//!   student's `check` shows the explanation even for a wrong answer.
//!
//! Without a key the course is open: variants are seeded by the exercise and the name
//! alone, as before, and anyone can compute anyone's variant.
//!
//! File format (`#` comments, `key = value` lines):
//! ```text
//! key = 64 hex digits
//! deadline = 2026-12-20 18:00 +08:00      (optional)
//! ```

use super::ExerciseError;
use crate::scenario::ScenarioError;
use std::fmt::Write as _;

/// The environment variable naming the key file when `--key` is not given.
pub const ENV: &str = "LVSIM_COURSE_KEY";

/// A parsed course key file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CourseKey {
    pub secret: [u8; 32],
    /// The deadline as written (copied into the students' folders) and as Unix seconds.
    pub deadline: Option<Deadline>,
}

/// A point in time written as `YYYY-MM-DD HH:MM ±HH:MM`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Deadline {
    pub text: String,
    pub unix: i64,
}

/// 32 bytes from the operating system's random source. This is the one place lvsim is
/// not deterministic: a key must not be guessable.
pub fn random_secret() -> Result<[u8; 32], String> {
    use std::io::Read;
    let mut b = [0u8; 32];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut b))
        .map_err(|e| format!("cannot read the OS random source /dev/urandom: {e}"))?;
    Ok(b)
}

fn hex(b: &[u8]) -> String {
    b.iter().fold(String::new(), |mut s, x| {
        let _ = write!(s, "{x:02x}");
        s
    })
}

/// The text of a new key file holding `secret`.
pub fn file_text(secret: &[u8; 32]) -> String {
    format!(
        "# lvsim course key: keep it private. Whoever holds it can print every answer\n\
         # (--show-answers) and compute any student's variant. See docs/exercises/teacher.md.\n\
         key = {}\n\
         # Optional: after this time a student's `lvsim exercise check` also shows the\n\
         # explanation of a wrong answer. Set it before `lvsim exercise start --key`, which\n\
         # copies it into each student's folder. Write the time zone (+08:00 is Beijing time).\n\
         # deadline = 2026-12-20 18:00 +08:00\n",
        hex(secret)
    )
}

impl CourseKey {
    /// Parses a key file (`origin` names it in errors).
    pub fn parse(origin: &str, text: &str) -> Result<CourseKey, ExerciseError> {
        let mut secret = None;
        let mut deadline = None;
        for (pos, l) in super::settings_lines(text) {
            let at = |s: usize, e: usize, expected: &str, found: &str, help: Option<&str>| -> ExerciseError {
                ScenarioError::at(origin, text, pos + s, pos + e, expected, found, help.map(Into::into)).into()
            };
            let Some((k, v)) = l.split_once('=') else {
                return Err(at(0, l.len(), "`key = value`", l, Some("comments start with #")));
            };
            let value = v.trim();
            let vs = k.len() + 1 + (v.len() - v.trim_start().len());
            match k.trim() {
                "key" => {
                    let b = parse_hex(value).ok_or_else(|| {
                        at(
                            vs,
                            vs + value.len(),
                            "64 hexadecimal digits",
                            value,
                            Some("make a key with: lvsim exercise key new --out FILE"),
                        )
                    })?;
                    secret = Some(b);
                }
                "deadline" => {
                    let unix = parse_deadline(value).ok_or_else(|| {
                        at(
                            vs,
                            vs + value.len(),
                            "a time such as 2026-12-20 18:00 +08:00",
                            value,
                            Some("date, 24-hour time and the time zone's offset from UTC"),
                        )
                    })?;
                    deadline = Some(Deadline { text: value.to_string(), unix });
                }
                other => {
                    return Err(at(0, k.trim_end().len(), "key or deadline", other, None));
                }
            }
        }
        let Some(secret) = secret else {
            return Err(ScenarioError::at_end(
                origin,
                text,
                "a line `key = ...`",
                "none",
                Some("make a key with: lvsim exercise key new --out FILE".into()),
            )
            .into());
        };
        Ok(CourseKey { secret, deadline })
    }

    /// Reads and parses a key file.
    pub fn load(path: &std::path::Path) -> Result<CourseKey, ExerciseError> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            ExerciseError::other(
                format!("cannot read the course key {}: {e}", path.display()),
                Some("make one with: lvsim exercise key new --out FILE".into()),
            )
        })?;
        CourseKey::parse(&path.display().to_string(), &text)
    }

    /// The seed of `student`'s variant of exercise `id` in this course.
    pub fn variant_seed(&self, id: &str, student: &str) -> u64 {
        let mac = hmac_sha256(&self.secret, format!("lvsim-variant/{id}/{student}").as_bytes());
        u64::from_be_bytes(mac[..8].try_into().expect("8 bytes"))
    }
}

/// The `variant =` value recorded in a student's folder.
pub fn seed_text(seed: u64) -> String {
    format!("{seed:016x}")
}

/// Reads a `variant =` value back.
pub fn parse_seed(s: &str) -> Option<u64> {
    (s.len() == 16).then(|| u64::from_str_radix(s, 16).ok()).flatten()
}

fn parse_hex(s: &str) -> Option<[u8; 32]> {
    if s.len() != 64 || !s.is_ascii() {
        return None;
    }
    let mut b = [0u8; 32];
    for (i, x) in b.iter_mut().enumerate() {
        *x = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(b)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `YYYY-MM-DD HH:MM ±HH:MM` (or `UTC`, `Z`) as Unix seconds; the zone is required, so a
/// deadline is never eight hours off by accident.
pub fn parse_deadline(s: &str) -> Option<i64> {
    let mut parts = s.split_whitespace();
    let (date, time, zone) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let num = |x: &str, n: usize| {
        (x.len() == n && x.bytes().all(|c| c.is_ascii_digit())).then(|| x.parse::<i64>().ok()).flatten()
    };
    let d: Vec<&str> = date.split('-').collect();
    let t: Vec<&str> = time.split(':').collect();
    if d.len() != 3 || t.len() != 2 {
        return None;
    }
    let (y, mo, da, h, mi) = (num(d[0], 4)?, num(d[1], 2)?, num(d[2], 2)?, num(t[0], 2)?, num(t[1], 2)?);
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let mdays = [31, if leap { 29 } else { 28 }, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    if !(1..=12).contains(&mo) || da < 1 || da > mdays[(mo - 1) as usize] || h > 23 || mi > 59 {
        return None;
    }
    let offset = match zone {
        "UTC" | "Z" => 0,
        z => {
            let sign = match z.as_bytes()[0] {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let (oh, om) = z[1..].split_once(':')?;
            let (oh, om) = (num(oh, 2)?, num(om, 2)?);
            if oh > 14 || om > 59 {
                return None;
            }
            sign * (oh * 3600 + om * 60)
        }
    };
    Some(days_from_civil(y, mo, da) * 86_400 + h * 3600 + mi * 60 - offset)
}

/// SHA-256 (FIPS 180-4), for the HMAC below: 60 lines instead of a dependency. The
/// constants are written as the standard prints them.
#[allow(clippy::unreadable_literal)]
pub fn sha256(msg: &[u8]) -> [u8; 32] {
    const K: [u32; 64] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98,
        0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
        0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8,
        0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
        0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819,
        0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
        0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
        0xc67178f2,
    ];
    let mut h: [u32; 8] =
        [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];
    let mut data = msg.to_vec();
    data.push(0x80);
    while data.len() % 64 != 56 {
        data.push(0);
    }
    data.extend_from_slice(&((msg.len() as u64) * 8).to_be_bytes());
    for block in data.chunks_exact(64) {
        let mut w = [0u32; 64];
        for (i, c) in block.chunks_exact(4).enumerate() {
            w[i] = u32::from_be_bytes([c[0], c[1], c[2], c[3]]);
        }
        for i in 16..64 {
            let s0 = w[i - 15].rotate_right(7) ^ w[i - 15].rotate_right(18) ^ (w[i - 15] >> 3);
            let s1 = w[i - 2].rotate_right(17) ^ w[i - 2].rotate_right(19) ^ (w[i - 2] >> 10);
            w[i] = w[i - 16].wrapping_add(s0).wrapping_add(w[i - 7]).wrapping_add(s1);
        }
        let [mut a, mut b, mut c, mut d, mut e, mut f, mut g, mut hh] = h;
        for i in 0..64 {
            let s1 = e.rotate_right(6) ^ e.rotate_right(11) ^ e.rotate_right(25);
            let ch = (e & f) ^ (!e & g);
            let t1 = hh.wrapping_add(s1).wrapping_add(ch).wrapping_add(K[i]).wrapping_add(w[i]);
            let s0 = a.rotate_right(2) ^ a.rotate_right(13) ^ a.rotate_right(22);
            let maj = (a & b) ^ (a & c) ^ (b & c);
            let t2 = s0.wrapping_add(maj);
            hh = g;
            g = f;
            f = e;
            e = d.wrapping_add(t1);
            d = c;
            c = b;
            b = a;
            a = t1.wrapping_add(t2);
        }
        for (x, y) in h.iter_mut().zip([a, b, c, d, e, f, g, hh]) {
            *x = x.wrapping_add(y);
        }
    }
    let mut out = [0u8; 32];
    for (i, x) in h.iter().enumerate() {
        out[4 * i..4 * i + 4].copy_from_slice(&x.to_be_bytes());
    }
    out
}

/// HMAC-SHA256 (RFC 2104) with a key of at most 64 bytes.
pub fn hmac_sha256(key: &[u8], msg: &[u8]) -> [u8; 32] {
    let mut k = [0u8; 64];
    if key.len() > 64 {
        k[..32].copy_from_slice(&sha256(key));
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    let mut inner: Vec<u8> = k.iter().map(|b| b ^ 0x36).collect();
    inner.extend_from_slice(msg);
    let mut outer: Vec<u8> = k.iter().map(|b| b ^ 0x5c).collect();
    outer.extend_from_slice(&sha256(&inner));
    sha256(&outer)
}

#[cfg(test)]
mod tests {
    use super::*;

    // The expected digests are the published test vectors (FIPS 180-2 appendix B for
    // SHA-256, RFC 4231 test case 2 for HMAC), not outputs of this code.
    #[test]
    fn sha256_and_hmac_match_the_published_vectors() {
        assert_eq!(hex(&sha256(b"abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert_eq!(hex(&sha256(b"")), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        assert_eq!(
            hex(&sha256(b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
        );
        assert_eq!(
            hex(&hmac_sha256(b"Jefe", b"what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    // 2026-12-20 18:00 +08:00 is 10:00 UTC. By hand: 2026-12-20 is day 20807 after
    // 1970-01-01 (56 years = 20454 days with 14 leap days, plus 353 days to Dec 20 in
    // a non-leap year), so 20807 * 86400 + 10 * 3600.
    #[test]
    fn deadlines_need_a_zone_and_honour_it() {
        assert_eq!(parse_deadline("2026-12-20 18:00 +08:00"), Some(20807 * 86400 + 10 * 3600));
        assert_eq!(parse_deadline("2026-12-20 10:00 UTC"), Some(20807 * 86400 + 10 * 3600));
        assert_eq!(parse_deadline("1970-01-01 00:00 Z"), Some(0));
        for bad in ["2026-12-20 18:00", "2026-12-20", "2026-02-30 10:00 UTC", "2026-12-20 24:00 UTC", "tomorrow"] {
            assert_eq!(parse_deadline(bad), None, "{bad}");
        }
    }

    // A new key file parses back to the same secret; another key gives another seed for
    // the same student, and one key gives different students different seeds.
    #[test]
    fn key_file_round_trip_and_salted_seeds() {
        let a = CourseKey::parse("k", &file_text(&[7; 32])).unwrap();
        assert_eq!(a.secret, [7; 32]);
        assert_eq!(a.deadline, None);
        let b = CourseKey::parse("k", &file_text(&[8; 32])).unwrap();
        assert_ne!(a.variant_seed("x", "alice"), b.variant_seed("x", "alice"));
        assert_ne!(a.variant_seed("x", "alice"), a.variant_seed("x", "bob"));
        assert_eq!(parse_seed(&seed_text(a.variant_seed("x", "alice"))), Some(a.variant_seed("x", "alice")));
    }

    // A wrong line is located (file:line:col of the value), never a panic.
    #[test]
    fn bad_key_files_are_located_errors() {
        let text = format!("key = {}\ndeadline = 2026-12-20 18:00\n", "ab".repeat(32));
        let e = CourseKey::parse("course.key", &text).unwrap_err().render();
        assert!(e.contains("course.key:2:12"), "{e}");
        let e = CourseKey::parse("course.key", "key = 12\n").unwrap_err().render();
        assert!(e.contains("course.key:1:7"), "{e}");
        assert!(CourseKey::parse("course.key", "# nothing\n").is_err());
    }
}
