//! `ip [-4] [-br] addr|route|neigh [show] [dev NAME]`: the listings `lvsim ip` answers,
//! parsed into a typed [`IpShow`]; `stack::show` prints what iproute2 would for one.

use std::fmt;

use super::ip::{IpObj, ip_object, iproute_matches as matches};

/// A listing of `ip addr`, `ip route` or `ip neigh`, optionally for one device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IpShow {
    pub object: IpObj,
    /// `-4`: IPv4 only (`ip -4 addr` lists only interfaces with an IPv4 address, and no
    /// link-layer lines).
    pub v4: bool,
    /// `-br`: one line per interface (`addr` only; accepted and ignored otherwise).
    pub brief: bool,
    /// `dev NAME` (or a bare `NAME` after `ip addr show`).
    pub dev: Option<String>,
}

impl fmt::Display for IpShow {
    /// `ip -br addr show dev eth0`: [`parse_show`] reads the words back to the same value.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ip ")?;
        if self.v4 {
            f.write_str("-4 ")?;
        }
        if self.brief {
            f.write_str("-br ")?;
        }
        f.write_str(match self.object {
            IpObj::Addr => "addr",
            IpObj::Route => "route",
            IpObj::Neigh => "neigh",
            IpObj::Link => "link",
        })?;
        f.write_str(" show")?;
        if let Some(d) = &self.dev {
            write!(f, " dev {d}")?;
        }
        Ok(())
    }
}

/// `ip` arguments lvsim cannot answer.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ShowError {
    /// No object at all.
    #[error("expected an object: addr|a|address, link|l, route|r or neigh|n|neighbour|neighbor, found nothing")]
    NoObject,
    /// The object (first word) is not one lvsim shows.
    #[error("unknown object {found:?}: expected addr|a|address, link|l, route|r or neigh|n|neighbour|neighbor")]
    UnknownObject { found: String },
    /// Not `show`/`list`: a command that changes state (`add`, `del`, `flush`...) or a typo.
    #[error(
        "{found:?}: expected show (or list); lvsim only shows state here, changes belong in the scenario's `run:` commands"
    )]
    NotShow { found: String },
    /// An argument after `show` that is not a filter lvsim knows.
    #[error("unexpected argument {found:?}: expected {expected}")]
    Unexpected { found: String, expected: &'static str },
    /// `dev` came last.
    #[error("{option} needs a value: expected an interface name, found the end of the arguments")]
    MissingValue { option: String },
    /// iproute2's own message for a device that does not exist.
    #[error("Device \"{0}\" does not exist.")]
    NoSuchDevice(String),
    /// An option before the object that lvsim does not model.
    #[error("unknown option {found:?}: expected -4, -br or -brief")]
    UnknownOption { found: String },
}

/// Parses the words of an `ip` listing (argv, not a line to lex). An optional leading
/// word `ip` is skipped; objects and `show`/`list` may be abbreviated as iproute2 allows
/// (`a`, `r`, `n`, `sh`).
pub fn parse_show(args: &[String]) -> Result<IpShow, ShowError> {
    let mut rest = match args.first() {
        Some(a) if a == "ip" => &args[1..],
        _ => args,
    };
    let (mut brief, mut v4) = (false, false);
    while let Some(opt) = rest.first().filter(|a| a.starts_with('-')) {
        match opt.as_str() {
            "-4" => v4 = true,
            "-br" | "-brief" => brief = true,
            _ => return Err(ShowError::UnknownOption { found: opt.clone() }),
        }
        rest = &rest[1..];
    }
    let Some(word) = rest.first() else {
        return Err(ShowError::NoObject);
    };
    // The command parser's object table, in iproute2's order ("address" before
    // "addrlabel", "route" before "rule").
    let Some(object) = ip_object(word) else {
        return Err(ShowError::UnknownObject { found: word.clone() });
    };
    rest = &rest[1..];
    if let Some(w) = rest.first() {
        if !(matches(w, "show") || matches(w, "list") || matches(w, "lst")) {
            return Err(ShowError::NotShow { found: w.clone() });
        }
        rest = &rest[1..];
    }
    // `ip addr show NAME` and `ip link show NAME` take a bare device name.
    let bare = matches!(object, IpObj::Addr | IpObj::Link);
    let expected = if bare { "dev NAME or NAME" } else { "dev NAME" };
    let dev = match rest {
        [] => None,
        [d] if d == "dev" => return Err(ShowError::MissingValue { option: "dev".into() }),
        [d, name] if d == "dev" => Some(name.clone()),
        [name] if bare => Some(name.clone()),
        [first, ..] => {
            let found = if first == "dev" { rest[2].clone() } else { first.clone() };
            return Err(ShowError::Unexpected { found, expected });
        }
    };
    Ok(IpShow { object, v4, brief, dev })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn words(text: &str) -> Vec<String> {
        text.split_whitespace().map(str::to_owned).collect()
    }

    fn ip_show() -> impl Strategy<Value = IpShow> {
        let object = prop::sample::select(vec![IpObj::Addr, IpObj::Route, IpObj::Neigh, IpObj::Link]);
        let dev = prop::option::of(prop::sample::select(vec!["eth0", "lo", "tunl0", "eth0.100"]));
        (object, any::<bool>(), any::<bool>(), dev).prop_map(|(object, v4, brief, dev)| IpShow {
            object,
            v4,
            brief,
            dev: dev.map(str::to_owned),
        })
    }

    proptest! {
        #[test]
        fn listings_print_back_to_themselves(c in ip_show()) {
            // Display writes the words an admin types; parsing them gives the same listing.
            prop_assert_eq!(parse_show(&words(&c.to_string())), Ok(c));
        }
    }

    #[test]
    fn abbreviations_are_one_value() {
        // iproute2's prefixes (`a`, `sh`, `neighbour`) and the bare device after `ip addr
        // show` name the same listing, written here by hand.
        let want = IpShow { object: IpObj::Addr, v4: false, brief: false, dev: Some("eth0".into()) };
        for text in ["ip a sh eth0", "addr show dev eth0", "ip address list dev eth0"] {
            assert_eq!(parse_show(&words(text)), Ok(want.clone()), "{text}");
        }
        let v4 = IpShow { v4: true, ..want };
        assert_eq!(parse_show(&words("ip -4 a sh eth0")), Ok(v4));
        let neigh = IpShow { object: IpObj::Neigh, v4: false, brief: false, dev: None };
        for text in ["n", "ip neighbour", "neighbor lst"] {
            assert_eq!(parse_show(&words(text)), Ok(neigh.clone()), "{text}");
        }
        let link = IpShow { object: IpObj::Link, v4: false, brief: false, dev: Some("eth0".into()) };
        for text in ["ip l sh eth0", "link show dev eth0", "ip link list eth0"] {
            assert_eq!(parse_show(&words(text)), Ok(link.clone()), "{text}");
        }
        assert!(matches!(parse_show(&words("ip rule show")), Err(ShowError::UnknownObject { .. })));
    }
}
