//! Any bytes as a record, scanned by rules that use every kind of matcher: no panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sigil_compiler::{LoadOptions, load_str};
use sigil_engine::{Engine, ScanOptions};
use std::sync::OnceLock;

const RULES: &str = "title: every matcher
logsource: {}
detection:
  a: {eventName|contains: Stop, userIdentity.type: Root}
  b: {sourceIPAddress|cidr: [10.0.0.0/8, '2001:db8::/32'], bytes|gt: 1000}
  c: {userAgent|re: '(?i)sqlmap|nikto', x|exists: true, y: null}
  d: {CommandLine|base64offset|contains: whoami, t|hour|gte: 18}
  e: {a|fieldref|contains: b, n|neq: 3, w|windash|contains|all: [-s, -i]}
  k: [mimikatz, 'evil*payload']
  condition: 1 of them or (a and not b)
";

fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let loaded = load_str("fuzz.yml".as_ref(), RULES, &LoadOptions::default());
        assert_eq!(loaded.refused, 0, "{:?}", loaded.diagnostics);
        Engine::new(loaded.rules, ScanOptions::default())
    })
}

fuzz_target!(|bytes: &[u8]| {
    let _ = engine().scanner().scan(bytes);
});
