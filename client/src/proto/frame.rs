//! Framing, written once for both sides: a 4-byte big-endian payload length, then the
//! payload, bounded by a maximum size. [`FrameReader`] is the sans-IO decoder: it says
//! which buffer to fill next and judges what arrived, so that the std client
//! ([`read_frame`]) and the daemon's tokio server run the same rules (size bound checked
//! before anything is allocated, truncation, a peer that hangs up before the first byte).

use std::io::{self, Read, Write};

use super::{MAX_FRAME, ProtoError};

/// The frame for `payload`: 4-byte big-endian length, then the payload. Fails for a
/// payload over [`MAX_FRAME`]. For async writers that cannot use [`write_frame`].
pub fn encode_frame(payload: &[u8]) -> Result<Vec<u8>, ProtoError> {
    let len = match u32::try_from(payload.len()) {
        Ok(n) if payload.len() <= MAX_FRAME => n,
        _ => {
            return Err(ProtoError::TooLarge {
                len: payload.len() as u64,
                max: MAX_FRAME,
            });
        }
    };
    let mut out = Vec::with_capacity(4 + payload.len());
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(payload);
    Ok(out)
}

/// The payload length announced by a frame header, if it is at most `max`.
pub fn frame_len(header: [u8; 4], max: usize) -> Result<usize, ProtoError> {
    let len = u32::from_be_bytes(header);
    match usize::try_from(len) {
        Ok(n) if n <= max => Ok(n),
        _ => Err(ProtoError::TooLarge {
            len: u64::from(len),
            max,
        }),
    }
}

/// One frame being read, whatever does the reading (blocking or async):
///
/// ```text
/// let mut f = FrameReader::new(max);
/// while let Some(buf) = f.buf() {
///     let n = stream.read(buf)?;   // or .await
///     f.filled(n)?;                // 0: the stream ended
/// }
/// let payload = f.into_payload();
/// ```
#[derive(Debug)]
pub struct FrameReader {
    max: usize,
    header: [u8; 4],
    /// The payload buffer, allocated once the header is read and its length accepted.
    payload: Option<Vec<u8>>,
    /// Bytes received of the part being read (the header, then the payload).
    got: usize,
}

impl FrameReader {
    /// A reader for one frame whose payload may hold at most `max` bytes.
    pub fn new(max: usize) -> Self {
        FrameReader {
            max,
            header: [0; 4],
            payload: None,
            got: 0,
        }
    }

    /// Where the next read should go; None once the frame is complete.
    pub fn buf(&mut self) -> Option<&mut [u8]> {
        match &mut self.payload {
            None => Some(&mut self.header[self.got..]),
            Some(p) if self.got < p.len() => Some(&mut p[self.got..]),
            Some(_) => None,
        }
    }

    /// Records that a read put `n` bytes at the start of [`FrameReader::buf`]; `n == 0`
    /// means the stream ended, which is an error unless the frame is complete.
    pub fn filled(&mut self, n: usize) -> Result<(), ProtoError> {
        let expected = self.payload.as_ref().map_or(4, Vec::len);
        if n == 0 {
            return match (&self.payload, self.got) {
                (None, 0) => Err(ProtoError::Closed),
                _ if self.got < expected => Err(ProtoError::Truncated {
                    expected,
                    got: self.got,
                }),
                _ => Ok(()),
            };
        }
        self.got = (self.got + n).min(expected);
        if self.payload.is_none() && self.got == 4 {
            let len = frame_len(self.header, self.max)?;
            self.payload = Some(vec![0; len]);
            self.got = 0;
        }
        Ok(())
    }

    /// The payload of the complete frame (empty if the frame is not complete).
    pub fn into_payload(self) -> Vec<u8> {
        match self.payload {
            Some(p) if self.got == p.len() => p,
            _ => Vec::new(),
        }
    }
}

/// Writes one frame (header and payload in one write) and flushes. Fails for a payload
/// over [`MAX_FRAME`] without writing anything.
pub fn write_frame(w: &mut impl Write, payload: &[u8]) -> Result<(), ProtoError> {
    let frame = encode_frame(payload)?;
    w.write_all(&frame)?;
    w.flush()?;
    Ok(())
}

