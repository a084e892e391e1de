//! Command patterns: what an exercise's `require` and `forbid` entries match. A pattern is
//! read by the command parser, so it matches typed commands, never text: a comment or an
//! `echo arp_ignore` matches nothing, and `sysctl net.ipv4.conf.all.arp_ignore=1`,
//! `sysctl -w net/ipv4/conf/all/arp_ignore=1` and
//! `echo 1 > /proc/sys/net/ipv4/conf/all/arp_ignore` are the same command.
//!
//! | pattern | matches |
//! |---|---|
//! | `arptables` (a program name alone) | any command of that program |
//! | `sysctl net.ipv4.conf.all.arp_ignore` (a key, no value) | any write to that key |
//! | `sysctl net.ipv4.conf.*.arp_ignore` (`*` for the device) | a write to it on any of `all`, `default` or a device |
//! | a whole command (`sysctl -w net.ipv4.conf.all.arp_ignore=1`) | that command, however spelled |

use std::fmt;

use super::lex::{CmdError, Tok, tokenize};
use super::sysctl::{split_sysctl_name, sysctl_key};
use super::{COMMANDS, Command, SysctlKey, parse, program_name};

/// One `require`/`forbid` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pattern {
    /// A program name alone: any command it runs.
    Program(&'static str),
    /// `sysctl [-w] KEY`: any value written to `key`; with `any_dev`, on any device.
    SysctlKey { key: SysctlKey, any_dev: bool },
    /// A whole command: the same typed command.
    Command(Command),
}

impl Pattern {
    /// Parses a pattern (see the module documentation).
    ///
    /// # Errors
    /// A [`CmdError`] located in `text`, as for a command.
    pub fn parse(text: &str) -> Result<Self, CmdError> {
        let toks = tokenize(text)?;
        let toks = &toks[usize::from(toks.first().is_some_and(|t| t.is("sudo")))..];
        if let [word] = toks
            && let Some(&program) = COMMANDS.iter().find(|c| **c == program_name(&word.text))
        {
            return Ok(Self::Program(if program == "echo" { "sysctl" } else { program }));
        }
        if let [first, rest @ ..] = toks
            && program_name(&first.text) == "sysctl"
        {
            let keys: Vec<&Tok> = rest.iter().filter(|t| t.text != "-w").collect();
            if let [key] = keys[..]
                && !key.text.contains('=')
            {
                return sysctl_pattern(key);
            }
        }
        parse(text).map(Self::Command)
    }

    /// Does the typed command `c` match?
    #[must_use]
    pub fn matches(&self, c: &Command) -> bool {
        match (self, c) {
            (Self::Program(p), c) => c.program() == *p,
            (Self::SysctlKey { key, any_dev }, Command::Sysctl { key: k, .. }) => {
                if *any_dev {
                    same_leaf(key, k)
                } else {
                    key == k
                }
            }
            (Self::Command(p), c) => p == c,
            (Self::SysctlKey { .. }, _) => false,
        }
    }
}

/// The same setting, whatever the device (`all`, `default`, an interface).
fn same_leaf(a: &SysctlKey, b: &SysctlKey) -> bool {
    match (a, b) {
        (SysctlKey::Conf { name: x, .. }, SysctlKey::Conf { name: y, .. }) => x == y,
        (SysctlKey::Neigh { name: x, .. }, SysctlKey::Neigh { name: y, .. }) => x == y,
        _ => a == b,
    }
}

fn sysctl_pattern(t: &Tok) -> Result<Pattern, CmdError> {
    let mut parts = split_sysctl_name(&t.text);
    // `*` stands for any device; `default` exists for both conf and neigh, so the key parses.
    let any_dev = parts.len() == 5 && parts[3] == "*";
    if any_dev {
        "default".clone_into(&mut parts[3]);
    }
    let key = sysctl_key(&parts).map_err(|(expected, hint)| t.err(expected).with_hint_opt(hint))?;
    Ok(Pattern::SysctlKey { key, any_dev })
}

