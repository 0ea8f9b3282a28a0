//! Opens arbitrary bytes as a stream (so gzip, zstd and Parquet are decoded too) and frames
//! every block: no panic, and the blocks end after an input error.

#![no_main]

use libfuzzer_sys::fuzz_target;
use sigil_engine::input::{BlockError, InputSource, OpenOptions, Opened, open_reader};

fuzz_target!(|bytes: &[u8]| {
    let opened = open_reader(
        InputSource::Stdin,
        std::io::Cursor::new(bytes.to_vec()),
        &OpenOptions::default(),
    );
    let Ok(Opened::Blocks(mut blocks)) = opened else {
        return;
    };
    for block in blocks.by_ref() {
        match block {
            Ok(block) => block.records().for_each(drop),
            Err(BlockError::Record(_)) => {}
            Err(BlockError::Input(_)) => break,
        }
    }
    assert!(blocks.next().is_none());
});
