"""A program that hangs: the parent joins a child before emptying its queue.

Watch it with:  forklore watch -- python3 examples/python/join_before_drain.py

The child puts one large item (1 MB) into a Queue and returns. But a
process that has put items cannot finish until its queue's feeder thread
has written them all into the pipe, and a pipe holds only 64 KiB. The
parent calls join() first and get() after, so nobody reads the pipe: the
child waits for the pipe, the parent waits for the child, forever.

The fix: get() the items before join() (or join after draining).
"""

import multiprocessing as mp


def make_big(queue):
    queue.put(b"x" * 1_000_000)
    print("child: item put, returning", flush=True)


if __name__ == "__main__":
    queue = mp.Queue()
    child = mp.Process(target=make_big, args=(queue,))
    child.start()
    child.join()          # the mistake: waits for a child that cannot exit
    item = queue.get()    # never reached
    print(f"got {len(item)} bytes", flush=True)
