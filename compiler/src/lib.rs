//! Sigma rule compiler.
