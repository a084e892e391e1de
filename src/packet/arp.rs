//! ARP for IPv4 over Ethernet (RFC 826).

use super::ethernet;
use std::net::Ipv4Addr;

/// `arp.opcode`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Operation {
    Request,
    Reply,
}

impl Operation {
    pub const fn value(self) -> u16 {
        match self {
            Operation::Request => 1,
            Operation::Reply => 2,
        }
    }
}

/// An ARP packet: `arp.src.hw_mac`, `arp.src.proto_ipv4`, `arp.dst.hw_mac`, `arp.dst.proto_ipv4`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Repr {
    pub operation: Operation,
    pub sender_mac: ethernet::Address,
    pub sender_ip: Ipv4Addr,
    pub target_mac: ethernet::Address,
    pub target_ip: Ipv4Addr,
}

impl Repr {
    /// A gratuitous ARP: sender IP = target IP (`arp_is_garp` also wants, for a reply,
    /// target MAC = sender MAC).
    pub fn is_garp(&self) -> bool {
        self.sender_ip == self.target_ip && (self.operation == Operation::Request || self.target_mac == self.sender_mac)
    }
}

/// Length on the wire (Ethernet/IPv4).
pub const PACKET_LEN: usize = 28;
