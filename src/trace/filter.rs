//! Filter expressions over trace steps, in the style of Wireshark's display filters, used
//! by the TUI's filter and breakpoints and by `lvsim trace --filter`.
//!
//! ```text
//! expr    := or
//! or      := and  (("||" | "or")  and)*
//! and     := unary (("&&" | "and") unary)*
//! unary   := ("!" | "not") unary | "(" expr ")" | test
//! test    := NAME [OP VALUE] | "TEXT" | why OP KEY | why.FIELD [OP VALUE]
//! OP      := == | != | < | <= | > | >= | contains
//! ```
//!
//! A `NAME` is a frame field (`ip.dst`, `tcp.flags`, `arp.opcode`, `inner.ip.dst`: the
//! names of [`Frame::field_names`]), a protocol (`arp`, `ip`, `tcp`, `inner.ip`...), one of
//! the step's own fields (`host`, `hook` or `stage`, `iface`, `kind` or `action`, `reason`,
//! `time` in seconds), or an action (`drop`, `schedule`, `rewrite`, `queue`...). As in
//! Wireshark, `ip.addr`, `eth.addr`, `tcp.port` and `udp.port` match either side, and
//! `ip.addr` also looks at the inner header of an IPIP packet (Wireshark sees both headers
//! as `ip`). A NAME alone tests presence (`tcp.flags`, `arp`) or the action (`drop`). An IP
//! value may be a subnet (`ip.src == 10.0.0.0/24`). A quoted `"TEXT"`, or a bare word that
//! is none of the above, searches the host name, stage and reason (its English and Chinese
//! sentences, case-insensitive). Two words name events, for breakpoints ([`EVENTS`]):
//! `rs_changed` (a health check changed a real server) and `vip_moved` (a VRRP master
//! change, or an address added or deleted by a command).
//!
//! `why == KEY` tests the kind of the step's reason ([`Why::key`](crate::why::Why::key):
//! `ipvs.schedule`, `drop.no_route`, `arp.reply`...; `why contains ipvs.` matches a family)
//! and `why.FIELD OP VALUE` one of its typed fields (`why.sched == rr`, `why.server ==
//! 10.0.0.12`, `why.weight >= 2`); `why.FIELD` alone tests that the reason has that field.
//! Unknown keys and fields are errors with the closest known name.
//!
//! ```
//! use lvsim::trace::filter::Filter;
//! let f = Filter::parse("ip.dst == 10.0.0.100 && hook == INPUT && host == director").unwrap();
//! assert!(Filter::parse("ip.dts == 1.2.3.4").unwrap_err().to_string().contains("ip.dst"));
//! # let _ = f;
//! ```

use super::{Names, Step};
use crate::packet::Frame;
use crate::packet::fields::Value;
use std::fmt;
use std::net::Ipv4Addr;

/// A parsed filter.
#[derive(Clone, Debug, PartialEq)]
pub struct Filter {
    expr: Expr,
}

#[derive(Clone, Debug, PartialEq)]
enum Expr {
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    Test(Test),
}

