"""Python's cyclic garbage collector, paused where it would walk objects that are not garbage.

A collection walks every object of the generations it collects; while a block makes hundreds of
thousands of objects that stay alive (modules being imported, rows being landed), the collector
runs again and again over a growing heap and finds nothing. Reference counting frees everything
as usual meanwhile; only cycles wait for the collector, which runs again after the block."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

# Whether objects made in a paused block may then be frozen out of later collections: only in the
# `claimflow` script's own process (flows.cli.main), which ends with its command, never in a
# process that goes on to other work (a test session), where garbage not collected yet at the
# freeze would stay for good.
_freeze = False


def freeze_after_pauses() -> None:
    global _freeze
    _freeze = True


@contextmanager
def paused(*, freeze: bool = False) -> Iterator[None]:
    """The block without the cyclic collector. With ``freeze`` (and :func:`freeze_after_pauses`
    called in this process), what exists at the block's end is then left out of every later
    collection (``gc.freeze``): a command's own objects are still collected, the objects
    of its imports are not walked again."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if freeze and _freeze:
            gc.freeze()
        if enabled:
            gc.enable()
