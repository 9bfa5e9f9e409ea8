"""Four processes add to one shared counter, with a lock or without.

Watch it with:  forklore watch -- python3 examples/python/lock.py
and without the lock:  forklore watch -- python3 examples/python/lock.py --no-lock

Each worker reads the counter, waits a moment (as if it had more work to
do), then writes the value plus one. With the lock, only one worker at a
time is between the read and the write: forklore shows the others asleep
on the lock's semaphore. Without it, workers read the same value and
overwrite each other: updates are lost, and the total comes out short.
"""

import multiprocessing as mp
import sys
import time

WORKERS = 4
ROUNDS = 100


def add(counter, lock, use_lock):
    for _ in range(ROUNDS):
        if use_lock:
            lock.acquire()
        value = counter.value      # read
        time.sleep(0.005)          # the gap where another worker may run
        counter.value = value + 1  # write
        if use_lock:
            lock.release()
        time.sleep(0.005)


if __name__ == "__main__":
    use_lock = "--no-lock" not in sys.argv[1:]
    # spawn: the lock's semaphore has a name in /dev/shm while the program
    # runs, and the resource_tracker removes it if a process dies.
    ctx = mp.get_context("spawn")
    lock = ctx.Lock()
    counter = ctx.Value("i", 0, lock=False)  # raw shared memory, no lock of its own
    workers = [ctx.Process(target=add, args=(counter, lock, use_lock)) for _ in range(WORKERS)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    expected = WORKERS * ROUNDS
    lost = expected - counter.value
    print(f"lock {'on' if use_lock else 'off'}: counter {counter.value}, expected {expected}, lost {lost}", flush=True)
