"""CLAIMFLOW_DASK_ADDRESS is checked before a flow sends work there: an address where no Dask
scheduler answers is one named error naming the setting and the address, within the connect
timeout, not Dask's 30 s and a traceback."""

import socket

import pytest

from flows.cluster import check_scheduler
from flows.errors import DaskUnreachable
from flows.settings import Settings
from tests.conftest import free_port


def settings(address: str) -> Settings:
    return Settings(dask_address=address, dask_connect_timeout=0.5)


def test_an_address_where_nothing_listens_is_unreachable():
    address = f"tcp://127.0.0.1:{free_port()}"
    with pytest.raises(DaskUnreachable, match=rf"^CLAIMFLOW_DASK_ADDRESS={address}: no Dask scheduler answers there within 0.5 s"):
        check_scheduler(settings(address))


def test_a_listener_that_never_answers_is_unreachable_not_a_hang():
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        address = f"tcp://127.0.0.1:{silent.getsockname()[1]}"
        with pytest.raises(DaskUnreachable, match=rf"^CLAIMFLOW_DASK_ADDRESS={address}: no Dask scheduler answers"):
            check_scheduler(settings(address))


@pytest.mark.parametrize("address", ["nonsense", "http://127.0.0.1:8786"])
def test_an_address_that_is_not_a_dask_address_says_how_to_write_one(address):
    with pytest.raises(DaskUnreachable, match=rf"^CLAIMFLOW_DASK_ADDRESS={address} is not a Dask scheduler address .*tcp://HOST:PORT"):
        check_scheduler(settings(address))