#[derive(Clone, Debug, PartialEq)]
enum Test {
    /// A frame field is present / compares with a value.
    Field {
        name: FieldName,
        cmp: Option<(Op, Literal)>,
    },
    Protocol(&'static str),
    Meta {
        name: Meta,
        cmp: Option<(Op, Literal)>,
    },
    Action(&'static str),
    Text(String),
    /// The kind of the step's [`Why`](crate::why::Why).
    WhyKey {
        op: Op,
        key: String,
    },
    /// A field of the step's [`Why`](crate::why::Why).
    WhyField {
        name: &'static str,
        cmp: Option<(Op, Literal)>,
    },
}

/// A frame field, or one of Wireshark's either-side aliases.
#[derive(Clone, Copy, Debug, PartialEq)]
enum FieldName {
    One(&'static str),
    Any(&'static [&'static str]),
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Meta {
    Host,
    Stage,
    Iface,
    Kind,
    Reason,
    Time,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Contains,
}

#[derive(Clone, Debug, PartialEq)]
struct Literal {
    text: String,
    /// The value as a number (decimal, `0x` hex, or seconds for `time`), if it is one.
    num: Option<f64>,
    /// The value as an address or subnet, if it is one.
    net: Option<(Ipv4Addr, u8)>,
}

const ALIASES: &[(&str, &[&str])] = &[
    ("ip.addr", &["ip.src", "ip.dst", "inner.ip.src", "inner.ip.dst"]),
    ("eth.addr", &["eth.src", "eth.dst"]),
    ("tcp.port", &["tcp.srcport", "tcp.dstport"]),
    ("udp.port", &["udp.srcport", "udp.dstport"]),
];

const METAS: &[(&str, Meta)] = &[
    ("host", Meta::Host),
    ("hook", Meta::Stage),
    ("stage", Meta::Stage),
    ("iface", Meta::Iface),
    ("kind", Meta::Kind),
    ("action", Meta::Kind),
    ("reason", Meta::Reason),
    ("time", Meta::Time),
];

/// Named events, for breakpoints: a word standing for a filter on typed reasons.
/// `rs_changed`: a health check changed a real server in IPVS (keepalived took it out,
/// put it back, or switched the sorry server; not the configuration installed at start).
/// `vip_moved`: an address moved: a VRRP instance became or stopped being MASTER (it adds
/// or removes its virtual addresses), or a command added or deleted an address by hand.
pub const EVENTS: &[(&str, &str)] = &[
    ("rs_changed", "why == keepalived.ipvsadm && why.change != start"),
    (
        "vip_moved",
        "(why == vrrp.state && (why.to == MASTER || why.from == MASTER)) || (why == command && (why.cmd contains \"ip addr add\" || why.cmd contains \"ip addr del\"))",
    ),
];

const ACTIONS: &[&str] = &["recv", "send", "pass", "rewrite", "deliver", "queue", "schedule", "drop", "info"];

/// Why a filter did not parse: the 1-based column, what was expected, what was found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FilterError {
    pub col: usize,
    pub expected: String,
    pub found: String,
    pub hint: Option<String>,
}

impl FilterError {
    /// The message as `Display` writes it, in `lang`: under Chinese the frame words and the
    /// phrases inside them (through [`crate::lang::zh`]); the found token stays as typed.
    pub fn message_in(&self, lang: crate::lang::Lang) -> String {
        use crate::lang::zh::phrase;
        match lang {
            crate::lang::Lang::En => self.to_string(),
            crate::lang::Lang::Zh => {
                let mut s =
                    format!("第 {} 列：应为 {}，实际为 {}", self.col, phrase(&self.expected), phrase(&self.found));
                if let Some(h) = &self.hint {
                    s.push_str("（提示：");
                    s.push_str(&phrase(h));
                    s.push('）');
                }
                s
            }
        }
    }
}

impl fmt::Display for FilterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "column {}: expected {}, found {}", self.col, self.expected, self.found)?;
        if let Some(h) = &self.hint {
            write!(f, " (hint: {h})")?;
        }
        Ok(())
    }
}

impl std::error::Error for FilterError {}

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Word(String),
    Quoted(String),
    Op(Op),
    And,
    Or,
    Not,
    Open,
    Close,
}

impl Tok {
    fn describe(&self) -> String {
        match self {
            Tok::Word(w) => format!("`{w}`"),
            Tok::Quoted(q) => format!("\"{q}\""),
            Tok::Op(o) => format!("`{}`", op_name(*o)),
            Tok::And => "`&&`".into(),
            Tok::Or => "`||`".into(),
            Tok::Not => "`!`".into(),
            Tok::Open => "`(`".into(),
            Tok::Close => "`)`".into(),
        }
    }
}

fn op_name(o: Op) -> &'static str {
    match o {
        Op::Eq => "==",
        Op::Ne => "!=",
        Op::Lt => "<",
        Op::Le => "<=",
        Op::Gt => ">",
        Op::Ge => ">=",
        Op::Contains => "contains",
    }
}

fn err(col: usize, expected: impl Into<String>, found: impl Into<String>, hint: Option<String>) -> FilterError {
    FilterError { col, expected: expected.into(), found: found.into(), hint }
}

/// Splits `src` into tokens with their 1-based columns (in characters).
fn lex(src: &str) -> Result<Vec<(usize, Tok)>, FilterError> {
    let chars: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let col = i + 1;
        let two = chars.get(i + 1).copied();
        let tok = match (c, two) {
            _ if c.is_whitespace() => {
                i += 1;
                continue;
            }
            ('&', Some('&')) => Tok::And,
            ('|', Some('|')) => Tok::Or,
            ('=', Some('=')) => Tok::Op(Op::Eq),
            ('!', Some('=')) => Tok::Op(Op::Ne),
            ('<', Some('=')) => Tok::Op(Op::Le),
            ('>', Some('=')) => Tok::Op(Op::Ge),
            ('<', _) => Tok::Op(Op::Lt),
            ('>', _) => Tok::Op(Op::Gt),
            ('!', _) => Tok::Not,
            ('(', _) => Tok::Open,
            (')', _) => Tok::Close,
            ('"', _) => {
                let end = chars[i + 1..].iter().position(|&c| c == '"').ok_or_else(|| {
                    err(col, "a closing `\"`", "the end of the filter", Some("quote text as \"some words\"".into()))
                })?;
                let text: String = chars[i + 1..i + 1 + end].iter().collect();
                out.push((col, Tok::Quoted(text)));
                i += end + 2;
                continue;
            }
            ('&' | '|' | '=', _) => {
                return Err(err(
                    col,
                    "an operator",
                    format!("`{c}`"),
                    Some(format!("write `{c}{c}`")).filter(|_| c != '=').or(Some("write `==`".into())),
                ));
            }
            _ => {
                let len = chars[i..]
                    .iter()
                    .position(|&c| c.is_whitespace() || "&|=!<>()\"".contains(c))
                    .unwrap_or(chars.len() - i);
                let word: String = chars[i..i + len].iter().collect();
                i += len;
                out.push((
                    col,
                    match word.to_ascii_lowercase().as_str() {
                        "and" => Tok::And,
                        "or" => Tok::Or,
                        "not" => Tok::Not,
                        "contains" => Tok::Op(Op::Contains),
                        "eq" => Tok::Op(Op::Eq),
                        "ne" => Tok::Op(Op::Ne),
                        _ => Tok::Word(word),
                    },
                ));
                continue;
            }
        };
        i += if matches!(tok, Tok::Op(Op::Lt | Op::Gt) | Tok::Not | Tok::Open | Tok::Close) { 1 } else { 2 };
        out.push((col, tok));
    }
    Ok(out)
}

