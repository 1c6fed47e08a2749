"""Reading an archive on a Python without tarfile's "data" filter (Debian 12's 3.11.2): plain
files inside the work folder only, as the filter would allow."""

import io
import json
import tarfile

import pytest

from chibo.core import backup


def archive_with(tmp_path, *members: tarfile.TarInfo, data: bytes = b"x"):
    path = tmp_path / "a.tar.gz"
    manifest = json.dumps({"format": backup.FORMAT, "members": {}}).encode()
    with tarfile.open(path, "w:gz") as archive:
        info = tarfile.TarInfo("manifest.json")
        info.size = len(manifest)
        archive.addfile(info, io.BytesIO(manifest))
        for member in members:
            archive.addfile(member, io.BytesIO(data) if member.isfile() else None)
    return path


def file_member(name: str) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size = 1
    return info


@pytest.fixture(params=["with filter", "without filter"])
def python(request, monkeypatch):
    if request.param == "without filter":
        monkeypatch.delattr(tarfile, "data_filter")
    return request.param


def test_plain_files_are_read(tmp_path, python):
    path = archive_with(tmp_path, file_member("media/documents/a.pdf"))
    work = tmp_path / "work"
    work.mkdir()
    assert backup._read_checked(path, work)["format"] == backup.FORMAT
    assert (work / "media/documents/a.pdf").read_bytes() == b"x"


def test_members_outside_the_folder_are_refused(tmp_path, python):
    path = archive_with(tmp_path, file_member("../outside.txt"))
    work = tmp_path / "work"
    work.mkdir()
    with pytest.raises(backup.BackupError):
        backup._read_checked(path, work)
    assert not (tmp_path / "outside.txt").exists()


def test_absolute_names_never_land_outside(tmp_path, python):
    outside = tmp_path / "elsewhere" / "evil.txt"
    path = archive_with(tmp_path, file_member(str(outside)))
    work = tmp_path / "work"
    work.mkdir()
    try:
        backup._read_checked(path, work)  # refused, or (Python's filter) put under work/
    except backup.BackupError:
        pass
    assert not outside.exists()


def test_links_are_refused(tmp_path, python):
    link = tarfile.TarInfo("media/link")
    link.type = tarfile.SYMTYPE
    link.linkname = "/etc/passwd"
    path = archive_with(tmp_path, link)
    work = tmp_path / "work"
    work.mkdir()
    with pytest.raises(backup.BackupError):
        backup._read_checked(path, work)
