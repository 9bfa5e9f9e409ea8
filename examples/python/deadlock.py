"""A program that hangs: two processes take two locks in opposite orders.

Watch it with:  forklore watch -- python3 examples/python/deadlock.py

The first worker takes lock A, then wants B; the second takes B, then wants
A. A barrier makes sure each holds its first lock before asking for the
second, so the deadlock happens every time instead of now and then. Each
sleeps on a semaphore the other holds.

Note what forklore can and cannot tell: it sees each worker asleep on a
semaphore with value 0, but a POSIX semaphore does not record who took it,
so "who holds what" is inferred, and the cycle is marked probable.

The fix: take the locks in one agreed order everywhere.
"""

import multiprocessing as mp
import os


def take(first, second, both_hold_one, name):
    with first:
        both_hold_one.wait()  # now each worker holds one lock
        print(f"{name} ({os.getpid()}) holds its first lock, wants the second", flush=True)
        with second:
            print(f"{name} got both", flush=True)  # never printed


if __name__ == "__main__":
    lock_a = mp.Lock()
    lock_b = mp.Lock()
    both_hold_one = mp.Barrier(2)
    one = mp.Process(target=take, args=(lock_a, lock_b, both_hold_one, "first"))
    two = mp.Process(target=take, args=(lock_b, lock_a, both_hold_one, "second"))
    one.start()
    two.start()
    one.join()
    two.join()
