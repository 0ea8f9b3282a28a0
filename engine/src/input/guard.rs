//! Memory maps that survive their file shrinking: a file truncated while it is mapped (log
//! rotation with `copytruncate`, `truncate -s`) makes every access to its pages past the new
//! end raise SIGBUS, which kills the process by default.
//!
//! Each map a hunt reads is registered in a fixed table. A SIGBUS handler, installed once,
//! looks the faulting address up in the table: if it lies in a registered map, the handler
//! marks that map as shrunk, puts a page of zeros (a private anonymous page) in place of the
//! faulting page, and returns, so that the access is retried and reads zeros. Any other SIGBUS
//! goes to the handler that was there before (Rust's own, which lets the process die as it
//! would have). A reader then asks [`GuardedMap::shrunk`] after scanning a range: when true,
//! some bytes it read may be zeros standing for bytes the file lost, and what it made of them
//! must be discarded.
//!
//! ```text
//! file  [=========== 100 MB ==========]  truncated to 30 MB while mapped
//! map   [=== 30 MB ===|0000 zeros 0000]  pages past the end are zero pages once touched
//!                      ^ SIGBUS -> zero page, map marked shrunk
//! ```
//!
//! The table has [`SLOTS`] entries; a file that finds no free one is read instead of mapped.
//! On the hot path this costs nothing: the handler runs only on a fault, and asking whether a
//! map shrank is one atomic load.

use std::fs::File;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use memmap2::Mmap;

/// How many maps can be registered at once (a hunt holds about two waves of inputs).
pub(crate) const SLOTS: usize = 1024;

/// One registered map: its address range, and whether a fault in it was answered with zeros.
struct Slot {
    /// The first byte; 0 when the slot is free.
    start: AtomicUsize,
    /// One past the last byte; 0 while the slot is being filled or emptied.
    end: AtomicUsize,
    shrunk: AtomicBool,
}

static TABLE: [Slot; SLOTS] = [const {
    Slot {
        start: AtomicUsize::new(0),
        end: AtomicUsize::new(0),
        shrunk: AtomicBool::new(false),
    }
}; SLOTS];

/// A read-only memory map of a file, registered so that the file shrinking under it is a
/// condition to check ([`GuardedMap::shrunk`]), not a crash.
pub(crate) struct GuardedMap {
    map: Mmap,
    /// The mapped file, kept open to learn its size if it shrinks.
    file: File,
    slot: usize,
    /// Whether the shrinking was reported already.
    reported: AtomicBool,
}

impl std::fmt::Debug for GuardedMap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GuardedMap")
            .field("len", &self.map.len())
            .field("slot", &self.slot)
            .finish_non_exhaustive()
    }
}

impl GuardedMap {
    /// Maps `file` (a regular, non-empty file) and registers the map; the file back when
    /// mapping fails or the table is full, and it should be read instead.
    pub(crate) fn new(file: File) -> Result<GuardedMap, File> {
        if handler::install().is_none() {
            return Err(file);
        }
        // SAFETY: the map is only read, and its bytes are treated as untrusted input. If the
        // file shrinks, the pages past its end read as zeros (see the module docs) and the
        // reader discards what it made of them.
        let Ok(map) = (unsafe { Mmap::map(&file) }) else {
            return Err(file);
        };
        // Huge pages (`MADV_HUGEPAGE`, best effort): the parts of the file not yet in the
        // page cache are read ahead in 2 MiB folios, which the scan maps in one step each.
        // A file read from disk is scanned about as fast as a cached one, and a cached one
        // held in such folios faster (`benches/RESULTS.md`, stop 38).
        let _ = map.advise(memmap2::Advice::HugePage);
        let (start, end) = (map.as_ptr() as usize, map.as_ptr() as usize + map.len());
        let claimed = TABLE.iter().position(|slot| {
            slot.start
                .compare_exchange(0, start, Ordering::AcqRel, Ordering::Relaxed)
                .is_ok()
        });
        let Some(slot) = claimed else {
            return Err(file);
        };
        TABLE[slot].shrunk.store(false, Ordering::Relaxed);
        TABLE[slot].end.store(end, Ordering::Release);
        Ok(GuardedMap {
            map,
            file,
            slot,
            reported: AtomicBool::new(false),
        })
    }

    /// The mapped bytes.
    pub(crate) fn bytes(&self) -> &[u8] {
        &self.map
    }

    /// The map, for advice to the kernel.
    pub(crate) fn map(&self) -> &Mmap {
        &self.map
    }

    /// Whether the file shrank under the map and a page past its new end was read (as zeros).
    pub(crate) fn shrunk(&self) -> bool {
        TABLE[self.slot].shrunk.load(Ordering::Acquire)
    }

    /// Whether the file is now shorter than the map, asked of the file (a system call): for
    /// bytes the kernel reads from the map (a write from it), where a shrink raises no fault
    /// to tell. If so the map is marked shrunk, as a fault would have marked it.
    pub(crate) fn shrunk_now(&self) -> bool {
        if !self.shrunk()
            && self
                .current_len()
                .is_none_or(|len| len < self.map.len() as u64)
        {
            TABLE[self.slot].shrunk.store(true, Ordering::Release);
        }
        self.shrunk()
    }

    /// Whether the map shrank and this is the first time the question is asked.
    pub(crate) fn take_shrink_report(&self) -> bool {
        self.shrunk() && !self.reported.swap(true, Ordering::AcqRel)
    }

