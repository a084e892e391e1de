//! The IPVS sync daemon's messages on the wire ([`crate::ipvs::sync`] decides what they
//! carry): UDP from the master's multicast interface to 224.0.0.81:8848, TTL 1, sent
//! straight out of that interface (`IP_MULTICAST_IF`); a backup listening on the
//! interface it arrives on applies it.
//!
//! A frame is a small `Copy` value, so the entries a message carries travel beside it,
//! keyed by the sender's address and the datagram's `ip.id`; the datagram has the size the
//! kernel's message has (8 + 36 bytes per entry).

use super::{Engine, trace};
use crate::ipvs::sync::{self, CONN_LEN, HEADER_LEN};
use crate::packet::{IpProtocol, Ipv4Repr, L4, Packet, UdpRepr};
use crate::topology::{HostId, IfIndex};
use crate::trace::{Action, Stage, Subject};
use crate::why::Why;
use std::net::Ipv4Addr;

/// The source port of the master's socket: it binds no port, so the kernel picks the
/// first ephemeral one on an otherwise idle host.
const SRC_PORT: u16 = crate::workload::EPHEMERAL_LOW;

impl Engine {
    /// Sends every message host `h`'s master daemon has ready (full, or due).
    pub(super) fn sync_send(&mut self, h: HostId) {
        let now = self.now();
        let Some(ipvs) = self.hosts[h as usize].ipvs.as_mut() else { return };
        let Some(d) = ipvs.sync.master else { return };
        let msgs = ipvs.sync.take(now);
        let Some(oif) = self.hosts[h as usize].iface_by_name(d.iface.as_str()) else { return };
        for body in msgs {
            let n = body.len() as u16;
            let udp = UdpRepr { src_port: SRC_PORT, dst_port: sync::PORT, payload_len: HEADER_LEN + CONN_LEN * n };
            let ip = Ipv4Repr {
                src: Ipv4Addr::UNSPECIFIED,
                dst: sync::GROUP,
                protocol: IpProtocol::Udp,
                ttl: 1,
                ident: 0,
                dont_frag: false,
                tos: 0,
            };
            // The frame reaches its receivers later (link latency): its body is filed under
            // the datagram's (source, ip.id) by then.
            let key = self.mc_send(h, oif, ip, L4::Udp(udp), Why::SyncSent { conns: u32::from(n) });
            self.sync_msgs.insert(key, body.into());
        }
    }

    /// Whether host `h` runs a backup sync daemon on interface `iif`.
    pub(super) fn sync_backup_on(&self, h: HostId, iif: IfIndex) -> bool {
        let host = &self.hosts[h as usize];
        host.ipvs
            .as_deref()
            .and_then(|v| v.sync.backup)
            .is_some_and(|d| host.iface_by_name(d.iface.as_str()) == Some(iif))
    }

    /// A sync message reached a backup: its entries are created or updated.
    pub(super) fn sync_rcv(&mut self, h: HostId, iif: IfIndex, pkt: &Packet) {
        let now = self.now();
        let body = self.sync_msgs.get(&(pkt.ip.src, pkt.ip.ident)).cloned().unwrap_or_else(|| Vec::new().into());
        let Some(ipvs) = self.hosts[h as usize].ipvs.as_mut() else { return };
        let a = ipvs.sync_apply(&body, now);
        trace!(
            self,
            h,
            Some(iif),
            Stage::Input,
            Action::Recv,
            Subject::packet(pkt),
            Why::SyncRecv { created: a.created, updated: a.updated, skipped: a.skipped }
        );
    }
}
