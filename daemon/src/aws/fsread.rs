//! Reading a file someone else wrote (the AWS files and caches, credguard's config) without
//! ever hanging or exhausting memory: a FIFO with no writer would block `open` forever and
//! `/dev/zero` would never end, so only regular files are read, opened non-blocking, and at
//! most `max` bytes of them.

use std::io::{self, Read};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

/// The most credguard reads of an AWS cache file or its own config (real ones are a few
/// KiB).
pub const MAX_SMALL_FILE: u64 = 1 << 20;

/// The bytes of the regular file at `path`, or an error saying why not (`InvalidData` for a
/// file that is not regular or is larger than `max`).
pub fn read_limited(path: &Path, max: u64) -> io::Result<Vec<u8>> {
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_CLOEXEC)
        .open(path)?;
    let meta = file.metadata()?;
    if meta.is_dir() {
        return Err(io::Error::from_raw_os_error(libc::EISDIR));
    }
    if !meta.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "is not a regular file (a FIFO, socket or device)",
        ));
    }
    if meta.len() > max {
        return Err(too_large(max));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    // the file may grow between the stat and the read
    file.take(max + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > max {
        return Err(too_large(max));
    }
    Ok(bytes)
}

fn too_large(max: u64) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("is larger than the {} KiB credguard reads", max >> 10),
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn fifos_devices_and_oversized_files_are_refused_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        assert!(made.unwrap().success());
        let start = std::time::Instant::now();
        let e = read_limited(&fifo, 1024).unwrap_err();
        assert!(e.to_string().contains("not a regular file"), "{e}");
        assert!(start.elapsed() < std::time::Duration::from_secs(5));
        let e = read_limited(Path::new("/dev/zero"), 1024).unwrap_err();
        assert!(e.to_string().contains("not a regular file"), "{e}");
        let big = dir.path().join("big");
        std::fs::write(&big, vec![b'x'; 2048]).unwrap();
        let e = read_limited(&big, 1024).unwrap_err();
        assert!(e.to_string().contains("larger than the 1 KiB"), "{e}");
        assert_eq!(read_limited(&big, 4096).unwrap().len(), 2048);
        let e = read_limited(dir.path(), 1024).unwrap_err();
        assert_eq!(e.raw_os_error(), Some(libc::EISDIR));
    }
}
