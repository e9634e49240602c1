"""What a command's console shows of the logs: the flows' own lines and every warning, not
Prefect's own progress lines (they stay in the log file)."""

import logging
from pathlib import Path

import pytest

import flows.land
import prefect.flow_engine
from flows.logs import QuietConsole

PREFECT_CODE = prefect.flow_engine.__file__
FLOW_CODE = flows.land.__file__


def record(path: str, level: int, name: str = "prefect.flow_runs", msg: str = "a line") -> logging.LogRecord:
    return logging.LogRecord(name, level, path, 1, msg, None, None)


@pytest.mark.parametrize(
    ("path", "level", "shown"),
    [
        (PREFECT_CODE, logging.INFO, False),  # "Beginning flow run ...", "Created task run ...", "Finished in state Completed()"
        (PREFECT_CODE, logging.WARNING, True),
        (FLOW_CODE, logging.INFO, True),  # a flow's own line, through its Prefect run logger
        (str(Path(PREFECT_CODE).resolve()), logging.DEBUG, False),
    ],
)
def test_the_console_shows_the_flows_lines_and_warnings_but_not_prefects_progress(path, level, shown):
    assert QuietConsole().filter(record(path, level)) is shown
