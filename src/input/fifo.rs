//! Opening a FIFO named on the command line without hanging on it.
//!
//! A plain `open` of a FIFO blocks until some process opens it for writing, which may be
//! never: a stale FIFO among copied files would stall the whole run. So it is opened
//! non-blocking and watched for a while: data, or a writer that is attached but quiet, means
//! someone is feeding it and it is then read to the end as usual; no writer at all within the
//! wait is an error naming the FIFO.

use std::fs::{File, OpenOptions};
use std::io::{self, Read};
use std::os::fd::AsRawFd;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::time::{Duration, Instant};

/// The pipe buffer asked for: Linux's default of 64 KiB makes the writer and pmtrace take
/// turns a few thousand times a second (about 0.9 GB/s); 1 MiB lets both run (about 2.8).
pub const PIPE_BUFFER: i32 = 1 << 20;

/// Grows the buffer of the pipe behind `fd` to [`PIPE_BUFFER`], as far as the system allows
/// (`/proc/sys/fs/pipe-max-size` for unprivileged users). Anything that is not a pipe, or a
/// refusal, leaves it as it was: a smaller buffer is slower, never wrong.
pub fn grow_pipe(fd: std::os::fd::RawFd) {
    // SAFETY: fcntl with F_SETPIPE_SZ takes an int and touches no memory of ours; on a
    // descriptor that is not a pipe it fails with EBADF/EINVAL, which is ignored.
    unsafe {
        libc::fcntl(fd, libc::F_SETPIPE_SZ, PIPE_BUFFER);
    }
}

/// How long a FIFO may go without any writer before it is given up.
pub const DEFAULT_WAIT: Duration = Duration::from_secs(10);

/// Opens the FIFO at `path` for reading once a writer shows up, waiting at most `wait`.
/// Returns the bytes already taken from it (at most one) and the file, back in blocking mode.
pub fn open(path: &Path, wait: Duration) -> io::Result<(Vec<u8>, File)> {
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)?;
    let deadline = Instant::now() + wait;
    let mut first = [0u8; 1];
    let taken = loop {
        match (&file).read(&mut first) {
            Ok(n) if n > 0 => break first[..n].to_vec(),
            // A writer is attached and has not written yet: it will, or it will close.
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => break Vec::new(),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
            // No writer (or one that came and went): wait a little for data or a hang-up.
            Ok(_) => match poll(&file, Duration::from_millis(50))? {
                Event::HangUp => break Vec::new(),
                Event::Readable => continue,
                Event::Nothing if Instant::now() >= deadline => {
                    return Err(io::Error::other(format!(
                        "no process wrote to this FIFO within {} s",
                        wait.as_secs_f64()
                    )));
                }
                Event::Nothing => continue,
            },
        }
    };
    set_blocking(&file)?;
    Ok((taken, file))
}

enum Event {
    Readable,
    /// A writer came and closed: the stream is at its end.
    HangUp,
    Nothing,
}

fn poll(file: &File, timeout: Duration) -> io::Result<Event> {
    let mut fds = libc::pollfd {
        fd: file.as_raw_fd(),
        events: libc::POLLIN,
        revents: 0,
    };
    // SAFETY: one valid pollfd, for the duration of the call.
    let n = unsafe { libc::poll(&mut fds, 1, timeout.as_millis() as libc::c_int) };
    if n < 0 {
        let e = io::Error::last_os_error();
        return if e.kind() == io::ErrorKind::Interrupted {
            Ok(Event::Nothing)
        } else {
            Err(e)
        };
    }
    Ok(if fds.revents & libc::POLLIN != 0 {
        Event::Readable
    } else if fds.revents & libc::POLLHUP != 0 {
        Event::HangUp
    } else {
        Event::Nothing
    })
}

fn set_blocking(file: &File) -> io::Result<()> {
    let fd = file.as_raw_fd();
    // SAFETY: fcntl on a descriptor this function's caller owns.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
    if flags < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: as above.
    if unsafe { libc::fcntl(fd, libc::F_SETFL, flags & !libc::O_NONBLOCK) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn fifo() -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        (dir, path)
    }

    #[test]
    fn a_fifo_nobody_writes_to_is_given_up() {
        let (_dir, path) = fifo();
        let started = Instant::now();
        let e = open(&path, Duration::from_millis(200)).unwrap_err();
        assert!(e.to_string().contains("no process wrote"), "{e}");
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    #[test]
    fn a_fifo_with_a_writer_is_read_to_the_end() {
        let (_dir, path) = fifo();
        let writer_path = path.clone();
        let writer = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(100));
            let mut w = OpenOptions::new().write(true).open(writer_path).unwrap();
            w.write_all(b"one\n").unwrap();
            std::thread::sleep(Duration::from_millis(300));
            w.write_all(b"two\n").unwrap();
        });
        let (taken, mut file) = open(&path, Duration::from_secs(5)).unwrap();
        let mut rest = Vec::new();
        file.read_to_end(&mut rest).unwrap();
        writer.join().unwrap();
        assert_eq!([taken, rest].concat(), b"one\ntwo\n");
    }
}

#[cfg(test)]
mod pipe_tests {
    use super::*;

    #[test]
    fn a_pipe_grows_to_a_mebibyte_where_the_system_allows() {
        let (reader, _writer) = std::io::pipe().unwrap();
        let fd = reader.as_raw_fd();
        // SAFETY: F_GETPIPE_SZ only reads the size of our own pipe.
        let before = unsafe { libc::fcntl(fd, libc::F_GETPIPE_SZ) };
        grow_pipe(fd);
        let after = unsafe { libc::fcntl(fd, libc::F_GETPIPE_SZ) };
        let max: i32 = std::fs::read_to_string("/proc/sys/fs/pipe-max-size")
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(PIPE_BUFFER);
        let is_root = unsafe { libc::geteuid() } == 0;
        let expected = if is_root {
            PIPE_BUFFER
        } else {
            PIPE_BUFFER.min(max)
        };
        assert!(after >= before, "{before} -> {after}");
        assert_eq!(after, expected.max(before));
        // Not a pipe: nothing happens, nothing breaks.
        let file = File::open("/proc/self/status").unwrap();
        grow_pipe(file.as_raw_fd());
    }
}
