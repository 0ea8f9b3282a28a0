//! The committed sample corpus (`corpus/samples`): every VPC flow log, ALB and CloudFront file
//! the generator wrote is recognised and read with no bad line, and every planted attack of the
//! ground truth is found at the record number it names, with its key in the record.

use std::io::Read;
use std::path::{Path, PathBuf};

use sigil_engine::RecordSource;
use sigil_engine::formats::{TextFormat, TextReader, detect, text_records};
use sigil_engine::framing::Origin;

fn samples() -> PathBuf {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../corpus/samples")).to_path_buf()
}

fn content(path: &Path) -> Vec<u8> {
    let bytes = std::fs::read(path).unwrap();
    if !bytes.starts_with(&[0x1f, 0x8b]) {
        return bytes;
    }
    let mut plain = Vec::new();
    flate2::read::MultiGzDecoder::new(&bytes[..])
        .read_to_end(&mut plain)
        .unwrap();
    plain
}

/// Every record of a file: (record number, JSON text, source). Panics on a bad line.
fn read(path: &Path) -> Vec<(u64, String, RecordSource)> {
    let bytes = content(path);
    let format = detect(Some(path), &bytes).unwrap_or_else(|| panic!("{}", path.display()));
    let expected = format.count_records(&bytes);
    let mut reader = TextReader::new(format);
    let mut lines = text_records(&bytes, Origin::START, &mut reader);
    let mut records = Vec::new();
    while let Some(item) = lines.next_record() {
        let record = item.unwrap_or_else(|bad| panic!("{}: {bad}", path.display()));
        let json = String::from_utf8(record.json.to_vec()).unwrap();
        serde_json::from_str::<serde_json::Value>(&json).unwrap();
        records.push((record.index, json, record.source));
    }
    assert_eq!(records.len() as u64, expected, "{}", path.display());
    records
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = walkdir::WalkDir::new(dir)
        .into_iter()
        .map(|entry| entry.unwrap())
        .filter(|entry| entry.file_type().is_file())
        .map(|entry| entry.into_path())
        .collect();
    files.sort();
    files
}

#[test]
fn corpus_text_logs_read_without_bad_lines_and_hold_the_planted_attacks() {
    let dir = samples();
    let mut sources = Vec::new();
    for path in files_under(&dir.join("AWSLogs")) {
        if path.to_string_lossy().contains("vpcflowlogs") {
            sources.push((path, RecordSource::VpcFlow));
        }
    }
    let flow_logs = sources.len();
    sources.push((dir.join("alb.log"), RecordSource::Alb));
    sources.push((dir.join("cloudfront.log"), RecordSource::CloudFront));
    assert!(flow_logs > 10);

    let mut total = 0;
    let mut read_files = Vec::new();
    for (path, source) in sources {
        let records = read(&path);
        assert!(!records.is_empty() && records.iter().all(|r| r.2 == source));
        total += records.len();
        let name = path
            .strip_prefix(&dir)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        read_files.push((name, records));
    }
    println!("{} files, {total} records", read_files.len());

    let truth = std::fs::read_to_string(dir.join("ground-truth.jsonl")).unwrap();
    let mut planted = 0;
    for line in truth.lines() {
        let entry: serde_json::Value = serde_json::from_str(line).unwrap();
        if !matches!(
            entry["source"].as_str(),
            Some("vpcflow" | "alb" | "cloudfront")
        ) {
            continue;
        }
        let file = entry["file"].as_str().unwrap();
        let (_, records) = read_files.iter().find(|(name, _)| name == file).unwrap();
        let number = entry["record"].as_u64().unwrap();
        let (_, json, _) = records.iter().find(|r| r.0 == number).unwrap();
        let key = entry["key"].as_str().unwrap();
        // A VPC key is the flow line; the others are ids that appear in the record.
        let probe = key.split(' ').nth(3).unwrap_or(key);
        assert!(
            json.contains(probe),
            "{file} record {number}: {key} not in {json}"
        );
        planted += 1;
    }
    println!("{planted} planted text-log events found at their record numbers");
    assert!(planted > 0);
}

#[test]
fn counting_records_in_chunks_gives_each_chunk_its_first_number() {
    let path = samples().join("cloudfront.log");
    let bytes = content(&path);
    let format = detect(Some(&path), &bytes).unwrap();
    let whole = read(&path);
    // Cut after the 100th newline, read the halves separately with the head's format.
    let cut = memchr_nth_newline(&bytes, 100);
    let (head, tail) = bytes.split_at(cut);
    let origin = Origin {
        index: 1 + format.count_records(head),
        offset: cut as u64,
    };
    let mut reader = TextReader::new(format.clone());
    let mut lines = text_records(tail, origin, &mut reader);
    let mut tail_records = Vec::new();
    while let Some(item) = lines.next_record() {
        let record = item.unwrap();
        tail_records.push((
            record.index,
            String::from_utf8(record.json.to_vec()).unwrap(),
        ));
    }
    let expected: Vec<_> = whole
        .iter()
        .filter(|r| r.0 >= origin.index)
        .map(|r| (r.0, r.1.clone()))
        .collect();
    assert_eq!(tail_records, expected);
    assert!(matches!(format, TextFormat::CloudFront(_)));
}

/// The index just past the `n`th newline of `bytes`.
fn memchr_nth_newline(bytes: &[u8], n: usize) -> usize {
    bytes
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b'\n')
        .nth(n - 1)
        .map(|(at, _)| at + 1)
        .unwrap()
}
