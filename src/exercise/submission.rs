//! Reading a student's submission safely. A submission folder is untrusted: a file in it
//! may be a FIFO (opening it would block `check` and `grade` for ever), a device or a
//! symlink to `/dev/zero` (reading it would exhaust memory), or a symlink to a file
//! outside the folder such as `/etc/passwd` (its first line would appear in the
//! feedback). Only regular files inside the submission folder are read, at most
//! [`MAX_BYTES`] of them.

use std::io::Read;
use std::path::Path;

/// The largest submission file read (answers.txt, scenario.ron, exercise.txt): 1 MiB,
/// a hundred times the largest embedded scenario.
pub const MAX_BYTES: u64 = 1 << 20;

/// Reads `file`, which must be a regular file (a symlink may point only to a regular
/// file inside `folder`) of at most [`MAX_BYTES`], as UTF-8. The error is a sentence for
/// the student or teacher, naming the file.
pub fn read(folder: &Path, file: &Path) -> Result<String, String> {
    let shown = file.display();
    let meta = std::fs::symlink_metadata(file).map_err(|e| format!("cannot read {shown}: {e}"))?;
    let target = if meta.file_type().is_symlink() {
        let real = file.canonicalize().map_err(|e| format!("cannot read {shown}: {e}"))?;
        let inside = folder.canonicalize().map_err(|e| format!("cannot read {}: {e}", folder.display()))?;
        if !real.starts_with(&inside) {
            return Err(format!(
                "cannot read {shown}: it is a symbolic link to {}, outside the submission folder {} (only files inside it are read)",
                real.display(),
                folder.display()
            ));
        }
        real
    } else {
        file.to_path_buf()
    };
    let meta = std::fs::metadata(&target).map_err(|e| format!("cannot read {shown}: {e}"))?;
    if !meta.is_file() {
        let what = kind(meta.file_type());
        return Err(format!("cannot read {shown}: it is {what}, not a regular file (submit the file itself)"));
    }
    if meta.len() > MAX_BYTES {
        return Err(format!(
            "cannot read {shown}: {} bytes, more than the {MAX_BYTES}-byte limit for a submission file",
            meta.len()
        ));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    let f = std::fs::File::open(&target).map_err(|e| format!("cannot read {shown}: {e}"))?;
    // The size may change after the check: never read more than the limit.
    f.take(MAX_BYTES + 1).read_to_end(&mut bytes).map_err(|e| format!("cannot read {shown}: {e}"))?;
    if bytes.len() as u64 > MAX_BYTES {
        return Err(format!("cannot read {shown}: more than the {MAX_BYTES}-byte limit for a submission file"));
    }
    String::from_utf8(bytes).map_err(|e| format!("cannot read {shown}: not UTF-8 text ({e})"))
}

fn kind(t: std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "a named pipe (FIFO)";
        }
        if t.is_char_device() || t.is_block_device() {
            return "a device";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    if t.is_dir() { "a directory" } else { "not a regular file" }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    fn folder(name: &str) -> std::path::PathBuf {
        let d = std::env::temp_dir().join(format!("lvsim-submission-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn a_regular_file_and_a_link_inside_the_folder_are_read() {
        let d = folder("ok");
        std::fs::write(d.join("answers.txt"), "q1 = 3\n").unwrap();
        symlink(d.join("answers.txt"), d.join("link.txt")).unwrap();
        assert_eq!(read(&d, &d.join("answers.txt")).unwrap(), "q1 = 3\n");
        assert_eq!(read(&d, &d.join("link.txt")).unwrap(), "q1 = 3\n");
    }

    #[test]
    fn a_fifo_is_refused_without_opening_it() {
        // Opening a FIFO with no writer blocks: the test would hang if read() opened it.
        let d = folder("fifo");
        let p = d.join("answers.txt");
        let ok = std::process::Command::new("mkfifo").arg(&p).status().is_ok_and(|s| s.success());
        if !ok {
            eprintln!("mkfifo not available: skipped");
            return;
        }
        assert!(read(&d, &p).is_err());
    }

    #[test]
    fn links_out_of_the_folder_and_devices_are_refused() {
        // /etc/passwd exists on every Unix; its content must not be returned.
        let d = folder("out");
        symlink("/etc/passwd", d.join("answers.txt")).unwrap();
        assert!(read(&d, &d.join("answers.txt")).is_err());
        // /dev/zero never ends: reading it would exhaust memory.
        symlink("/dev/zero", d.join("zero.txt")).unwrap();
        assert!(read(&d, &d.join("zero.txt")).is_err());
        // A link inside the folder to a device outside is refused by the folder check,
        // and a device inside the folder's view is refused by the regular-file check.
        assert!(read(Path::new("/dev"), Path::new("/dev/zero")).is_err());
    }

    #[test]
    fn a_file_over_the_limit_is_refused() {
        let d = folder("big");
        let p = d.join("answers.txt");
        std::fs::write(&p, vec![b'a'; MAX_BYTES as usize + 1]).unwrap();
        assert!(read(&d, &p).is_err());
        std::fs::write(&p, vec![b'a'; MAX_BYTES as usize]).unwrap();
        assert_eq!(read(&d, &p).unwrap().len() as u64, MAX_BYTES);
    }
}
