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