struct Parser {
    toks: Vec<(usize, Tok)>,
    pos: usize,
    end_col: usize,
    /// `(` and `!` open around the current position.
    depth: usize,
}

/// The deepest nesting of `(` and `!` a filter may have, and the most tokens: the parser
/// and the evaluator recurse, so a filter 10,000 levels deep would overflow the stack.
pub const MAX_DEPTH: usize = 100;
pub const MAX_TOKENS: usize = 1000;

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos).map(|(_, t)| t)
    }

    fn col(&self) -> usize {
        self.toks.get(self.pos).map_or(self.end_col, |(c, _)| *c)
    }

    fn found(&self) -> String {
        self.peek().map_or_else(|| "the end of the filter".to_string(), Tok::describe)
    }

    fn or(&mut self) -> Result<Expr, FilterError> {
        let mut e = self.and()?;
        while self.peek() == Some(&Tok::Or) {
            self.pos += 1;
            e = Expr::Or(Box::new(e), Box::new(self.and()?));
        }
        Ok(e)
    }

    fn and(&mut self) -> Result<Expr, FilterError> {
        let mut e = self.unary()?;
        while self.peek() == Some(&Tok::And) {
            self.pos += 1;
            e = Expr::And(Box::new(e), Box::new(self.unary()?));
        }
        Ok(e)
    }

    fn unary(&mut self) -> Result<Expr, FilterError> {
        let col = self.col();
        if matches!(self.peek(), Some(Tok::Not | Tok::Open)) {
            self.depth += 1;
            if self.depth > MAX_DEPTH {
                return Err(err(
                    col,
                    format!("at most {MAX_DEPTH} nested `(` or `!`"),
                    "deeper nesting".to_string(),
                    Some("write the test without the extra parentheses".into()),
                ));
            }
            let e = self.unary_nested(col);
            self.depth -= 1;
            return e;
        }
        self.unary_nested(col)
    }

    fn unary_nested(&mut self, col: usize) -> Result<Expr, FilterError> {
        match self.peek().cloned() {
            Some(Tok::Not) => {
                self.pos += 1;
                Ok(Expr::Not(Box::new(self.unary()?)))
            }
            Some(Tok::Open) => {
                self.pos += 1;
                let e = self.or()?;
                if self.peek() != Some(&Tok::Close) {
                    return Err(err(
                        self.col(),
                        "`)`",
                        self.found(),
                        Some(format!("the `(` at column {col} is not closed")),
                    ));
                }
                self.pos += 1;
                Ok(e)
            }
            Some(Tok::Quoted(t)) => {
                self.pos += 1;
                Ok(Expr::Test(Test::Text(t.to_lowercase())))
            }
            Some(Tok::Word(w)) => {
                self.pos += 1;
                let lower = w.to_ascii_lowercase();
                if let Some((_, def)) = EVENTS.iter().find(|(n, _)| *n == lower)
                    && !matches!(self.peek(), Some(Tok::Op(_)))
                {
                    return Ok(Filter::parse(def).expect("the EVENTS definitions parse").expr);
                }
                self.test(&w, col).map(Expr::Test)
            }
            _ => Err(err(
                col,
                "a field, protocol, `host`, `hook`, an action or \"text\"",
                self.found(),
                Some("for example: ip.dst == 10.0.0.100 && hook == INPUT".into()),
            )),
        }
    }

    /// The comparison after a name, if one follows.
    fn cmp(&mut self, name: &str) -> Result<Option<(Op, Literal)>, FilterError> {
        let Some(Tok::Op(op)) = self.peek().cloned() else { return Ok(None) };
        self.pos += 1;
        let col = self.col();
        let Some(Tok::Word(text) | Tok::Quoted(text)) = self.peek().cloned() else {
            return Err(err(
                col,
                format!("a value after `{name} {}`", op_name(op)),
                self.found(),
                Some(format!("for example: {name} {} 10.0.0.100", op_name(op))),
            ));
        };
        self.pos += 1;
        let lit = literal(&text);
        // An address field compared with something that is no address or subnet would
        // silently match nothing (`ip.dst == banana`, `ip.dst == 10.0.0.300`).
        let lower = name.to_ascii_lowercase();
        let address =
            ["ip.src", "ip.dst", "ip.addr"].iter().any(|f| lower.ends_with(f)) || lower.contains("proto_ipv4");
        if address && lit.net.is_none() && !matches!(op, Op::Contains) {
            return Err(err(
                col,
                format!("an IPv4 address or subnet after `{name} {}`", op_name(op)),
                format!("`{text}`"),
                Some(format!("for example: {name} {} 10.0.0.100 or 10.0.0.0/24", op_name(op))),
            ));
        }
        Ok(Some((op, lit)))
    }

    fn test(&mut self, word: &str, col: usize) -> Result<Test, FilterError> {
        let lower = word.to_ascii_lowercase();
        if lower == "why" {
            return self.why_key(col);
        }
        if let Some(field) = lower.strip_prefix("why.") {
            let all = why_field_names();
            let Some(&name) = all.iter().find(|&&n| n == field) else {
                let best = closest(field, all.iter().copied());
                return Err(err(
                    col,
                    "a field of a reason (why.FIELD)",
                    format!("`{word}`"),
                    Some(format!("did you mean `why.{best}`? Each reason's fields are in docs/trace.md")),
                ));
            };
            return Ok(Test::WhyField { name, cmp: self.cmp(word)? });
        }
        if let Some(&name) = Frame::field_names().iter().find(|&&n| n == lower) {
            return Ok(Test::Field { name: FieldName::One(name), cmp: self.cmp(word)? });
        }
        if let Some((_, any)) = ALIASES.iter().find(|(n, _)| *n == lower) {
            return Ok(Test::Field { name: FieldName::Any(any), cmp: self.cmp(word)? });
        }
        if let Some((_, m)) = METAS.iter().find(|(n, _)| *n == lower) {
            let cmp = self.cmp(word)?;
            if cmp.is_none() {
                return Err(err(
                    self.col(),
                    format!("`==`, `!=` or `contains` after `{word}`"),
                    self.found(),
                    Some(format!("for example: {word} == {}", meta_example(*m))),
                ));
            }
            return Ok(Test::Meta { name: *m, cmp });
        }
        let known = matches!(self.peek(), Some(Tok::Op(_)));
        if let Some(&p) = Frame::protocol_names().iter().find(|&&n| n == lower) {
            if known {
                return Err(err(
                    self.col(),
                    format!("`&&`, `||` or the end after the protocol `{p}`"),
                    self.found(),
                    Some(format!("compare a field of it, such as {p}.{}", if p == "arp" { "opcode" } else { "src" })),
                ));
            }
            return Ok(Test::Protocol(p));
        }
        if let Some(&a) = ACTIONS.iter().find(|&&a| a == lower) {
            return Ok(Test::Action(a));
        }
        if known || word.contains('.') {
            // A name followed by a comparison, or dotted like a field: a misspelt field.
            return Err(err(col, "a field name", format!("`{word}`"), Some(suggest(&lower))));
        }
        Ok(Test::Text(lower))
    }
}

