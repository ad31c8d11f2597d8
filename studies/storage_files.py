"""Walking and clearing folders of a Django storage (the local file system, or any storage with listdir)."""

import os
from collections.abc import Iterator
from datetime import datetime


def iter_files(storage, folder: str) -> Iterator[str]:
    """Every file under `folder`, at any depth, as storage names; nothing when the folder is missing."""
    try:
        subfolders, names = storage.listdir(folder)
    except FileNotFoundError:
        return
    for name in names:
        yield f"{folder}/{name}"
    for subfolder in subfolders:
        yield from iter_files(storage, f"{folder}/{subfolder}")


def delete_folder(storage, folder: str) -> None:
    """Delete every file under `folder`, then the folders themselves where the storage has them."""
    for name in list(iter_files(storage, folder)):
        storage.delete(name)
    remove_empty_folders(storage, folder)


def folders_unchanged_since(storage, folder: str, since: datetime) -> set[str] | None:
    """The local paths of `folder` and the folders under it not changed since `since`; None for object stores."""
    root = _local_path(storage, folder)
    if root is None:
        return None
    unchanged = set()
    for path, _, _ in os.walk(root):
        try:
            if os.stat(path).st_mtime < since.timestamp():
                unchanged.add(path)
        except FileNotFoundError:
            continue  # removed meanwhile
    return unchanged


def remove_empty_folders(storage, folder: str, *, among: set[str] | None = None) -> None:
    """Remove `folder` and the folders under it that hold nothing (a local storage's; others have none).

    With `among`, only those folders may go: one made since they were listed may be about to
    receive its first file.
    """
    root = _local_path(storage, folder)
    if root is None:
        return
    for path in reversed([path for path, _, _ in os.walk(root)]):  # the deepest first
        if among is None or path in among:
            try:
                os.rmdir(path)
            except OSError:
                pass  # holds a file (or a new one arrived)


def _local_path(storage, folder: str) -> str | None:
    try:
        root = storage.path(folder)
    except NotImplementedError:
        return None  # object stores have no folders, only names
    return root if os.path.isdir(root) else None
