//! # lvsim — a deterministic, packet-level simulator of Linux Virtual Server
//!
//! Clients, a router, a director and real servers exchange modeled Ethernet frames; every
//! frame passes the hook stages a Linux host would run it through, and every decision is
//! recorded with its reason.
//!
//! | module | owns |
//! |---|---|
//! | [`sim`] | virtual time, the agenda, seeded random streams |
//! | [`packet`] | modeled frames (Ethernet, ARP, IPv4/IPIP, TCP, UDP, ICMP), Wireshark field names, pcap bytes |
//! | [`topology`] | hosts, segments, links and the ports joining them |
//! | [`stack`] | one host's IPv4 stack: routing, neighbour/ARP, sysctls, netfilter hook chains |
//! | [`ipvs`] | virtual services, real servers, the connection table, `ipvsadm` syntax and listings |
//! | [`schedulers`] | one file per IPVS scheduler |
//! | [`workload`] | client and server applications, TCP/UDP sockets |
//! | [`engine`] | the event loop that walks frames through the hosts |
//! | [`exercise`] | coursework exercises graded by the simulator, per-student variants |
//! | [`import`] | `lvsim import`: a keepalived.conf or `ipvsadm -S -n` rules turned into a scenario |
//! | [`trace`] | trace steps, text and JSON Lines output |
//! | [`metrics`] | counters, drops by reason, latency histograms |
//! | [`scenario`] | the RON scenario format, validation with friendly errors, embedded scenarios |
//! | [`capture`] | pcap files, one per segment |
//! | [`bench`] | the packets-per-second benchmark |
//! | [`cli`] | what each subcommand does |
//! | [`tui`] | `lvsim tui`: browse a finished run's trace, with per-hop field diffs |
//! | [`lang`] | English or Chinese, from `--lang` or the locale |
//!
//! ```
//! let scenario = lvsim::scenario::load("dr").unwrap();
//! let mut engine = scenario.build().unwrap();
//! engine.run();
//! let m = &engine.metrics;
//! assert!(m.clients[0].completed > 0);
//! ```

pub mod batch;
pub mod bench;
pub mod capture;
pub mod cli;
pub mod cmdline;
pub mod dest;
pub mod engine;
pub mod exercise;
pub mod import;
pub mod ipvs;
pub mod lab;
pub mod lang;
pub mod metrics;
pub mod packet;
pub mod scenario;
pub mod schedulers;
pub mod sim;
pub mod stack;
pub mod topology;
pub mod trace;
pub mod tui;
pub mod why;
pub mod workload;
