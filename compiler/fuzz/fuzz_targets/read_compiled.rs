//! Any bytes as a compiled rule-set file, as they are and as the payload of a sound header (so
//! that the decoder and the validation behind the checksum are reached): reading never panics,
//! and the rules it accepts can be walked.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sigil_compiler::{Literals, compiled, dump_ir};

fuzz_target!(|data: &[u8]| {
    let _ = compiled::read(data);
    if let Ok(loaded) = compiled::read(&compiled::seal(data)) {
        let _ = dump_ir(&loaded.rules);
        let _ = Literals::extract(&loaded.rules);
    }
});
