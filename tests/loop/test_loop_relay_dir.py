"""The relay's folder must be the user's own. Without XDG_RUNTIME_DIR it is
/tmp/wasmote-UID, a name another user of the machine can take first: their folder could
hold a socket that greets like a relay (then every command talks through them) or a lock
file linked to one of the user's files, which the relay truncated and wrote its pid to.
Now a folder that is a link, someone else's, or writable by others is refused."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from wasmote.device.errors import LinkError
from wasmote.device.relay import open_line, relay_name

URL = "socket://127.0.0.1:1"


def test_a_folder_others_may_write_is_refused_and_nothing_in_it_is_opened(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    victim = tmp_path / "notes.txt"
    victim.write_text("the user's own file\n")
    planted = tmp_path / "shared"
    planted.mkdir()
    planted.chmod(0o777)  # as a folder another user made first in /tmp
    (planted / f"{relay_name(URL, 115200)}.lock").symlink_to(victim)
    monkeypatch.setenv("WASMOTE_RUNTIME_DIR", str(planted))
    with pytest.raises(LinkError, match="not a folder of yours that only you may write"):
        open_line(URL, timeout=5.0)
    assert victim.read_text() == "the user's own file\n"


def test_a_linked_folder_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = tmp_path / "real"
    real.mkdir(mode=0o700)
    link = tmp_path / "link"
    link.symlink_to(real)
    monkeypatch.setenv("WASMOTE_RUNTIME_DIR", str(link))
    with pytest.raises(LinkError, match="a symbolic link"):
        open_line(URL, timeout=5.0)


def test_the_user_s_own_private_folder_is_used(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    mine = tmp_path / "mine"
    monkeypatch.setenv("WASMOTE_RUNTIME_DIR", str(mine))
    with pytest.raises(LinkError, match="nothing listens"):  # made, then used
        open_line(URL, timeout=5.0)
    assert mine.is_dir() and os.stat(mine).st_mode & 0o077 == 0