impl Parser {
    /// `why OP KEY`: the key must be a known one for `==` and `!=`.
    fn why_key(&mut self, col: usize) -> Result<Test, FilterError> {
        let Some(Tok::Op(op)) = self.peek().cloned() else {
            return Err(err(
                self.col(),
                "`==`, `!=` or `contains` after `why`",
                self.found(),
                Some("for example: why == ipvs.schedule".into()),
            ));
        };
        self.pos += 1;
        let kcol = self.col();
        let Some(Tok::Word(key) | Tok::Quoted(key)) = self.peek().cloned() else {
            return Err(err(
                kcol,
                format!("a reason key after `why {}`", op_name(op)),
                self.found(),
                Some("for example: why == ipvs.schedule".into()),
            ));
        };
        self.pos += 1;
        let key = key.to_ascii_lowercase();
        if matches!(op, Op::Eq | Op::Ne) && !crate::why::Why::KEYS.iter().any(|(k, _)| *k == key) {
            let best = closest(&key, crate::why::Why::KEYS.iter().map(|(k, _)| *k));
            return Err(err(kcol, "a reason key", format!("`{key}`"), Some(format!("did you mean `{best}`?"))));
        }
        if !matches!(op, Op::Eq | Op::Ne | Op::Contains) {
            return Err(err(
                col,
                "`==`, `!=` or `contains` after `why`",
                format!("`{}`", op_name(op)),
                Some("reason keys are names, not numbers".into()),
            ));
        }
        Ok(Test::WhyKey { op, key })
    }
}

/// Every field name of every reason, sorted, without repeats.
fn why_field_names() -> Vec<&'static str> {
    let mut v: Vec<&'static str> = crate::why::Why::KEYS.iter().flat_map(|(_, f)| f.iter().copied()).collect();
    v.sort_unstable();
    v.dedup();
    v
}

