"""From command-line arguments (files, folders, glob patterns) to the files to read, streamed.

The walk is bounded whatever the folders hold, so that no input can make it run forever:

- Folders are searched recursively, entries in name order; names starting with a dot are passed
  over (as a shell glob does), unless a pattern names them (``.drafts/*.md``).
- A symbolic link to a file is read like the file (a file reached twice is read once).
- A symbolic link to a folder is followed at most once: not when it points to the folder it is
  in or one above it (a loop, reported as :class:`Skipped`), and not when the folder it points
  to was searched already for the same argument (its files were found there).
- Files come out as they are found, one folder listed at a time; nothing collects or sorts the
  whole tree.
- A folder's files of types claimflow does not read are not errors, but not silent either: one
  :class:`Skipped` per argument counts them by type.
"""

from __future__ import annotations

import fnmatch
import glob
import os
import stat
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from claims.errors import SourceError

# What a file of an unread type most likely needs, by suffix.
_HINTS = {
    ".json": "a .json list of articles can be written as .jsonl, one article object per line",
    ".csv": "a .csv of articles can be written as .jsonl, one object with a 'text' field per line",
    ".tsv": "a .tsv of articles can be written as .jsonl, one object with a 'text' field per line",
}
_EXAMPLES = 3


@dataclass(frozen=True, slots=True)
class Skipped:
    """An input passed over on purpose, not a failure: a link loop, files of types claimflow
    does not read. Reported, not recorded as an ingest failure."""

    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


Found = Path | SourceError | Skipped


def iter_inputs(args: Iterable[str | os.PathLike], suffixes: set[str]) -> Iterator[Found]:
    """Every file to read (with a suffix in ``suffixes``), in argument order and within a folder
    in name order, each once; a :class:`SourceError` for an argument that cannot be read (a
    missing path, a pattern matching nothing, a file of another type); :class:`Skipped` for what
    was passed over on purpose."""
    files_seen: set[tuple[int, int]] = set()
    for arg in args:
        text = str(arg)
        path = Path(text)
        walk = _Walk(suffixes, files_seen)
        if path.is_dir():
            yield from walk.search(path, ("**", "*"))
            if not walk.found:
                yield SourceError(text, f"folder holds no {supported_list(suffixes)} files")
        elif path.exists() or path.is_symlink():
            yield from _named_file(path, text, suffixes, files_seen)
        elif glob.has_magic(text):
            root, parts = _split_pattern(text)
            yield from walk.search(root, parts) if root.is_dir() else ()
            if not walk.found:
                yield SourceError(text, "pattern matches no supported file")
        else:
            yield SourceError(text, "no such file or directory")
        if walk.unread:
            yield Skipped(text, _unread_summary(walk.unread, walk.unread_examples))


def supported_list(suffixes: set[str]) -> str:
    return ", ".join(sorted(suffixes))


def _named_file(path: Path, text: str, suffixes: set[str], files_seen: set) -> Iterator[Found]:
    try:
        info = path.stat()
    except OSError as err:
        yield SourceError(text, "broken symbolic link" if path.is_symlink() else f"cannot read: {err.strerror or err}")
        return
    if not stat.S_ISREG(info.st_mode):
        yield SourceError(text, "not a regular file (a device, socket or pipe); expected an article file")
    elif path.suffix.lower() not in suffixes:
        yield SourceError(text, f"unsupported file type {path.suffix or '(none)'!r}; expected {supported_list(suffixes)}")
    elif (info.st_dev, info.st_ino) not in files_seen:
        files_seen.add((info.st_dev, info.st_ino))
        yield path


def _split_pattern(pattern: str) -> tuple[Path, tuple[str, ...]]:
    """The folder a pattern starts in (its leading parts without wildcards) and the rest."""
    parts = pattern.split(os.sep)
    literal = 0
    while literal < len(parts) - 1 and not glob.has_magic(parts[literal]):
        literal += 1
    head = parts[:literal]
    if head == [""]:  # an absolute pattern: "/*.txt"
        root = Path(os.sep)
    else:
        root = Path(os.sep.join(head)) if head else Path(".")
    rest = tuple(p for p in parts[literal:] if p not in ("", "."))
    if rest and rest[-1] == "**":  # "folder/**": every file below it
        rest += ("*",)
    return root, rest


