//! The bytes the intake holds for requests in flight, within a limit.
//!
//! A request takes bytes from the [`Budget`] before it holds them (its body as it is read,
//! what decoding it allocates) and gives them back when it is answered ([`Held`] is dropped).
//! A request that would pass the limit is refused instead: [`Refusal::Busy`] when what
//! others hold is in the way (it may be sent again), [`Refusal::TooLarge`] when it alone
//! needs more than the limit.
//!
//! ```
//! use sigil_watch::intake::{Budget, Refusal};
//! let budget = Budget::new(100);
//! let mut first = budget.take(60).unwrap();
//! assert_eq!(budget.take(50).err(), Some(Refusal::Busy));
//! assert_eq!(first.grow(50), Err(Refusal::TooLarge));
//! assert_eq!(first.grow(40), Ok(()));
//! drop(first);
//! assert_eq!(budget.held(), 0);
//! ```

use std::sync::Arc;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Bytes held by requests in flight, and the most they may hold: a semaphore of one permit a
/// byte.
#[derive(Debug)]
pub struct Budget {
    permits: Arc<Semaphore>,
    limit: usize,
}

/// Why bytes could not be taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// Other requests hold too much now: try again later.
    Busy,
    /// The request alone would hold more than the limit.
    TooLarge,
}

/// Bytes taken from a [`Budget`], given back when dropped.
#[derive(Debug)]
pub struct Held {
    budget: Arc<Budget>,
    permit: OwnedSemaphorePermit,
}

impl Budget {
    /// A budget of `limit` bytes (at most [`Semaphore::MAX_PERMITS`]).
    pub fn new(limit: usize) -> Arc<Budget> {
        let limit = limit.min(Semaphore::MAX_PERMITS);
        Arc::new(Budget {
            permits: Arc::new(Semaphore::new(limit)),
            limit,
        })
    }

    /// The most bytes requests may hold.
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// The bytes requests hold now.
    pub fn held(&self) -> usize {
        self.limit - self.permits.available_permits()
    }

    /// Takes `bytes` for a new request.
    pub fn take(self: &Arc<Self>, bytes: usize) -> Result<Held, Refusal> {
        Ok(Held {
            budget: Arc::clone(self),
            permit: self.permits_for(bytes)?,
        })
    }

    fn permits_for(&self, bytes: usize) -> Result<OwnedSemaphorePermit, Refusal> {
        let bytes = u32::try_from(bytes).map_err(|_| Refusal::TooLarge)?;
        Arc::clone(&self.permits)
            .try_acquire_many_owned(bytes)
            .map_err(|_| Refusal::Busy)
    }
}

impl Held {
    /// The bytes held.
    pub fn bytes(&self) -> usize {
        self.permit.num_permits()
    }

    /// Takes `more` bytes.
    pub fn grow(&mut self, more: usize) -> Result<(), Refusal> {
        if self.bytes().saturating_add(more) > self.budget.limit {
            return Err(Refusal::TooLarge);
        }
        self.permit.merge(self.budget.permits_for(more)?);
        Ok(())
    }

    /// Gives back what is held beyond `bytes`.
    pub fn shrink_to(&mut self, bytes: usize) {
        let given = self.bytes().saturating_sub(bytes);
        drop(self.permit.split(given));
    }
}
