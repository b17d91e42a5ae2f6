"""Unpacking untrusted zip files: every member is checked before a single byte is written.

Whatever is wrong with a zip (not a zip, cut short, a bad checksum, encryption, a compression
method Python lacks, a name that is both a file and a folder) becomes a ``name:0: message``
line, never an exception from deep inside ``zipfile``.
"""
from __future__ import annotations

import re
import shutil
import stat
import struct
import zipfile
import zlib
from pathlib import Path, PurePosixPath
from typing import IO, Any

from scoreboard.core.errors import N_, Message
from scoreboard.packs.problems import Finding

MAX_MEMBERS = 5000
MAX_RATIO = 200
MAX_LINK = 1024  # bytes of a symbolic link's target
_UTF8_FLAG = 0x800
_ENCRYPTED_FLAG = 0x1
_UNICODE_PATH_FIELD = 0x7075  # Info-ZIP's "up" extra field: the name in UTF-8
_METHODS = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA}
# What zipfile and its decompressors raise on damaged data.
_READ_ERRORS = (zipfile.BadZipFile, EOFError, zlib.error, NotImplementedError, RuntimeError, OSError, ValueError)


class ArchiveError(ValueError):
    """A zip that cannot be read; ``finding`` is its ``name:0: why`` line (also the message)."""

    def __init__(self, finding: Finding) -> None:
        super().__init__(finding)
        self.finding = finding


def _unicode_path(info: zipfile.ZipInfo, raw: bytes) -> str | None:
    """The UTF-8 name Info-ZIP stores beside a legacy one, if it still matches that name."""
    extra, offset = info.extra, 0
    while offset + 4 <= len(extra):
        field, size = struct.unpack_from("<HH", extra, offset)
        data = extra[offset + 4:offset + 4 + size]
        offset += 4 + size
        if field == _UNICODE_PATH_FIELD and len(data) > 5 and data[0] == 1:
            if struct.unpack_from("<I", data, 1)[0] == zlib.crc32(raw):
                try:
                    return data[5:].decode("utf-8")
                except UnicodeDecodeError:
                    return None
    return None


def _decode_names(archive: zipfile.ZipFile) -> None:
    """Decode names the way unzip does: zips made by Info-ZIP (``zip -r``) store UTF-8 names
    without the UTF-8 flag, which zipfile would read as cp437 (``José`` as ``Jos├⌐``)."""
    for info in archive.infolist():
        if info.flag_bits & _UTF8_FLAG:
            continue
        raw = info.orig_filename.encode("cp437")
        name = _unicode_path(info, raw)
        if name is None:
            try:
                name = raw.decode("utf-8")
            except UnicodeDecodeError:
                continue  # really cp437 (or another legacy code page): keep zipfile's reading
        info.filename = name
    archive.NameToInfo = {info.filename: info for info in archive.infolist()}