def _unread_summary(unread: Counter, examples: list[str]) -> str:
    total = sum(unread.values())
    kinds = ", ".join(f"{suffix} ({n})" for suffix, n in sorted(unread.items(), key=lambda kv: (-kv[1], kv[0])))
    hints = [h for s, h in _HINTS.items() if s in unread]
    text = f"{total} file{'s' if total != 1 else ''} of types claimflow does not read passed over: {kinds}; e.g. {', '.join(examples)}"
    return text + (f" ({'; '.join(hints)})" if hints else "")


class _Walk:
    """One argument's walk. A folder is searched at most once for each remaining pattern (its
    identity is its device and inode, so a link and its target are the same folder)."""

    def __init__(self, suffixes: set[str], files_seen: set[tuple[int, int]]):
        self.suffixes = suffixes
        self.files_seen = files_seen
        self.searched: set[tuple[tuple[int, int], tuple[str, ...]]] = set()
        self.found = 0
        self.unread: Counter = Counter()
        self.unread_examples: list[str] = []

    def search(self, root: Path, parts: tuple[str, ...]) -> Iterator[Found]:
        try:
            key = _key(root.stat())
        except OSError as err:
            yield SourceError(str(root), f"cannot read folder: {err.strerror or err}")
            return
        yield from self._search(root, parts, (key,))

    def _search(self, folder: Path, parts: tuple[str, ...], stack: tuple[tuple[int, int], ...]) -> Iterator[Found]:
        state = (stack[-1], parts)
        if state in self.searched:
            return
        self.searched.add(state)
        try:
            with os.scandir(folder) as scan:
                entries = sorted(scan, key=lambda e: e.name)
        except OSError as err:
            yield SourceError(str(folder), f"cannot read folder: {err.strerror or err}")
            return
        head, rest = parts[0], parts[1:]
        if head == "**":
            if rest:  # "**" standing for no folder at all
                yield from self._match(folder, entries, rest, stack)
            for entry in entries:
                if not entry.name.startswith("."):
                    yield from self._descend(entry, parts, stack)
        else:
            yield from self._match(folder, entries, parts, stack)

    def _match(self, folder: Path, entries: list[os.DirEntry], parts: tuple[str, ...], stack) -> Iterator[Found]:
        head, rest = parts[0], parts[1:]
        if rest and head == "**":
            yield from self._search(folder, parts, stack)
            return
        for entry in entries:
            if not fnmatch.fnmatchcase(entry.name, head) or (entry.name.startswith(".") and not head.startswith(".")):
                continue
            if rest:
                yield from self._descend(entry, rest, stack)
            else:
                yield from self._file(entry)

    def _descend(self, entry: os.DirEntry, parts: tuple[str, ...], stack) -> Iterator[Found]:
        """Search a subfolder (following a link to one at most once), reporting a link loop
        where the rest of the pattern would recurse through it."""
        try:
            if not entry.is_dir():
                return
            key = _key(entry.stat())
        except OSError:
            return
        if key in stack and parts[0] == "**":  # a bounded pattern ("*/b.md") may pass a loop once
            yield Skipped(entry.path, f"link to {os.path.realpath(entry.path)}, a folder it is inside: a loop, not followed")
            return
        yield from self._search(Path(entry.path), parts, stack + (key,))

    def _file(self, entry: os.DirEntry) -> Iterator[Found]:
        try:
            if not entry.is_file():
                if entry.is_symlink() and not os.path.exists(entry.path):
                    if Path(entry.name).suffix.lower() in self.suffixes:
                        yield SourceError(entry.path, "broken symbolic link")
                return
            key = _key(entry.stat())
        except OSError as err:
            yield SourceError(entry.path, f"cannot read: {err.strerror or err}")
            return
        suffix = Path(entry.name).suffix.lower()
        if suffix not in self.suffixes:
            self.unread[suffix or "(no suffix)"] += 1
            if len(self.unread_examples) < _EXAMPLES:
                self.unread_examples.append(entry.path)
            return
        self.found += 1
        if key not in self.files_seen:
            self.files_seen.add(key)
            yield Path(entry.path)


def _key(info: os.stat_result) -> tuple[int, int]:
    return info.st_dev, info.st_ino
