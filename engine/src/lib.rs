//! Sigil scanning engine.
