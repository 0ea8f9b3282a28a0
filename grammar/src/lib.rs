//! The Sigma condition language.