/// The name of `names` closest to `word`.
fn closest<'a>(word: &str, names: impl Iterator<Item = &'a str>) -> &'a str {
    names.min_by_key(|n| (strsim::levenshtein(word, n), *n)).unwrap_or("")
}

fn meta_example(m: Meta) -> &'static str {
    match m {
        Meta::Host => "director",
        Meta::Stage => "INPUT",
        Meta::Iface => "eth0",
        Meta::Kind => "drop",
        Meta::Reason => "\"arp_ignore\"",
        Meta::Time => "0.1",
    }
}

/// The closest known name to `word`, for a hint.
fn suggest(word: &str) -> String {
    let names = Frame::field_names()
        .iter()
        .copied()
        .chain(ALIASES.iter().map(|(n, _)| *n))
        .chain(METAS.iter().map(|(n, _)| *n))
        .chain(Frame::protocol_names().iter().copied());
    let best = names.min_by_key(|n| (strsim::levenshtein(word, n), *n)).unwrap_or("ip.dst");
    format!("did you mean `{best}`? Fields are Wireshark's: ip.src, ip.dst, eth.dst, tcp.flags, arp.opcode...")
}

fn literal(text: &str) -> Literal {
    let num = text
        .strip_prefix("0x")
        .map_or_else(|| text.parse::<f64>().ok(), |h| u64::from_str_radix(h, 16).ok().map(|n| n as f64));
    let net = match text.split_once('/') {
        Some((a, len)) => a.parse().ok().zip(len.parse().ok().filter(|&l| l <= 32)),
        None => text.parse().ok().map(|a| (a, 32)),
    };
    Literal { text: text.to_string(), num, net }
}

impl Filter {
    /// Parses a filter expression.
    pub fn parse(src: &str) -> Result<Filter, FilterError> {
        let toks = lex(src)?;
        let end_col = src.chars().count() + 1;
        if toks.len() > MAX_TOKENS {
            return Err(err(
                toks[MAX_TOKENS].0,
                format!("a filter of at most {MAX_TOKENS} words and operators"),
                format!("{} of them", toks.len()),
                None,
            ));
        }
        let mut p = Parser { toks, pos: 0, end_col, depth: 0 };
        let expr = p.or()?;
        if p.pos < p.toks.len() {
            return Err(err(p.col(), "`&&`, `||` or the end", p.found(), Some("join tests with && or ||".into())));
        }
        Ok(Filter { expr })
    }

    /// Whether `step` passes the filter.
    pub fn matches(&self, step: &Step, names: &Names) -> bool {
        eval(&self.expr, step, names)
    }
}

fn eval(e: &Expr, s: &Step, names: &Names) -> bool {
    match e {
        Expr::And(a, b) => eval(a, s, names) && eval(b, s, names),
        Expr::Or(a, b) => eval(a, s, names) || eval(b, s, names),
        Expr::Not(a) => !eval(a, s, names),
        Expr::Test(t) => test(t, s, names),
    }
}

fn frame_of(s: &Step) -> Option<&Frame> {
    s.subject.as_ref().map(|x| &x.frame)
}

fn test(t: &Test, s: &Step, names: &Names) -> bool {
    match t {
        Test::Field { name, cmp } => {
            let Some(f) = frame_of(s) else { return false };
            let l2 = s.subject.is_some_and(|x| x.l2);
            let one = |n: &str| {
                if n.starts_with("eth.") && !l2 {
                    return false;
                }
                f.field(n).is_some_and(|v| cmp.as_ref().is_none_or(|(op, lit)| compare_value(v, *op, lit)))
            };
            match name {
                FieldName::One(n) => one(n),
                // `ip.addr != x` is true when some side differs, as in Wireshark.
                FieldName::Any(ns) => ns.iter().any(|n| one(n)),
            }
        }
        Test::Protocol(p) => frame_of(s).is_some_and(|f| f.has_protocol(p)),
        Test::Action(a) => s.action.name() == *a,
        Test::Text(t) => text_hit(s, names, t),
        Test::WhyKey { op, key } => compare_text(s.why.key(), *op, key),
        Test::WhyField { name, cmp } => s
            .why
            .field(name)
            .is_some_and(|v| cmp.as_ref().is_none_or(|(op, lit)| compare_why(v, *op, lit, names, s.host))),
        Test::Meta { name, cmp } => {
            let Some((op, lit)) = cmp else { return false };
            let value: String = match name {
                Meta::Host => names.host(s.host).to_string(),
                Meta::Stage => s.stage.name().to_string(),
                Meta::Iface => names.iface(s.host, s.iface).to_string(),
                Meta::Kind => s.action.name().to_string(),
                Meta::Reason => s.reason(names, crate::lang::Lang::En),
                Meta::Time => {
                    let secs = s.time.as_nanos() as f64 / 1e9;
                    return lit.num.is_some_and(|n| compare_num(secs, *op, n));
                }
            };
            compare_text(&value, *op, &lit.text)
        }
    }
}

