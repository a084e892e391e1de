//! Packet capture: one classic pcap file per L2 segment, as a mirror port on each switch
//! would see it (every frame once, at the time it has fully reached the switch).

use crate::engine::Capture;
use crate::packet::Frame;
use crate::packet::pcap::PcapWriter;
use crate::sim::SimTime;
use crate::topology::SegId;
use std::fs::File;
use std::io::{self, BufWriter};
use std::path::{Path, PathBuf};

pub struct PcapCapture {
    writers: Vec<PcapWriter<BufWriter<File>>>,
    pub paths: Vec<PathBuf>,
    error: Option<io::Error>,
}

impl PcapCapture {
    /// Creates `DIR/<segment>.pcap` for each segment name.
    pub fn create(dir: &Path, segments: &[String]) -> io::Result<Self> {
        std::fs::create_dir_all(dir)?;
        let mut writers = Vec::new();
        let mut paths = Vec::new();
        for s in segments {
            let p = dir.join(format!("{s}.pcap"));
            writers.push(PcapWriter::new(BufWriter::new(File::create(&p)?))?);
            paths.push(p);
        }
        Ok(PcapCapture { writers, paths, error: None })
    }

    /// Flushes every file; reports the first write error.
    pub fn finish(self) -> io::Result<Vec<PathBuf>> {
        if let Some(e) = self.error {
            return Err(e);
        }
        for w in self.writers {
            let mut b = w.into_inner();
            io::Write::flush(&mut b)?;
        }
        Ok(self.paths)
    }
}

impl Capture for PcapCapture {
    fn frame(&mut self, seg: SegId, time: SimTime, frame: &Frame) {
        if self.error.is_none()
            && let Err(e) = self.writers[seg as usize].write_frame(time.as_nanos(), frame)
        {
            self.error = Some(e);
        }
    }
}

/// A capture shared with the caller, so it can be finished after the run.
impl<C: Capture> Capture for std::rc::Rc<std::cell::RefCell<C>> {
    fn frame(&mut self, seg: SegId, time: SimTime, frame: &Frame) {
        self.borrow_mut().frame(seg, time, frame);
    }
}
