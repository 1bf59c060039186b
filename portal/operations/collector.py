"""Python's cyclic garbage collector, set for a server process once its app is built.

At its defaults the collector was a fifth of a busy webhook endpoint's CPU: every 700 new objects
it walks the young ones, and now and then every object the process holds, the ~240,000 that
importing and building the app leave behind (SQLAlchemy's tables, Jinja2, Babel's data, the SDK)
among them, none of which ever becomes garbage. `settle` moves those out of its sight
(gc.freeze) and lets the young generation grow larger before it is walked. Garbage is still
collected: only less often, in larger and fewer passes (a pass over 50,000 young objects takes
about 10 ms here).

Only `portal serve` (each of its processes) and `portal worker` call it: a test process builds
many apps, and what one of them froze would outlive it."""

import gc

# New container objects between two collections of the young generation (Python's default: 700).
YOUNG = 50_000


def settle() -> None:
    gc.collect()  # what start-up left as garbage goes now, not into the frozen set
    gc.freeze()
    _young, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG, middle, old)
