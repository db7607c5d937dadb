//! The socket protocol decoder (both directions, and the frame reader): any bytes give a
//! value or an error, never a panic; whatever decodes re-encodes to something that decodes
//! to the same value.
#![no_main]

use credguard_client::proto;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(req) = proto::decode_request(data) {
        let again = proto::decode_request(&proto::encode_request(&req)).expect("re-encoded request decodes");
        assert_eq!(again, req);
    }
    if let Ok(resp) = proto::decode_response(data) {
        let again = proto::decode_response(&proto::encode_response(&resp)).expect("re-encoded response decodes");
        assert_eq!(again, resp);
    }
    // the framed reader as the daemon uses it, with its size bound
    let mut r = data;
    let _ = proto::read_frame(&mut r, proto::MAX_REQUEST);
    // the same decoder fed in pieces of every size the input's first byte picks
    let step = usize::from(data.first().copied().unwrap_or(1)).max(1);
    let mut frame = proto::FrameReader::new(proto::MAX_REQUEST);
    let mut rest = data;
    while let Some(buf) = frame.buf() {
        let n = step.min(buf.len()).min(rest.len());
        buf[..n].copy_from_slice(&rest[..n]);
        rest = &rest[n..];
        if frame.filled(n).is_err() {
            break;
        }
    }
});
