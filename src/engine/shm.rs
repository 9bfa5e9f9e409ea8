//! Typed shared memory: a `#[repr(C)]` struct of atomics living in a memfd
//! that the parent and its re-executed children all map `MAP_SHARED`.
//!
//! A worker is a fresh program (exec), so it cannot inherit a pointer: it
//! inherits the memfd's descriptor and maps it again. Both mappings show the
//! same physical pages.

use std::io;
use std::marker::PhantomData;
use std::ops::Deref;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::ptr::NonNull;

use super::sys;

/// A type that may be placed in shared memory and viewed by several
/// processes at once.
///
/// # Safety
/// Implement only for `#[repr(C)]` types made of atomics (or arrays/structs
/// of them): every field must be valid when all bytes are zero, must hold no
/// pointer or fd, and must tolerate concurrent access from other processes.
pub unsafe trait SharedSafe: Sync + Sized {}

pub struct Shared<T: SharedSafe> {
    ptr: NonNull<T>,
    len: usize,
    fd: OwnedFd,
    _marker: PhantomData<T>,
}

// SAFETY: `T: SharedSafe` is `Sync` and made only of atomics, so references
// to it may cross threads; the mapping itself is plain memory.
unsafe impl<T: SharedSafe> Send for Shared<T> {}
// SAFETY: as above.
unsafe impl<T: SharedSafe> Sync for Shared<T> {}

impl<T: SharedSafe> Shared<T> {
    /// A new zeroed region (the parent's side).
    pub fn create(name: &str) -> io::Result<Self> {
        let len = std::mem::size_of::<T>();
        let fd = sys::memfd(name, len)?;
        Self::map(fd, len)
    }

    /// Maps an inherited memfd (the child's side). Refuses a file of the
    /// wrong size rather than reading past it.
    pub fn attach(fd: OwnedFd) -> io::Result<Self> {
        let len = std::mem::size_of::<T>();
        let actual = sys::fd_len(fd.as_fd())?;
        if actual != len {
            return Err(io::Error::other(format!(
                "shared region is {actual} bytes, expected {len}"
            )));
        }
        Self::map(fd, len)
    }

    fn map(fd: OwnedFd, len: usize) -> io::Result<Self> {
        let ptr = sys::map_shared(fd.as_fd(), len)?;
        if ptr.as_ptr().align_offset(std::mem::align_of::<T>()) != 0 {
            return Err(io::Error::other("shared mapping is misaligned"));
        }
        Ok(Self {
            ptr: ptr.cast(),
            len,
            fd,
            _marker: PhantomData,
        })
    }

    /// The memfd, to hand to a child.
    pub fn fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

impl<T: SharedSafe> Deref for Shared<T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: the mapping is `size_of::<T>()` bytes, aligned (checked in
        // `map`), zero-filled or written only through `&T`'s atomics, which
        // `SharedSafe` says is valid for `T`. It lives until `drop`.
        unsafe { self.ptr.as_ref() }
    }
}

impl<T: SharedSafe> Drop for Shared<T> {
    fn drop(&mut self) {
        // SAFETY: `ptr`/`len` come from `map_shared`; `&self` borrows have
        // ended since we hold `&mut self`.
        unsafe { sys::unmap(self.ptr.cast(), self.len) };
    }
}

/// A run-time-sized array of `T` in shared memory (a task table, a ring of
/// slots): the same idea as `Shared`, with the length taken from the file.
pub struct SharedSlice<T: SharedSafe> {
    ptr: NonNull<T>,
    len: usize,
    fd: OwnedFd,
}

// SAFETY: as for `Shared`: `T` is `Sync` and made only of atomics.
unsafe impl<T: SharedSafe> Send for SharedSlice<T> {}
// SAFETY: as above.
unsafe impl<T: SharedSafe> Sync for SharedSlice<T> {}

