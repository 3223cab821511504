"""dbt's partial-parse state (``target/partial_parse.msgpack``), carried
from one copy of the project to another.

A full ``dbt parse`` of this project takes seconds of CPU; re-using the
state of an earlier parse takes a fraction of that, and dbt re-parses what
changed (by file checksum) and re-parses everything when a global input
changed (dbt version, ``--vars``, target, the profile's connection values,
``dbt_project.yml``). dbt does not check that the state comes from the same
folder: it keeps each node's absolute ``root_path`` (a seed's file is read
from it) and each file's ``project_root``. ``relocate`` rewrites those for
the folder the state now lives in, so that a copy of the project (the tests
make dozens) starts from the state of another copy and dbt's result is the
one a full parse would give (tests/test_parse_state.py compares them).

``portable_env``: the profile's DuckDB file is given to dbt relative to the
project folder (dbt runs there), so that the profile, whose connection values
dbt hashes into the state, renders the same in every copy.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import msgpack

STATE_FILE = "partial_parse.msgpack"


def _rewrite(value: Any, old: str, new: str) -> Any:
    if isinstance(value, dict):
        return {key: _rewrite(item, old, new) for key, item in value.items()}
    if isinstance(value, list):
        return [_rewrite(item, old, new) for item in value]
    if isinstance(value, str) and (value == old or value.startswith(old + os.sep)):
        return new + value[len(old) :]
    return value


def _state_root(state: Mapping[str, Any]) -> str | None:
    """The project folder the state was parsed in (its files' ``project_root``)."""
    for entry in (state.get("files") or {}).values():
        root = (entry.get("path") or {}).get("project_root") if isinstance(entry, dict) else None
        if isinstance(root, str):
            return root
    return None


def relocate(target_dir: Path, root: Path) -> None:
    """Make the state in ``target_dir`` (if any) say it was parsed in ``root``.

    A state whose origin cannot be read is removed: dbt then parses in full.
    """
    path = target_dir / STATE_FILE
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return
    try:
        state = msgpack.unpackb(raw, raw=False, strict_map_key=False)
        old = _state_root(state)
    except (ValueError, msgpack.UnpackException):
        old = None
    if old == str(root):
        return
    if old is None:
        path.unlink(missing_ok=True)
        return
    scratch = path.with_name(f".{STATE_FILE}.{os.getpid()}")
    scratch.write_bytes(msgpack.packb(_rewrite(state, old, str(root)), use_bin_type=True))
    os.replace(scratch, path)


def seed(target_dir: Path, state: Path | None) -> None:
    """Start ``target_dir`` with the parse state ``state`` (nothing if None or
    missing); ``relocate`` then adapts it to its project folder."""
    if state is not None and state.is_file():
        target_dir.mkdir(parents=True, exist_ok=True)
        shutil.copy(state, target_dir / STATE_FILE)


def portable_env(env: Mapping[str, str], root: Path, names: Iterable[str]) -> dict[str, str]:
    """``env`` with each of ``names`` that is a path inside ``root`` made relative to it."""
    portable = dict(env)
    for name in names:
        value = portable.get(name)
        if value and os.path.isabs(value):
            try:
                portable[name] = str(Path(value).resolve().relative_to(root.resolve()))
            except ValueError:
                continue  # outside the project folder: left as it is
    return portable