fn text_hit(s: &Step, names: &Names, needle: &str) -> bool {
    let en = s.reason(names, crate::lang::Lang::En);
    let zh = s.reason(names, crate::lang::Lang::Zh);
    [names.host(s.host), s.stage.name(), en.as_str(), zh.as_str()].iter().any(|h| h.to_lowercase().contains(needle))
}

fn compare_text(value: &str, op: Op, lit: &str) -> bool {
    let (v, l) = (value.to_lowercase(), lit.to_lowercase());
    match op {
        Op::Eq => v == l,
        Op::Ne => v != l,
        Op::Contains => v.contains(&l),
        Op::Lt => v < l,
        Op::Le => v <= l,
        Op::Gt => v > l,
        Op::Ge => v >= l,
    }
}

fn compare_num(v: f64, op: Op, n: f64) -> bool {
    match op {
        Op::Eq => (v - n).abs() < 1e-12,
        Op::Ne => (v - n).abs() >= 1e-12,
        Op::Lt => v < n,
        Op::Le => v <= n,
        Op::Gt => v > n,
        Op::Ge => v >= n,
        Op::Contains => false,
    }
}

fn compare_why(v: crate::why::Value<'_>, op: Op, lit: &Literal, names: &Names, host: crate::topology::HostId) -> bool {
    use crate::why::Value as W;
    match v {
        W::Addr(a) => compare_value(Value::Ip(a), op, lit),
        W::Num(_) | W::Bool(_) | W::Dur(_) if op != Op::Contains => {
            v.number().zip(lit.num).is_some_and(|(x, n)| compare_num(x, op, n))
                || matches!(op, Op::Eq | Op::Ne)
                    && lit.num.is_none()
                    && compare_text(&v.text(names, host), op, &lit.text)
        }
        _ => compare_text(&v.text(names, host), op, &lit.text),
    }
}

