"""File access shared by every stage: strict input decoding and atomic output writes."""
from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

from pipeline.errors import InputError

INPUT_SUFFIXES = (".md", ".txt", ".markdown")
_BINARY_MAGIC = (b"\x89PNG", b"GIF8", b"\xff\xd8\xff", b"%PDF", b"PK\x03\x04", b"\x7fELF")


def discover(paths: list[str]) -> tuple[list[Path], list[InputError]]:
    """Input files under ``paths`` (folders are searched recursively, sorted); unusable paths as errors."""
    found: list[Path] = []
    errors: list[InputError] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found += sorted(p for p in path.rglob("*")
                            if p.is_file() and p.suffix.lower() in INPUT_SUFFIXES)
        elif path.is_file():
            found.append(path)
        elif path.is_symlink():
            errors.append(InputError("is a broken symbolic link", path=raw))
        else:
            errors.append(InputError("no such file or folder", path=raw))
    return found, errors


def _line_of(data: bytes, index: int) -> int:
    return data.count(b"\n", 0, index) + 1


def max_input_bytes() -> int:
    return int(float(os.environ.get("ZHEN_MAX_INPUT_MB", "20")) * 1024 * 1024)


def read_article(path: Path) -> str:
    """The file decoded as UTF-8, exactly (BOM and line endings kept), or an InputError."""
    try:
        size = path.stat().st_size
        if size > max_input_bytes() and not path.is_dir():
            raise InputError(f"is {size / 1024 / 1024:.1f} MB, larger than the {max_input_bytes() // 1024 // 1024} MB "
                             "an article is expected to be", path=str(path),
                             hint="split it into articles, or set ZHEN_MAX_INPUT_MB to allow it")
        data = path.read_bytes()
    except IsADirectoryError:
        raise InputError("is a folder, not a file", path=str(path)) from None
    except OSError as exc:
        raise InputError(f"cannot be read: {exc.strerror}", path=str(path)) from None
    if data.startswith(_BINARY_MAGIC):
        raise InputError("is a binary file, not a text article", path=str(path))
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputError("is UTF-16 encoded", path=str(path),
                         hint="save it as UTF-8, e.g. `iconv -f UTF-16 -t UTF-8`")
    if (nul := data.find(b"\x00")) >= 0:
        raise InputError("contains a NUL byte: binary or not UTF-8", path=str(path),
                         line=_line_of(data, nul))
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"is not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start})",
                         path=str(path), line=_line_of(data, exc.start), hint=encoding_hint(data)) from None


# Legacy encodings to suggest, most specific first: (codec, name for iconv, what it is).
_LEGACY = (("gb18030", "GB18030", "simplified Chinese"), ("big5", "BIG5", "traditional Chinese"),
           ("shift_jis", "SHIFT_JIS", "Japanese"), ("cp1252", "CP1252", "Western European"))


def _mostly_encodable(chars: list[str], codec: str) -> bool:
    def ok(c: str) -> bool:
        try:
            c.encode(codec)
        except UnicodeEncodeError:
            return False
        return True
    return bool(chars) and sum(map(ok, chars)) >= 0.9 * len(chars)


def encoding_hint(data: bytes) -> str:
    """What a file that is not UTF-8 probably is: the first legacy encoding that decodes it to mostly
    letters of its script (Chinese for GB18030 and Big5), as an iconv command."""
    from pipeline.chinese import HAN, han_share

    for codec, name, what in _LEGACY:
        try:
            text = data.decode(codec)
        except UnicodeDecodeError:
            continue
        if codec in ("gb18030", "big5") and han_share(text) < 0.6:
            continue
        if codec == "gb18030" and not _mostly_encodable(HAN.findall(text), "gb2312"):
            continue  # Big5 bytes read as GB18030 give rare characters, not the common simplified set
        if codec == "shift_jis" and not any("\u3040" <= c <= "\u30ff" for c in text):
            continue
        return f"it looks {what}: convert it to UTF-8, e.g. `iconv -f {name} -t UTF-8`"
    return "convert it to UTF-8 with iconv, naming the encoding it was saved in"


def umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write(path: Path, data: str | bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename: never a half-written file.

    A symbolic link is written through (its target is replaced, the link stays); a replaced file
    keeps its mode, a new one gets the user's umask.
    """
    if path.is_symlink():
        path = Path(os.path.realpath(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    # A file name that is not UTF-8 reaches text as surrogates (Python's surrogateescape): escaped.
    payload = data.encode("utf-8", errors="backslashreplace") if isinstance(data, str) else data
    mode = stat.S_IMODE(path.stat().st_mode) if path.is_file() else 0o666 & ~umask()
    # The PID in the name lets a later run remove what a killed one left (pipeline.write.recover).
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def printable_name(name: str) -> str:
    """A file name as text: bytes that are not UTF-8 (surrogates in Python's str) as escapes (\\xff)."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _safe_name(name: str) -> str:
    name = printable_name(name)
    cleaned = "".join("_" if c in '/\\:*?"<>|' or ord(c) < 32 else c for c in name).strip(" .")
    return cleaned or "document"


# Names of the run's own files in the output folder: no document folder may take one of them.
RUN_FILES = frozenset({"run.json", "qa-summary.json", "glossary-proposals.csv", "run-terms.csv", "run-terms.xlsx"})


def _doc_name(path: Path) -> str:
    name = _safe_name(path.stem)
    return f"{name}__doc" if name.lower() in RUN_FILES else name


def doc_ids(paths: list[Path]) -> list[str]:
    """A distinct, filesystem-safe output folder name per input (its stem, widened on collision)."""
    stems = [_doc_name(p) for p in paths]
    ids = []
    for path, stem in zip(paths, stems):
        if stems.count(stem) == 1:
            ids.append(stem)
            continue
        parent = _safe_name(path.resolve().parent.name)
        ids.append(f"{stem}__{parent}")
    for i, doc_id in enumerate(ids):  # still equal (same parent name elsewhere): number them
        if ids.count(doc_id) > 1:
            ids[i] = f"{doc_id}__{ids[:i].count(doc_id) + 1}"
    return ids