def open_zip(path: Path) -> zipfile.ZipFile:
    """Open ``path`` as a zip with its names decoded; ArchiveError if it is not a readable zip."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as err:
        raise ArchiveError(Finding(Path(path).name, 0, Message(N_("not a readable .zip file (%(error)s)"),
                                                             error=str(err)))) from None
    _decode_names(archive)
    return archive


def is_link(info: zipfile.ZipInfo) -> bool:
    return stat.S_ISLNK(info.external_attr >> 16)


def _escapes(name: str) -> bool:
    parts = PurePosixPath(name.replace("\\", "/")).parts
    return name.startswith(("/", "\\")) or bool(re.match(r"^[A-Za-z]:", name)) or ".." in parts


def _link_problem(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> Message | None:
    """Why a link member cannot be unpacked as a link. Where it points is not judged here: the
    pack reader judges the unpacked folder's links as it does a folder's (``packs/discovery``)."""
    if info.file_size > MAX_LINK:
        return Message(N_("the symbolic link's target is longer than %(max)s bytes"), max=MAX_LINK)
    try:
        target = archive.read(info).decode("utf-8")
    except (*_READ_ERRORS, UnicodeDecodeError) as err:
        return Message(N_("cannot be unpacked (%(error)s)"), error=str(err))
    if not target or "\0" in target:
        return Message(N_("the symbolic link has no target"))
    return None


def _why_unsafe(info: zipfile.ZipInfo, links: bool) -> Message | None:
    name = info.filename
    if _escapes(name):
        return Message(N_("the path escapes the archive"))
    if "\0" in name:
        return Message(N_("the name contains a NUL character"))
    if is_link(info) and not links:
        return Message(N_("symbolic links are not allowed"))
    if info.flag_bits & _ENCRYPTED_FLAG:
        return Message(N_("the file is encrypted; zip the pack without a password"))
    if info.compress_type not in _METHODS:
        return Message(N_("compression method %(method)s is not supported; use deflate (the default)"),
                       method=info.compress_type)
    if info.file_size > MAX_RATIO * max(info.compress_size, 1) and info.file_size > 1 << 20:
        return Message(N_("the compression ratio is suspicious (a zip bomb?)"))
    return None


def _clashes(members: list[zipfile.ZipInfo]) -> list[Finding]:
    """Names that are both a file and a folder (``a`` and ``a/b``), or two files of one name."""
    files: set[str] = set()
    folders: set[str] = set()
    found = []
    for member in members:
        name = member.filename.replace("\\", "/").rstrip("/")
        parts = PurePosixPath(name).parts
        folders.update("/".join(parts[:i]) for i in range(1, len(parts)))
        if member.is_dir():
            folders.add(name)
        elif name in files:
            found.append(Finding(name, 0, Message(N_("the archive holds two files with this name"))))
        else:
            files.add(name)
    found += [Finding(name, 0, Message(N_("this name is both a file and a folder in the archive")))
              for name in sorted(files & folders)]
    return found


def problems(archive: zipfile.ZipFile, label: str, max_unpacked: int, links: bool = False) -> list[Finding]:
    """Every reason not to unpack ``archive``, as ``name:0: message`` lines (zip slip, links, bombs, size).

    With ``links`` (a pack: GitHub's zips keep a repository's links) symbolic links are unpacked
    as links, for the pack reader to follow or not as in a folder; else none is allowed.
    """
    members = archive.infolist()
    found = [Finding(m.filename, 0, why) for m in members if (why := _why_unsafe(m, links))]
    found += [Finding(m.filename, 0, why) for m in members
              if links and is_link(m) and not _escapes(m.filename) and (why := _link_problem(archive, m))]
    found += _clashes(members)
    if len(members) > MAX_MEMBERS:
        found.append(Finding(label, 0, Message(N_("the archive has more than %(max)s entries"), max=MAX_MEMBERS)))
    total = sum(m.file_size for m in members)
    if total > max_unpacked:
        found.append(Finding(label, 0, Message(N_("the archive unpacks to %(size)s MB, over the %(max)s MB limit"),
                                              size=total // 2**20, max=max_unpacked // 2**20)))
    return found


def _copy(archive: zipfile.ZipFile, member: zipfile.ZipInfo, sink: IO[bytes] | Any) -> None:
    try:
        with archive.open(member) as source:
            shutil.copyfileobj(source, sink)
    except _READ_ERRORS as err:
        raise ArchiveError(Finding(member.filename, 0, Message(N_("cannot be unpacked (%(error)s)"), error=str(err)))) from None


class _Discard:
    def write(self, data: bytes) -> int:
        return len(data)


def verify(archive: zipfile.ZipFile) -> None:
    """Read every member once (checksums included) before anything depends on the archive."""
    for member in archive.infolist():
        if not member.is_dir():
            _copy(archive, member, _Discard())


def extract(archive: zipfile.ZipFile, target: Path, prefix: str = "") -> None:
    """Write the members under ``prefix`` (which is dropped) below ``target``; call ``problems`` first.

    Links (only there when ``problems`` allowed them) are made after every file, so no file is
    written through one; what reads the folder then follows only those resolving inside it.
    """
    links = []
    for member in archive.infolist():
        name = member.filename.replace("\\", "/")
        if member.is_dir() or not name.startswith(prefix):
            continue
        destination = target / PurePosixPath(name[len(prefix):])
        destination.parent.mkdir(parents=True, exist_ok=True)
        if is_link(member):
            links.append((member, destination))
            continue
        with destination.open("wb") as sink:
            _copy(archive, member, sink)
    for member, destination in links:
        destination.symlink_to(archive.read(member).decode("utf-8"))
