"""The local Label Studio's data folder is the owner's alone: the API token is in plain text in
Label Studio's own database there, not only in credentials.json."""

import os
import stat

import pytest


def mode(path):
    return stat.S_IMODE(path.stat().st_mode)


def test_a_folder_made_readable_by_others_is_closed_again_before_the_server_starts(tmp_path):
    from annotation.server import LocalServer

    data = tmp_path / "labelstudio"
    data.mkdir(mode=0o755)
    os.chmod(data, 0o755)
    (data / "label_studio.sqlite3").write_bytes(b"")
    os.chmod(data / "label_studio.sqlite3", 0o644)
    server = LocalServer(data_dir=data, venv=tmp_path / "no-venv", port=9)
    with pytest.raises(Exception, match="no Label Studio server at"):
        server.start(timeout=1)  # no server to run here: what it does first is enough
    assert mode(data) == 0o700 and mode(data / "label_studio.sqlite3") == 0o600


def test_a_new_folder_is_created_for_the_owner_alone(tmp_path):
    from annotation.server import LocalServer

    server = LocalServer(data_dir=tmp_path / "fresh" / "labelstudio", venv=tmp_path, port=9)
    server.credentials()
    assert mode(server.data_dir) == 0o700 and mode(server.credentials_file) == 0o600
