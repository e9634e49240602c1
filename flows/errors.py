"""Named errors of the flows: their message names the cause and the fix. Imports nothing (no
Prefect), so that the command line can name them without starting Prefect."""


class FlowError(Exception):
    """Base class of the flows' named errors."""


class QuarantineLimitExceeded(FlowError, RuntimeError):
    """Too large a share of a land's batch failed the expectation suites. Every row was kept:
    good rows landed, failing ones are in labels_quarantine with their reasons."""


class WriterBusy(FlowError, RuntimeError):
    """Another flow kept the warehouse's writer slot for longer than CLAIMFLOW_WRITER_TIMEOUT."""


class PrefectUnavailable(FlowError, RuntimeError):
    """The Prefect server stopped answering under `claimflow serve`."""


class ServeRunning(FlowError, RuntimeError):
    """Another `claimflow serve` runs: one at a time serves the deployments."""


class DaskUnreachable(FlowError, RuntimeError):
    """No Dask scheduler answers at CLAIMFLOW_DASK_ADDRESS."""