impl fmt::Display for Pattern {
    /// The pattern as an exercise file writes it; [`Pattern::parse`] reads it back.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Program(p) => f.write_str(p),
            Self::SysctlKey { key: SysctlKey::Conf { name, .. }, any_dev: true } => {
                write!(f, "sysctl net.ipv4.conf.*.{}", name.name())
            }
            Self::SysctlKey { key: SysctlKey::Neigh { name, .. }, any_dev: true } => {
                write!(f, "sysctl net.ipv4.neigh.*.{}", name.name())
            }
            Self::SysctlKey { key, .. } => write!(f, "sysctl {key}"),
            Self::Command(c) => write!(f, "{c}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmd(text: &str) -> Command {
        parse(text).unwrap()
    }

    fn pat(text: &str) -> Pattern {
        Pattern::parse(text).unwrap()
    }

    #[test]
    fn a_whole_command_matches_every_spelling_of_it() {
        // sysctl(8) takes `-w` or not and `.` or `/` separators; /proc/sys is the same
        // table: all four write arp_ignore=1 on `all`, so all four are the typed command.
        let p = pat("sysctl -w net.ipv4.conf.all.arp_ignore=1");
        for text in [
            "sysctl net.ipv4.conf.all.arp_ignore=1",
            "sudo sysctl -w net/ipv4/conf/all/arp_ignore=1",
            "echo 1 > /proc/sys/net/ipv4/conf/all/arp_ignore",
            "/sbin/sysctl -w net.ipv4.conf.all.arp_ignore=1   # as in the notes",
        ] {
            assert!(p.matches(&cmd(text)), "{text}");
        }
        // Another value or another table is another command.
        for text in ["sysctl -w net.ipv4.conf.all.arp_ignore=2", "sysctl -w net.ipv4.conf.eth0.arp_ignore=1"] {
            assert!(!p.matches(&cmd(text)), "{text}");
        }
    }

    #[test]
    fn a_key_matches_any_value_and_a_star_any_device() {
        let key = pat("sysctl net.ipv4.conf.all.arp_announce");
        assert!(key.matches(&cmd("sysctl -w net.ipv4.conf.all.arp_announce=2")));
        assert!(!key.matches(&cmd("sysctl -w net.ipv4.conf.lo.arp_announce=2")));
        let any = pat("sysctl net.ipv4.conf.*.arp_announce");
        for dev in ["all", "default", "lo", "eth0"] {
            assert!(any.matches(&cmd(&format!("sysctl -w net.ipv4.conf.{dev}.arp_announce=2"))), "{dev}");
        }
        // Only that leaf: arp_ignore, ip_forward and arptables are other settings.
        for text in ["sysctl -w net.ipv4.conf.all.arp_ignore=1", "sysctl -w net.ipv4.ip_forward=1"] {
            assert!(!any.matches(&cmd(text)), "{text}");
        }
    }

    #[test]
    fn a_program_matches_its_commands_only() {
        let p = pat("arptables");
        assert_eq!(p, Pattern::Program("arptables"));
        assert!(p.matches(&cmd("arptables -A INPUT -d 10.0.0.100 -j DROP")));
        assert!(!p.matches(&cmd("iptables -A INPUT -d 10.0.0.100 -j DROP")));
        // `echo VALUE > /proc/sys/...` is a sysctl write, so `echo` names sysctl.
        assert_eq!(pat("echo"), Pattern::Program("sysctl"));
    }

    #[test]
    fn patterns_print_back_to_themselves() {
        for text in [
            "arptables",
            "sysctl net.ipv4.conf.all.arp_ignore",
            "sysctl net.ipv4.conf.*.arp_ignore",
            "sysctl net.ipv4.neigh.*.locktime",
            "sysctl -w net.ipv4.conf.all.arp_ignore=1",
            "ipvsadm -A -t 10.0.0.100:80 -s rr",
        ] {
            let p = pat(text);
            assert_eq!(pat(&p.to_string()), p, "{text}");
        }
    }

    #[test]
    fn a_bad_pattern_is_a_located_error() {
        // The key's last part is misspelled: the error spans the key word.
        let text = "sysctl net.ipv4.conf.*.arp_ignor";
        let e = Pattern::parse(text).unwrap_err();
        assert_eq!(&text[e.span], "net.ipv4.conf.*.arp_ignor");
    }
}
