"""Three workers fill a dict and a list that live in a Manager's process.

Watch it with:  forklore watch -- python3 examples/python/manager.py

A Manager starts a server process that owns the real dict and list; the
workers hold proxies and every change is a message over a socket to the
server. forklore finds the server by its listening socket, and shows each
worker's socket to it.
"""

import multiprocessing as mp
import os
import time


def work(shared, log, n):
    for i in range(12):
        shared[f"worker{n}"] = i          # one message to the server
        log.append(f"{os.getpid()} step {i}")  # another
        time.sleep(0.3)


if __name__ == "__main__":
    with mp.Manager() as manager:
        shared = manager.dict()
        log = manager.list()
        workers = [mp.Process(target=work, args=(shared, log, n)) for n in range(3)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        print(dict(shared), flush=True)
        print(f"{len(log)} log lines", flush=True)
