//! The flat layout: one plain file per stream file name, one record per line.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

use super::{Sink, create_file};
use crate::stream::{RecordInfo, StreamSpec};

struct FlatFile {
    name: &'static str,
    writer: BufWriter<File>,
    records: u64,
}

/// Writes each stream to the file its [`StreamSpec::flat_file`] names; streams with the same
/// name share the file, whose header (if any) is written once at the top.
pub(super) struct FlatSink {
    files: Vec<FlatFile>,
    /// Index into `files` for each stream.
    file_of_stream: Vec<usize>,
}

impl FlatSink {
    pub(super) fn new(out_dir: &Path, streams: &[StreamSpec]) -> io::Result<Self> {
        let mut files: Vec<FlatFile> = Vec::new();
        let mut file_of_stream = Vec::with_capacity(streams.len());
        for spec in streams {
            let index = match files.iter().position(|file| file.name == spec.flat_file) {
                Some(index) => index,
                None => {
                    let mut writer = create_file(out_dir, spec.flat_file)?;
                    if let Some(header) = &spec.header {
                        writer.write_all(header.as_bytes())?;
                    }
                    files.push(FlatFile {
                        name: spec.flat_file,
                        writer,
                        records: 0,
                    });
                    files.len() - 1
                }
            };
            file_of_stream.push(index);
        }
        Ok(FlatSink {
            files,
            file_of_stream,
        })
    }
}

impl Sink for FlatSink {
    fn write(&mut self, info: &RecordInfo, text: &str) -> io::Result<u64> {
        let file = &mut self.files[self.file_of_stream[info.stream]];
        file.writer.write_all(text.as_bytes())?;
        file.writer.write_all(b"\n")?;
        file.records += 1;
        Ok(file.records)
    }

    fn path_of(&self, stream: usize) -> &str {
        self.files[self.file_of_stream[stream]].name
    }

    fn finish(self: Box<Self>) -> io::Result<u64> {
        let count = self.files.len() as u64;
        for mut file in self.files {
            file.writer.flush()?;
        }
        Ok(count)
    }
}
