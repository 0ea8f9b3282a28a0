//! Sigil's AWS side.

#![deny(missing_docs)]

pub mod layout;
