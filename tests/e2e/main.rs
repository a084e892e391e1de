//! End-to-end tests: one binary, a module per forwarding mode and per property.

mod batch;
mod check;
mod cli;
mod common;
mod conservation;
mod determinism;
mod docs;
mod dr;
mod errors;
mod exercises;
mod guards;
mod hooks;
mod keepalived;
mod kernel_sched;
mod lang;
mod listings;
mod local_tcp;
mod nat;
mod readme;
mod scenarios;
mod schedulers;
mod shards;
mod structure;
mod submissions;
mod tun;
