//! `ipvsadm` command lines: parsed in [`crate::cmdline::ipvsadm`], re-exported here for the model.

pub use crate::cmdline::ipvsadm::*;
