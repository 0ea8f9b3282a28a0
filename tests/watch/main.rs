//! `sigil watch` end to end: the binary runs as a child process, fed by files, stdin and HTTP
//! on 127.0.0.1, delivering to stdout, files and webhook receivers written here. Each test
//! waits at most a few seconds for each step ([`support::PATIENCE`] at worst).

mod aws;
mod delivery;
mod follow;
mod intake;
mod reload;
mod support;
