"""The running Label Studio's data folder, database and credentials are its owner's alone."""

from tests.unit.test_labelstudio_data_dir import mode


def test_the_running_servers_folder_database_and_credentials_are_the_owners_alone(label_studio):
    assert mode(label_studio.data_dir) == 0o700
    assert label_studio.credentials().token.encode() in label_studio.database_file.read_bytes()  # why it matters
    for path in (label_studio.database_file, label_studio.credentials_file, label_studio.log_file):
        assert mode(path) & 0o077 == 0, path
