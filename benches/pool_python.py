#!/usr/bin/env python3
"""The pool lesson's map in Python, measured by `forklore bench pool` in the
same run as forklore's figure.

Counts the primes below LIMIT by trial division, cut into TASKS blocks, once
in a plain loop and once with multiprocessing.Pool.map, and prints one JSON
object: both times, the speedup, whether the results match. Python is far
slower per task, so the default limit is smaller than forklore's
(4 000 000): the speedups compare, the times do not.

    python3 benches/pool_python.py [--items LIMIT] [--tasks T] [--workers W]
                                   [--chunksize C] [--rounds R]
"""
import argparse
import json
import os
import statistics
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


def one(limit, tasks, workers, chunksize):
    blocks = [(limit * i // tasks, limit * (i + 1) // tasks) for i in range(tasks)]
    t = time.perf_counter()
    serial = [count_block(b) for b in blocks]
    serial_s = time.perf_counter() - t
    t = time.perf_counter()
    with Pool(workers) as pool:
        parallel = pool.map(count_block, blocks, chunksize=chunksize)
    parallel_s = time.perf_counter() - t
    return serial_s, parallel_s, serial == parallel


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--items", type=int, default=400_000, help="the prime limit")
    ap.add_argument("--tasks", type=int, default=48)
    ap.add_argument("--workers", type=int, default=min(4, max(2, os.cpu_count() or 2)))
    ap.add_argument("--chunksize", type=int, default=0, help="0: Python's default")
    ap.add_argument("--rounds", type=int, default=1)
    a = ap.parse_args()
    chunksize = a.chunksize or -(-a.tasks // (4 * a.workers))
    runs = [one(a.items, a.tasks, a.workers, chunksize) for _ in range(a.rounds)]
    serial = statistics.median(r[0] for r in runs)
    parallel = statistics.median(r[1] for r in runs)
    print(json.dumps({
        "limit": a.items,
        "tasks": a.tasks,
        "workers": a.workers,
        "chunksize": chunksize,
        "serial_ms": round(serial * 1000, 1),
        "parallel_ms": round(parallel * 1000, 1),
        "speedup_median": round(statistics.median(r[0] / r[1] for r in runs), 3),
        "results_match": all(r[2] for r in runs),
    }))


if __name__ == "__main__":
    main()
