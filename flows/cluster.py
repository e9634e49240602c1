"""The Dask task runner of the extraction and the match's embedding (CLAIMFLOW_TASK_RUNNER=dask):
a running cluster at CLAIMFLOW_DASK_ADDRESS, or a LocalCluster for the run.

A cluster's workers are separate processes, possibly on other machines: each must be able to
import claimflow (the same version as the caller) and find the models it ships. Prefect sends a
task to a worker by reference to its module, and the worker loads the spaCy pipeline, the
check-worthiness scorer and the sentence encoder once (each is cached per process), on its first
task that needs it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

from flows.errors import DaskUnreachable
from flows.settings import Settings


def dask_runner(settings: Settings):
    """The Dask cluster at CLAIMFLOW_DASK_ADDRESS (checked first: see :func:`check_scheduler`),
    or a LocalCluster of one single-threaded worker process per core for the run."""
    from prefect_dask import DaskTaskRunner

    if settings.dask_address:
        check_scheduler(settings)
        return DaskTaskRunner(address=settings.dask_address, client_kwargs={"timeout": settings.dask_connect_timeout})
    workers = settings.nlp_processes or os.cpu_count() or 1
    return DaskTaskRunner(cluster_kwargs={"n_workers": workers, "threads_per_worker": 1, "processes": True})


def run_on_cluster(runner, task, calls: list[dict]) -> Iterator:
    """Run the Prefect ``task`` once per parameters of ``calls`` on ``runner`` (an entered
    :func:`dask_runner`), all submitted at once; yield their results in order, as each comes.

    The runner is used directly, inside the calling flow or task, not as a subflow's task runner:
    a subflow's parameters (articles, texts, settings) would be stored in Prefect's database. Dask
    gives a task whose worker died to another worker, which runs it again."""
    futures = [runner.submit(task, parameters=parameters) for parameters in calls]
    for future in futures:
        yield future.result()


def check_scheduler(settings: Settings) -> None:
    """Raise :class:`DaskUnreachable` unless a Dask scheduler answers at CLAIMFLOW_DASK_ADDRESS
    within CLAIMFLOW_DASK_CONNECT_TIMEOUT seconds. Without it a wrong address fails only deep in
    the flow run, after Dask's own 30 s, with a traceback. A bare connection and Dask's handshake,
    not a Client: a Client that failed to connect still prints a traceback when it is collected."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    from distributed.comm import connect

    address, timeout = settings.dask_address, settings.dask_connect_timeout

    async def probe() -> None:  # the handshake has no timeout of its own: a silent listener would hang it
        comm = await connect(address, timeout=timeout)
        await comm.close()

    try:
        with ThreadPoolExecutor(1) as thread:  # a loop of its own, whatever runs in this thread
            thread.submit(asyncio.run, asyncio.wait_for(probe(), timeout)).result()
    except ValueError as err:
        raise DaskUnreachable(
            f"CLAIMFLOW_DASK_ADDRESS={address} is not a Dask scheduler address ({' '.join(str(err).split())[:200]}): "
            "give it as tcp://HOST:PORT"
        ) from None
    except (OSError, TimeoutError):
        raise DaskUnreachable(
            f"CLAIMFLOW_DASK_ADDRESS={address}: no Dask scheduler answers there within {timeout:g} s "
            "(CLAIMFLOW_DASK_CONNECT_TIMEOUT); start one (`dask scheduler`) and its workers, or unset "
            "CLAIMFLOW_DASK_ADDRESS to run on a LocalCluster of this machine"
        ) from None
