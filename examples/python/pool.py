"""A pool of three worker processes shares out a list of tasks.

Watch it with:  forklore watch -- python3 examples/python/pool.py

The pool uses the "spawn" start method: each worker is a fresh Python
started with `-c "from multiprocessing.spawn import spawn_main ..."`, and a
fourth process, the resource_tracker, is started alongside to clean up
shared semaphores if anything dies. forklore shows all of them, and which
task-carrying pipe each worker sleeps on between tasks.

Optional argument: how many tasks (default 40).
"""

import multiprocessing as mp
import os
import sys


def count_primes(limit):
    """Plain CPU work: count the primes below `limit` the slow way."""
    found = 0
    for n in range(2, limit):
        for d in range(2, int(n ** 0.5) + 1):
            if n % d == 0:
                break
        else:
            found += 1
    return os.getpid(), limit, found


if __name__ == "__main__":
    tasks = int(sys.argv[1]) if len(sys.argv) > 1 else 40
    ctx = mp.get_context("spawn")
    with ctx.Pool(processes=3) as pool:
        # imap hands out one task at a time, so the work spreads over the
        # three workers and the results come back in order.
        for pid, limit, found in pool.imap(count_primes, [40_000 + 500 * i for i in range(tasks)]):
            print(f"worker {pid}: {found} primes below {limit}", flush=True)
    print("all tasks done; the pool's workers have exited", flush=True)