impl<T: SharedSafe> SharedSlice<T> {
    /// `len` zeroed elements (the parent's side).
    pub fn create(name: &str, len: usize) -> io::Result<Self> {
        let bytes = len
            .checked_mul(std::mem::size_of::<T>())
            .filter(|b| *b > 0)
            .ok_or_else(|| io::Error::other("shared array size is zero or too large"))?;
        let fd = sys::memfd(name, bytes)?;
        Self::map(fd, len)
    }

    /// Maps an inherited memfd; the length is the file size over `size_of::<T>()`.
    pub fn attach(fd: OwnedFd) -> io::Result<Self> {
        let bytes = sys::fd_len(fd.as_fd())?;
        let size = std::mem::size_of::<T>();
        if size == 0 || bytes == 0 || bytes % size != 0 {
            return Err(io::Error::other(format!(
                "shared array of {bytes} bytes is not a whole number of {size}-byte elements"
            )));
        }
        Self::map(fd, bytes / size)
    }

    fn map(fd: OwnedFd, len: usize) -> io::Result<Self> {
        let bytes = len * std::mem::size_of::<T>();
        let ptr = sys::map_shared(fd.as_fd(), bytes)?;
        if ptr.as_ptr().align_offset(std::mem::align_of::<T>()) != 0 {
            return Err(io::Error::other("shared mapping is misaligned"));
        }
        Ok(Self {
            ptr: ptr.cast(),
            len,
            fd,
        })
    }

    pub fn fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

impl<T: SharedSafe> Deref for SharedSlice<T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        // SAFETY: the mapping holds `len` aligned `T`s (checked in `map`),
        // valid when zeroed and changed only through atomics (`SharedSafe`);
        // it lives until `drop`.
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), self.len) }
    }
}

impl<T: SharedSafe> Drop for SharedSlice<T> {
    fn drop(&mut self) {
        // SAFETY: `ptr`/`len` come from `map_shared`; no borrow outlives `&mut self`.
        unsafe { sys::unmap(self.ptr.cast(), self.len * std::mem::size_of::<T>()) };
    }
}

// SAFETY: a plain atomic is valid at zero and safe to share across processes.
unsafe impl SharedSafe for std::sync::atomic::AtomicU64 {}
// SAFETY: as above.
unsafe impl SharedSafe for std::sync::atomic::AtomicU32 {}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU64, Ordering};

    use super::*;

    /// Two mappings of one memfd see each other's writes: what a worker's
    /// mapping and the parent's do. (A private mapping would not.)
    #[test]
    fn two_mappings_share_pages() {
        let a = SharedSlice::<AtomicU64>::create("test", 8).unwrap();
        let b = SharedSlice::<AtomicU64>::attach(sys::dup_high(a.fd()).unwrap()).unwrap();
        assert_eq!(b.len(), 8);
        a[5].store(42, Ordering::Relaxed);
        assert_eq!(b[5].load(Ordering::Relaxed), 42);
    }

    /// Sealed at its size: a shrink through another open of the same file
    /// (as /proc/PID/fd gives anyone of the same user) is refused, so no
    /// mapping can end up past the end of its file (SIGBUS).
    #[test]
    fn a_memfd_cannot_be_resized_through_proc() {
        let a = SharedSlice::<AtomicU64>::create("test", 8).unwrap();
        use std::os::fd::AsRawFd;
        let path = format!("/proc/self/fd/{}", a.fd().as_raw_fd());
        let f = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)
            .unwrap();
        let eperm = Some(libc::EPERM);
        assert_eq!(f.set_len(0).map_err(|e| e.raw_os_error()), Err(eperm));
        assert_eq!(f.set_len(1 << 20).map_err(|e| e.raw_os_error()), Err(eperm));
        a[7].store(1, Ordering::Relaxed);
        assert_eq!(a[7].load(Ordering::Relaxed), 1);
    }

    #[test]
    fn attach_refuses_a_file_of_the_wrong_size() {
        let a = SharedSlice::<AtomicU64>::create("test", 3).unwrap();
        let fd = sys::dup_high(a.fd()).unwrap();
        assert!(Shared::<crate::engine::Board>::attach(fd).is_err());
    }
}
