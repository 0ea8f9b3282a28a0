//! The bytes of a unit of work, shared with the batch that writes its matches.

use super::Block;
use std::ops::Range;
use std::sync::Arc;

/// The bytes a unit of work scanned (a range of a [`Block`]), which a sink's batch may hold
/// until it is written, to write its events from the input itself instead of copying them
/// ([`TextOut::event`](crate::sink::TextOut::event)): the event of a match is most of what
/// the match writes, and a hunt that matches most records would otherwise copy most of its
/// input once more.
///
/// Cloning it is cheap (a reference count). The range is released
/// ([`Block::release`]) when the last clone is dropped: at once when no batch holds it, after
/// its batch is written otherwise.
#[derive(Clone, Debug)]
pub struct SharedInput(Arc<Held>);

#[derive(Debug)]
struct Held {
    block: Arc<Block>,
    range: Range<usize>,
}

impl Drop for Held {
    fn drop(&mut self) {
        self.block.release(self.range.clone());
    }
}

impl SharedInput {
    /// `range` of `block` (offsets into [`Block::bytes`]), released when the last clone is
    /// dropped.
    pub(crate) fn new(block: Arc<Block>, range: Range<usize>) -> Self {
        SharedInput(Arc::new(Held { block, range }))
    }

    /// The bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.0.block.bytes()[self.0.range.clone()]
    }

    /// Where `part` lies in [`bytes`](SharedInput::bytes), if it is a slice of them.
    pub fn range_of(&self, part: &[u8]) -> Option<Range<usize>> {
        let whole = self.bytes().as_ptr_range();
        let (start, end) = (part.as_ptr() as usize, part.as_ptr() as usize + part.len());
        let base = whole.start as usize;
        (start >= base && end <= whole.end as usize).then(|| start - base..end - base)
    }

    /// Whether a clone of it is held elsewhere.
    pub(crate) fn is_held(&self) -> bool {
        Arc::strong_count(&self.0) > 1
    }

    /// Whether `self` and `other` are clones of one another.
    pub fn same(&self, other: &SharedInput) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}