/// Reads one frame's payload. A length over `max` is rejected before anything is
/// allocated; a stream that ends early is [`ProtoError::Truncated`] (or
/// [`ProtoError::Closed`] when it ends before the first byte).
pub fn read_frame(r: &mut impl Read, max: usize) -> Result<Vec<u8>, ProtoError> {
    let mut frame = FrameReader::new(max);
    while let Some(buf) = frame.buf() {
        let n = loop {
            match r.read(buf) {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(ProtoError::Io(e)),
            }
        };
        frame.filled(n)?;
    }
    Ok(frame.into_payload())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::proto::{Request, encode_request};

    #[test]
    fn truncated_frames_are_errors() {
        let mut wire = Vec::new();
        write_frame(&mut wire, &encode_request(&Request::Status { json: true })).unwrap();
        assert!(matches!(
            read_frame(&mut &wire[..0], MAX_FRAME),
            Err(ProtoError::Closed)
        ));
        for cut in 1..wire.len() {
            let err = read_frame(&mut &wire[..cut], MAX_FRAME).unwrap_err();
            assert!(matches!(err, ProtoError::Truncated { .. }), "{cut}: {err}");
        }
        assert!(read_frame(&mut wire.as_slice(), MAX_FRAME).is_ok());
    }

    /// A reader that would hand out endless bytes: proves nothing is read (or allocated
    /// for) past an oversized header.
    struct Endless {
        header: [u8; 4],
        pos: usize,
    }

    impl Read for Endless {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            assert!(self.pos < 4, "read past the header of an oversized frame");
            let n = (4 - self.pos).min(buf.len());
            buf[..n].copy_from_slice(&self.header[self.pos..self.pos + n]);
            self.pos += n;
            Ok(n)
        }
    }

    #[test]
    fn oversized_length_prefix_is_rejected_before_reading_the_body() {
        let mut r = Endless {
            header: [0xFF; 4],
            pos: 0,
        };
        let err = read_frame(&mut r, MAX_FRAME).unwrap_err();
        assert!(matches!(
            err,
            ProtoError::TooLarge {
                len: 0xFFFF_FFFF,
                max: MAX_FRAME
            }
        ));
        assert!(err.to_string().contains("4294967295"));
        // one byte over a small limit
        let mut r = Endless {
            header: 11u32.to_be_bytes(),
            pos: 0,
        };
        assert!(matches!(
            read_frame(&mut r, 10),
            Err(ProtoError::TooLarge { len: 11, max: 10 })
        ));
        // exactly at the limit is fine
        let mut wire = 10u32.to_be_bytes().to_vec();
        wire.extend_from_slice(b"0123456789");
        assert_eq!(read_frame(&mut wire.as_slice(), 10).unwrap(), b"0123456789");
        assert_eq!(frame_len([0, 0, 0, 10], 10).unwrap(), 10);
    }

    #[test]
    fn oversized_payloads_are_not_written() {
        let big = vec![b'x'; MAX_FRAME + 1];
        let mut wire = Vec::new();
        assert!(matches!(
            write_frame(&mut wire, &big),
            Err(ProtoError::TooLarge { .. })
        ));
        assert!(wire.is_empty());
        assert!(encode_frame(&big[..MAX_FRAME]).is_ok());
    }

    #[test]
    fn io_errors_are_reported_not_panicked() {
        struct Broken;
        impl Read for Broken {
            fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
                Err(io::Error::new(io::ErrorKind::ConnectionReset, "reset"))
            }
        }
        let err = read_frame(&mut Broken, MAX_FRAME).unwrap_err();
        assert!(matches!(err, ProtoError::Io(_)));
        assert!(std::error::Error::source(&err).is_some());
    }

    #[test]
    fn the_sans_io_reader_takes_bytes_in_any_pieces() {
        let wire = encode_frame(b"hello, frame").unwrap();
        for step in 1..=wire.len() {
            let mut f = FrameReader::new(64);
            let mut rest = wire.as_slice();
            while let Some(buf) = f.buf() {
                let n = step.min(buf.len()).min(rest.len());
                buf[..n].copy_from_slice(&rest[..n]);
                rest = &rest[n..];
                f.filled(n).unwrap();
            }
            assert!(rest.is_empty(), "step {step}: bytes left over");
            assert_eq!(f.into_payload(), b"hello, frame", "step {step}");
        }
        // an empty payload is a complete frame after the header
        let mut f = FrameReader::new(0);
        f.buf().unwrap().copy_from_slice(&[0, 0, 0, 0]);
        f.filled(4).unwrap();
        assert!(f.buf().is_none());
        assert_eq!(f.into_payload(), b"");
    }

    #[test]
    fn the_sans_io_reader_reports_where_the_stream_ended() {
        let mut f = FrameReader::new(64);
        assert!(matches!(f.filled(0), Err(ProtoError::Closed)));
        let mut f = FrameReader::new(64);
        f.buf().unwrap()[..2].copy_from_slice(&[0, 0]);
        f.filled(2).unwrap();
        assert!(matches!(
            f.filled(0),
            Err(ProtoError::Truncated {
                expected: 4,
                got: 2
            })
        ));
        let mut f = FrameReader::new(64);
        f.buf().unwrap().copy_from_slice(&[0, 0, 0, 5]);
        f.filled(4).unwrap();
        f.buf().unwrap()[..3].copy_from_slice(b"abc");
        f.filled(3).unwrap();
        assert_eq!(f.buf().map(|b| b.len()), Some(2));
        assert!(matches!(
            f.filled(0),
            Err(ProtoError::Truncated {
                expected: 5,
                got: 3
            })
        ));
        // too large: refused when the header is complete, nothing allocated
        let mut f = FrameReader::new(4);
        f.buf().unwrap().copy_from_slice(&[0, 0, 0, 5]);
        assert!(matches!(
            f.filled(4),
            Err(ProtoError::TooLarge { len: 5, max: 4 })
        ));
    }
}