fn compare_value(v: Value, op: Op, lit: &Literal) -> bool {
    match v {
        Value::Num(n) => lit.num.is_some_and(|x| compare_num(n as f64, op, x)),
        Value::Hex16(n) => lit.num.is_some_and(|x| compare_num(f64::from(n), op, x)),
        Value::Bool(b) => lit.num.is_some_and(|x| compare_num(f64::from(u8::from(b)), op, x)),
        Value::Ip(a) => match (op, lit.net) {
            (Op::Eq, Some((net, len))) => crate::topology::in_subnet(a, net, len),
            (Op::Ne, Some((net, len))) => !crate::topology::in_subnet(a, net, len),
            _ => compare_text(&a.to_string(), op, &lit.text),
        },
        Value::Mac(_) => compare_text(&v.to_string(), op, &lit.text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::trace::VecRecorder;
    use proptest::prelude::*;
    use std::cell::RefCell;
    use std::rc::Rc;

    // Each named event is a filter of its own (parsed when the word is met, so a bad
    // definition would panic there); followed by a comparison, the word is no event but a
    // misspelt field, as any other bare word.
    #[test]
    fn named_events_parse_and_only_alone() {
        for (name, def) in EVENTS {
            assert!(Filter::parse(def).is_ok(), "{name}: {def}");
            assert_eq!(Filter::parse(name).unwrap(), Filter::parse(def).unwrap(), "{name}");
        }
        assert!(Filter::parse("vip_moved == 1").is_err());
    }

    fn run(name: &str) -> (Vec<Step>, Names) {
        let l = crate::scenario::load(name).unwrap();
        let mut e = l.build().unwrap();
        let rec = Rc::new(RefCell::new(VecRecorder::default()));
        e.set_recorder(Box::new(rec.clone()));
        e.run();
        let names = e.names();
        drop(e);
        let steps = std::mem::take(&mut rec.borrow_mut().steps);
        (steps, names)
    }

    fn hits(f: &str, steps: &[Step], names: &Names) -> Vec<usize> {
        let f = Filter::parse(f).unwrap();
        (0..steps.len()).filter(|&i| f.matches(&steps[i], names)).collect()
    }

    // `why == ipvs.schedule && why.sched == rr` picks exactly the steps whose typed reason
    // is an rr scheduling decision (checked on the enum, not on words); the dr scenario's
    // client opens four connections, so there are four. `why.server == 10.0.0.12` picks
    // those of them that went to rs2; rr alternates, newest (rs2) first: two.
    #[test]
    fn why_key_and_fields() {
        use crate::why::Why;
        let (steps, names) = run("dr");
        let got = hits("why == ipvs.schedule && why.sched == rr", &steps, &names);
        let want: Vec<usize> =
            (0..steps.len()).filter(|&i| matches!(steps[i].why, Why::IpvsSchedule { sched: "rr", .. })).collect();
        assert_eq!(want.len(), 4);
        assert_eq!(got, want);
        assert_eq!(hits("why == ipvs.schedule && why.server == 10.0.0.12", &steps, &names).len(), 2);
        assert_eq!(hits("why.server == 10.0.0.0/24 && why == ipvs.schedule", &steps, &names), want);
        // A family by prefix, and a numeric field.
        assert!(hits("why contains ipvs.", &steps, &names).len() > want.len());
        assert_eq!(hits("why.weight >= 1 && why == ipvs.schedule", &steps, &names), want);
        assert!(hits("why.weight > 1", &steps, &names).is_empty(), "dr's real servers have weight 1");
    }

    // Unknown reason keys and fields are errors at their column, naming the closest one.
    #[test]
    fn why_errors_suggest() {
        let e = Filter::parse("why == ipvs.schedul").unwrap_err();
        assert_eq!(e.col, 8);
        assert!(e.hint.as_deref().is_some_and(|h| h.contains("`ipvs.schedule`")), "{e}");
        let e = Filter::parse("why.shced == rr").unwrap_err();
        assert_eq!(e.col, 1);
        assert!(e.hint.as_deref().is_some_and(|h| h.contains("`why.sched`")), "{e}");
        assert!(Filter::parse("why").is_err());
        assert!(Filter::parse("why < 3").is_err());
    }

    // The issue's example filter picks exactly the steps an independent check picks: the
    // director's INPUT steps whose frame has destination the VIP; and there are some.
    #[test]
    fn the_issue_example_matches_what_it_says() {
        let (steps, names) = run("dr");
        let got = hits("ip.dst == 10.0.0.100 && hook == INPUT && host == director", &steps, &names);
        let want: Vec<usize> = (0..steps.len())
            .filter(|&i| {
                let s = &steps[i];
                names.host(s.host) == "director"
                    && s.stage == crate::trace::Stage::Input
                    && s.subject.and_then(|x| x.frame.ip().map(|p| p.outer().dst))
                        == Some("10.0.0.100".parse().unwrap())
            })
            .collect();
        assert!(!want.is_empty());
        assert_eq!(got, want);
    }

    // `arp && host == router` keeps only ARP frames seen on the router; `drop` keeps only
    // drops, and in a scenario where frames are dropped it finds them.
    #[test]
    fn protocols_and_actions() {
        let (steps, names) = run("dr");
        let got = hits("arp && host == router", &steps, &names);
        assert!(!got.is_empty());
        assert!(got.iter().all(
            |&i| names.host(steps[i].host) == "router" && steps[i].subject.is_some_and(|x| x.frame.arp().is_some())
        ));
        let (steps, names) = run("nat-no-ip-forward");
        let drops = hits("drop", &steps, &names);
        assert!(!drops.is_empty());
        assert_eq!(
            drops,
            (0..steps.len()).filter(|&i| matches!(steps[i].action, crate::trace::Action::Drop(_))).collect::<Vec<_>>()
        );
    }

    // The DR ARP-poisoning step itself passes `arp && host == router`: the router's cache
    // update for the VIP carries the ARP reply that caused it. Expected values come from
    // the kernel capture of this scenario (tests/kernel/dr-no-arp-fix.kernel.txt): rs2's
    // reply (02:00:00:00:04:02) reaches the router first and wins. Exactly one step is
    // that update, and the filter keeps it.
    #[test]
    fn arp_filter_shows_the_cache_update() {
        use crate::why::Why;
        let (steps, names) = run("dr-no-arp-fix");
        let vip: std::net::Ipv4Addr = "10.0.0.100".parse().unwrap();
        let rs2_mac: crate::packet::MacAddr = "02:00:00:00:04:02".parse().unwrap();
        let learned: Vec<usize> = (0..steps.len())
            .filter(|&i| {
                names.host(steps[i].host) == "router"
                    && matches!(steps[i].why, Why::ArpCache { ip, mac, .. } if ip == vip && mac == rs2_mac)
            })
            .collect();
        assert_eq!(learned.len(), 1);
        let got = hits("arp && host == router", &steps, &names);
        assert!(got.contains(&learned[0]));
    }

    // ip.addr matches the inner header of a tunnelled packet: on the TUN LAN the outer
    // ip.dst is the RIP, yet `ip.addr == VIP` still finds the director's IPIP frames,
    // while `ip.dst == VIP` (outer only) does not.
    #[test]
    fn ip_addr_sees_the_inner_header() {
        let (steps, names) = run("tun");
        let vip = "inner.ip && host == director && kind == send";
        let tunnelled = hits(vip, &steps, &names);
        assert!(!tunnelled.is_empty());
        let any = hits(&format!("{vip} && ip.addr == 10.0.0.100"), &steps, &names);
        let outer = hits(&format!("{vip} && ip.dst == 10.0.0.100"), &steps, &names);
        assert_eq!(any, tunnelled);
        assert!(outer.is_empty());
    }

    // Numbers compare numerically in decimal or hex, subnets match their addresses, and
    // `!`/`||`/parentheses combine as in Wireshark: the two spellings select the same rows.
    #[test]
    fn values_and_combinators() {
        let (steps, names) = run("nat");
        let a = hits("tcp.flags == 0x002", &steps, &names);
        let b = hits("tcp.flags == 2", &steps, &names);
        assert!(!a.is_empty());
        assert_eq!(a, b);
        let lan = hits("ip.dst == 10.0.0.0/24 && tcp", &steps, &names);
        assert!(!lan.is_empty());
        let c = hits("!(arp || udp) && (host == rs1 or host == rs2)", &steps, &names);
        let d = hits("not arp && not udp && host contains rs", &steps, &names);
        assert_eq!(c, d);
        assert!(!c.is_empty());
    }

    // Errors point at the column of the problem and say what was expected.
    #[test]
    fn deep_or_long_filters_are_refused_not_a_stack_overflow() {
        // 10,000 nested parentheses recursed 10,000 levels and overflowed the stack.
        let deep = format!("{}tcp{}", "(".repeat(10_000), ")".repeat(10_000));
        assert!(Filter::parse(&deep).is_err());
        let nots = format!("{}tcp", "!".repeat(10_000));
        assert!(Filter::parse(&nots).is_err());
        let long = vec!["tcp"; 5_000].join(" && ");
        assert!(Filter::parse(&long).is_err());
        // At the limits they parse.
        let ok = format!("{}tcp{}", "(".repeat(MAX_DEPTH), ")".repeat(MAX_DEPTH));
        assert!(Filter::parse(&ok).is_ok());
        assert!(Filter::parse(&vec!["tcp"; 500].join(" && ")).is_ok());
    }

    #[test]
    fn errors_say_where_and_what() {
        let e = Filter::parse("ip.dts == 1.2.3.4").unwrap_err();
        assert_eq!((e.col, e.expected.as_str()), (1, "a field name"));
        assert!(e.hint.unwrap().contains("ip.dst"));
        let e = Filter::parse("ip.dst ==").unwrap_err();
        assert_eq!(e.col, 10);
        assert!(e.to_string().contains("a value after `ip.dst ==`"), "{e}");
        let e = Filter::parse("(arp && host == router").unwrap_err();
        assert!(e.to_string().contains("not closed"), "{e}");
        let e = Filter::parse("host director").unwrap_err();
        assert_eq!(e.col, 6);
        let e = Filter::parse("ip.dst = 1.2.3.4").unwrap_err();
        assert!(e.to_string().contains("=="), "{e}");
        assert!(Filter::parse("\"open").is_err());
    }

    // A bare word that is no field searches host, stage and reason, as the TUI's first
    // filter did: `rs2` keeps exactly the steps that mention rs2.
    #[test]
    fn bare_words_search_text() {
        let (steps, names) = run("dr");
        let got = hits("rs2", &steps, &names);
        let want: Vec<usize> = (0..steps.len())
            .filter(|&i| {
                names.host(steps[i].host).contains("rs2")
                    || steps[i].reason(&names, crate::lang::Lang::En).contains("rs2")
            })
            .collect();
        assert_eq!(got, want);
    }

    proptest! {
        // The parser never panics: any input either parses or yields an error whose
        // column lies within the input (or just past its end).
        #[test]
        fn never_panics(s in "[ a-z0-9.=!&|()<>\"/]{0,40}") {
            match Filter::parse(&s) {
                Ok(_) => {}
                Err(e) => prop_assert!(e.col >= 1 && e.col <= s.chars().count() + 1, "{e}"),
            }
        }

        // Every error of a filter built from its own words carries phrases the Chinese
        // table translates whole (or words that are not phrases: the found token, a name):
        // the typed fields checked against the table, for the phrases helpers build.
        #[test]
        fn errors_have_chinese(words in prop::collection::vec(prop::sample::select(vec![
            "ip.dst", "ip.dts", "why", "why.sched", "why.x", "==", "!=", "contains", "&&", "||", "(", ")",
            "!", "10.0.0.1", "10.0.0.0/24", "banana", "\"a b\"", "\"", "host", "hook", "tcp", "ipvs.schedule",
            "rr", "5", "drop", "INPUT", "<", ">=", "",
        ]), 0..8)) {
            use crate::lang::zh::{knows, wordy};
            if let Err(e) = Filter::parse(&words.join(" ")) {
                for p in [Some(&e.expected), Some(&e.found), e.hint.as_ref()].into_iter().flatten() {
                    prop_assert!(!wordy(p) || knows(p), "{:?}: no Chinese for {:?}", words, p);
                }
            }
        }

        // Negation is exact: for any field test, `!(t)` holds on a step iff `t` does not.
        #[test]
        fn not_is_complement(field in prop::sample::select(Frame::field_names()), i in 0usize..500) {
            static DR: std::sync::OnceLock<(Vec<Step>, Names)> = std::sync::OnceLock::new();
            let (steps, names) = DR.get_or_init(|| run("dr"));
            let s = &steps[i % steps.len()];
            let t = Filter::parse(field).unwrap();
            let n = Filter::parse(&format!("!({field})")).unwrap();
            prop_assert_ne!(t.matches(s, names), n.matches(s, names));
        }
    }
}