    /// A second handle on the mapped file (sharing its read position), to read it with reads
    /// instead.
    pub(crate) fn file(&self) -> std::io::Result<File> {
        self.file.try_clone()
    }

    /// The file's size now, if it can be told.
    pub(crate) fn current_len(&self) -> Option<u64> {
        self.file.metadata().ok().map(|meta| meta.len())
    }
}

impl Drop for GuardedMap {
    fn drop(&mut self) {
        // Emptied before the map is unmapped (the field drops after this).
        TABLE[self.slot].end.store(0, Ordering::Release);
        TABLE[self.slot].start.store(0, Ordering::Release);
    }
}

/// The slot whose map holds `address`, if one does. Called from the signal handler: atomic
/// loads only.
fn slot_of(address: usize) -> Option<&'static Slot> {
    TABLE.iter().find(|slot| {
        let start = slot.start.load(Ordering::Acquire);
        start != 0 && start <= address && address < slot.end.load(Ordering::Acquire)
    })
}

#[cfg(unix)]
mod handler {
    //! The SIGBUS handler (see the module docs of `guard`).

    use std::sync::OnceLock;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use libc::{c_int, c_void, sigaction, siginfo_t};

    /// The handler in place before ours, to which other faults go.
    static PREVIOUS: OnceLock<Option<Previous>> = OnceLock::new();

    /// The system's page size, read before the handler can run.
    static PAGE: AtomicUsize = AtomicUsize::new(0);

    /// A saved `sigaction`. It holds only plain data (a function address, flags, a mask).
    struct Previous(sigaction);

    // SAFETY: `sigaction` is plain data; it is written once, before the handler is installed.
    unsafe impl Sync for Previous {}
    // SAFETY: as above.
    unsafe impl Send for Previous {}

    /// Installs the handler once; `None` if that failed (maps are then not used).
    pub(super) fn install() -> Option<()> {
        PREVIOUS
            .get_or_init(|| {
                // SAFETY: `sysconf` and `sigaction` are called with valid arguments; the new
                // action's handler has the signature `SA_SIGINFO` requires.
                unsafe {
                    let page = libc::sysconf(libc::_SC_PAGESIZE);
                    PAGE.store(usize::try_from(page).ok()?, Ordering::Release);
                    let mut action: sigaction = std::mem::zeroed();
                    action.sa_sigaction = on_sigbus as *const () as usize;
                    action.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK | libc::SA_NODEFER;
                    libc::sigemptyset(&mut action.sa_mask);
                    let mut previous: sigaction = std::mem::zeroed();
                    (libc::sigaction(libc::SIGBUS, &action, &mut previous) == 0)
                        .then_some(Previous(previous))
                }
            })
            .as_ref()
            .map(drop)
    }

    /// The handler: a fault in a registered map gets a zero page, any other is passed on.
    extern "C" fn on_sigbus(signal: c_int, info: *mut siginfo_t, context: *mut c_void) {
        // SAFETY: the kernel passes a valid `siginfo_t` to an `SA_SIGINFO` handler.
        let address = unsafe { (*info).si_addr() } as usize;
        let page = PAGE.load(Ordering::Acquire);
        if let Some(slot) = super::slot_of(address) {
            slot.shrunk.store(true, Ordering::Release);
            let start = address & !(page - 1);
            // SAFETY: the page lies inside a map this process owns and only reads; replacing
            // it with a private zero page changes what the reader sees from bytes the file no
            // longer has to zeros, which `shrunk` tells it to discard. The map's own `munmap`
            // later unmaps this page with the rest.
            let zero = unsafe {
                libc::mmap(
                    start as *mut c_void,
                    page,
                    libc::PROT_READ,
                    libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_FIXED,
                    -1,
                    0,
                )
            };
            if zero != libc::MAP_FAILED {
                return;
            }
        }
        pass_on(signal, info, context);
    }

    /// Hands a fault that is not ours to the previous handler, or restores the default action
    /// so that the faulting access, retried, ends the process as it would have.
    fn pass_on(signal: c_int, info: *mut siginfo_t, context: *mut c_void) {
        let previous = PREVIOUS.get().and_then(Option::as_ref).map(|p| &p.0);
        match previous {
            Some(previous)
                if previous.sa_sigaction != libc::SIG_DFL
                    && previous.sa_sigaction != libc::SIG_IGN =>
            {
                // SAFETY: the previous handler was installed with these flags, so it has the
                // matching signature.
                unsafe {
                    if previous.sa_flags & libc::SA_SIGINFO != 0 {
                        let handler: extern "C" fn(c_int, *mut siginfo_t, *mut c_void) =
                            std::mem::transmute(previous.sa_sigaction);
                        handler(signal, info, context);
                    } else {
                        let handler: extern "C" fn(c_int) =
                            std::mem::transmute(previous.sa_sigaction);
                        handler(signal);
                    }
                }
            }
            _ => {
                // SAFETY: resetting a signal to its default action is async-signal-safe.
                unsafe {
                    let mut default: sigaction = std::mem::zeroed();
                    default.sa_sigaction = libc::SIG_DFL;
                    libc::sigaction(signal, &default, std::ptr::null_mut());
                }
            }
        }
    }
}

#[cfg(not(unix))]
mod handler {
    /// Without SIGBUS there is nothing to install.
    pub(super) fn install() -> Option<()> {
        Some(())
    }
}
