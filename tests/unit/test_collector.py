"""The cyclic collector paused for a block, and what the block made frozen out of later
collections only in a process that said it ends with its command."""

import gc
import subprocess
import sys

from flows import collector


def test_a_pause_turns_the_collector_off_for_the_block_only():
    assert gc.isenabled()
    with collector.paused():
        assert not gc.isenabled()
        with collector.paused():  # nested: the outer block's end turns it on again
            pass
        assert not gc.isenabled()
    assert gc.isenabled()


def test_the_objects_of_a_paused_block_are_frozen_only_in_the_scripts_process():
    probe = """
import gc
from flows import collector
with collector.paused(freeze=True):
    made = [{"n": i} for i in range(1000)]
print(gc.get_freeze_count() == 0, gc.isenabled())
collector.freeze_after_pauses()
with collector.paused():  # a pause that does not ask never freezes
    some = [{"n": i} for i in range(1000)]
print(gc.get_freeze_count() == 0)
with collector.paused(freeze=True):
    more = [{"n": i} for i in range(1000)]
print(gc.get_freeze_count() >= 2000, gc.isenabled())
"""
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert done.stdout.split() == ["True", "True", "True", "True", "True"], done.stderr[-2000:]
