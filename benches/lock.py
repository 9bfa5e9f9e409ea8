#!/usr/bin/env python3
"""The lock lesson's work in Python, for `forklore bench lock` to be compared with.

Four processes each add 1 to a shared counter 100 000 times:
  lock_raw_value     a Lock around read-add-write on Value(lock=False)
  lock_synced_value  a Lock around read-add-write on a synchronized Value
                     (each .value access also takes the Value's own lock)
  no_lock            read-add-write on Value(lock=False), no lock: updates get lost

Like forklore's figure, the time runs from the moment a start gate opens
(all workers started and waiting) to the moment the last worker ends its loop:
process start-up is left out. Prints one JSON object.
Usage: python3 benches/lock.py [--rounds N]
"""

import json
import statistics
import sys
import time
from multiprocessing import Array, Event, Lock, Process, Value

WORKERS = 4
ITERATIONS = 100_000


def work(counter, lock, gate, ends, index, n, mode):
    gate.wait()
    if mode == "no_lock":
        for _ in range(n):
            v = counter.value
            counter.value = v + 1
    else:
        for _ in range(n):
            with lock:
                v = counter.value
                counter.value = v + 1
    ends[index] = time.monotonic_ns()


def one(mode):
    counter = Value("q", 0, lock=(mode == "lock_synced_value"))
    lock = Lock()
    gate = Event()

    ends = Array("q", WORKERS, lock=False)
    procs = [
        Process(target=work, args=(counter, lock, gate, ends, i, ITERATIONS, mode))
        for i in range(WORKERS)
    ]
    for p in procs:
        p.start()
    time.sleep(0.2)  # let every worker reach the gate
    t0 = time.monotonic_ns()
    gate.set()
    for p in procs:
        p.join()
    ms = (max(ends) - t0) / 1e6
    final = counter.value
    return ms, WORKERS * ITERATIONS - final


def main():
    rounds = 3
    if "--rounds" in sys.argv:
        rounds = int(sys.argv[sys.argv.index("--rounds") + 1])
    out = {"workers": WORKERS, "iterations": ITERATIONS, "python": sys.version.split()[0]}
    for mode in ["lock_raw_value", "lock_synced_value", "no_lock"]:
        runs = [one(mode) for _ in range(rounds)]
        out[mode + "_ms"] = round(statistics.median(r[0] for r in runs), 1)
        out[mode + "_lost_updates"] = int(statistics.median(r[1] for r in runs))
    print(json.dumps(out))


if __name__ == "__main__":
    main()
