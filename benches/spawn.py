#!/usr/bin/env python3
"""Start+join latency of Python processes, measured by `forklore bench spawn`
in the same run as forklore's own figure: one at a time (start, join) and 16
at once (start all, then join all), per process, for each start method.
Prints one JSON object.

    python3 benches/spawn.py [--rounds R] [--items N]

--items is how many processes one at a time per round with fork (default
20); the slower forkserver and spawn start a quarter as many (at least 3).
"""

import argparse
import json
import multiprocessing as mp
import statistics
import time


def work():
    pass


def one_at_a_time_ms(ctx, n):
    t0 = time.perf_counter()
    for _ in range(n):
        p = ctx.Process(target=work)
        p.start()
        p.join()
    return (time.perf_counter() - t0) * 1000 / n


def batch_ms(ctx, n=16):
    t0 = time.perf_counter()
    procs = [ctx.Process(target=work) for _ in range(n)]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    return (time.perf_counter() - t0) * 1000 / n


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--items", type=int, default=20)
    ap.add_argument("--rounds", type=int, default=3)
    a = ap.parse_args()
    out = {}
    for method in ("fork", "forkserver", "spawn"):
        ctx = mp.get_context(method)
        # The forkserver's own start is paid once, as forklore's zygote.
        one_at_a_time_ms(ctx, 1)
        n = a.items if method == "fork" else max(3, a.items // 4)
        ones = [one_at_a_time_ms(ctx, n) for _ in range(a.rounds)]
        batches = [batch_ms(ctx) for _ in range(a.rounds)]
        out[f"{method}_start_join_ms"] = round(statistics.median(ones), 3)
        out[f"{method}_start_join_batch16_ms_per_process"] = round(statistics.median(batches), 3)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
