#!/usr/bin/env python3
"""The pool lesson's map in Python, for comparison with `forklore bench pool`.

Counts the primes below LIMIT by trial division, cut into TASKS blocks, once
in a plain loop and once with multiprocessing.Pool.map, and prints both times,
the speedup and whether the results match. Python is far slower per task, so
the default limit is smaller than forklore's (4 000 000); pass one to match.

    python3 benches/pool_python.py [LIMIT] [TASKS] [WORKERS] [CHUNKSIZE]
"""
import os
import sys
import time
from multiprocessing import Pool


def is_prime(n):
    if n < 4:
        return n >= 2
    if n % 2 == 0:
        return False
    d = 3
    while d * d <= n:
        if n % d == 0:
            return False
        d += 2
    return True


def count_block(args):
    lo, hi = args
    return sum(1 for n in range(lo, hi) if is_prime(n))


def main():
    limit = int(sys.argv[1]) if len(sys.argv) > 1 else 400_000
    tasks = int(sys.argv[2]) if len(sys.argv) > 2 else 48
    workers = int(sys.argv[3]) if len(sys.argv) > 3 else min(4, max(2, os.cpu_count() or 2))
    chunksize = int(sys.argv[4]) if len(sys.argv) > 4 else -(-tasks // (4 * workers))
    blocks = [(limit * i // tasks, limit * (i + 1) // tasks) for i in range(tasks)]

    t = time.perf_counter()
    serial = [count_block(b) for b in blocks]
    serial_s = time.perf_counter() - t

    t = time.perf_counter()
    with Pool(workers) as pool:
        parallel = pool.map(count_block, blocks, chunksize=chunksize)
    parallel_s = time.perf_counter() - t

    print(f"limit {limit}, {tasks} tasks, {workers} workers, chunksize {chunksize}")
    print(f"serial {serial_s * 1000:.1f} ms, pool {parallel_s * 1000:.1f} ms, "
          f"speedup {serial_s / parallel_s:.2f}x, results match: {serial == parallel}, "
          f"primes: {sum(serial)}")
    print(f"load: {open('/proc/loadavg').read().strip()}")


if __name__ == "__main__":
    main()
