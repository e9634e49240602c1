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


def check_scheduler(settings: Settings) -> None:
    """Raise :class:`DaskUnreachable` unless a Dask scheduler answers at CLAIMFLOW_DASK_ADDRESS
    within CLAIMFLOW_DASK_CONNECT_TIMEOUT seconds. Without it a wrong address fails only deep in
    the flow run, after Dask's own 30 s, with a traceback."""
    from distributed import Client

    address = settings.dask_address
    try:
        with Client(address, timeout=settings.dask_connect_timeout, set_as_default=False):
            pass
    except (OSError, TimeoutError, ValueError) as err:
        reason = "no answer" if isinstance(err, (OSError, TimeoutError)) else " ".join(str(err).split())[:200]
        raise DaskUnreachable(
            f"CLAIMFLOW_DASK_ADDRESS={address}: no Dask scheduler there ({reason} within "
            f"{settings.dask_connect_timeout:g} s); start one (`dask scheduler`) and its workers, or unset "
            "CLAIMFLOW_DASK_ADDRESS to run on a LocalCluster of this machine"
        ) from None
