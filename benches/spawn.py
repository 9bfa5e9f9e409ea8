"""Start+join latency of one Python process, for comparison with
`forklore bench spawn`. Run: python3 benches/spawn.py [rounds]"""

import multiprocessing as mp
import statistics
import sys
import time


def work():
    pass


def per_process_ms(method, n):
    ctx = mp.get_context(method)
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        p = ctx.Process(target=work)
        p.start()
        p.join()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


if __name__ == "__main__":
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    for method in ("fork", "forkserver", "spawn"):
        print(f"python.{method}_start_join_ms = {per_process_ms(method, rounds):.3f}")
