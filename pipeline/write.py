"""Write: every per-document output, each from the same aligned records, swapped in whole."""
from __future__ import annotations

import errno
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path

from pipeline.components import Context, component
from pipeline.document import Document
from pipeline.formats import Output, writers
from pipeline.formats.jsonl import dumps
from pipeline.io import atomic_write, umask
from pipeline.provenance import Provenance, stable_engine, text_sha256, versions

SCRATCH_SUFFIX = ".partial"


def manifest(doc: Document, provenance: Provenance, run_id: str) -> dict:
    """Per-document provenance. No timings: an unchanged rerun must write identical files."""
    return {"doc": doc.doc_id, "run_id": run_id, "signature": provenance.signature,
            "input": {"path": doc.path, "sha256": text_sha256(doc.text), "characters": len(doc.text)},
            "engine": stable_engine(provenance.engine), "glossary": provenance.glossary(),
            "opencc": provenance.opencc, "versions": versions(), "segments": sum(1 for _ in doc.segments)}


def output_for(doc: Document, provenance: Provenance) -> Output:
    records = doc.records()
    aligned = dumps(records)
    run_id = text_sha256(aligned)[:16]
    return Output(doc, records, aligned, run_id, manifest(doc, provenance, run_id))


def write_document(out_dir: Path, doc: Document, provenance: Provenance) -> Path:
    """All of a document's files, or none: they are written to a scratch folder, then swapped in.

    An older run's folder is replaced whole, so old and new files are never mixed, and a failure
    (a full disk, a read-only folder) leaves the previous folder as it was.
    """
    return write_output(out_dir, output_for(doc, provenance))


def write_output(out_dir: Path, output: Output) -> Path:
    """Every format of ``output`` into a scratch folder, swapped in whole (see ``write_document``)."""
    doc_id = output.doc.doc_id
    folder = out_dir / doc_id
    out_dir.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f".{doc_id}.", suffix=f".{os.getpid()}{SCRATCH_SUFFIX}", dir=out_dir))
    try:
        os.chmod(scratch, 0o777 & ~umask())
        for item in writers().values():
            atomic_write(scratch / item.path_for(doc_id), item.render(output))
        _swap_in(scratch, folder)
    except BaseException:
        shutil.rmtree(scratch, ignore_errors=True)
        raise
    return folder


_SCRATCH = re.compile(rf"^\..+\.(\d+)(?:{re.escape(SCRATCH_SUFFIX)}|\.\w+\.tmp)$")  # folders and atomic_write's files
_OLD = re.compile(r"^\.(?P<name>.+)\.old-(?P<pid>\d+)$")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def recover(out_dir: Path) -> None:
    """Finish what a killed run left half done: its scratch folders and temporary files go, and a
    document folder it had moved aside to swap in a new one comes back if the new one never arrived
    (else the old copy goes). What a run still alive (two runs on one output folder) has is left to it."""
    if not out_dir.is_dir():
        return
    for entry in out_dir.iterdir():
        if (m := _SCRATCH.match(entry.name)) and not _alive(int(m.group(1))):
            if entry.is_dir():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)
        elif (m := _OLD.match(entry.name)) and not _alive(int(m.group("pid"))):
            target = out_dir / m.group("name")
            if target.exists():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                os.replace(entry, target)


RENAME_EXCHANGE = 2  # linux/fs.h


def _libc_renameat2():
    try:
        import ctypes
        import ctypes.util

        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        function = libc.renameat2
    except (OSError, AttributeError):  # not Linux, or a C library without it (glibc < 2.28, musl)
        return None
    function.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    return function


_RENAMEAT2 = _libc_renameat2() if sys.platform.startswith("linux") else None
AT_FDCWD = -100


def exchange(a: Path, b: Path) -> bool:
    """Swap two existing paths in one atomic step (Linux ``renameat2(RENAME_EXCHANGE)``): a reader
    finds one or the other under each name, never neither. False where the system cannot."""
    if _RENAMEAT2 is None:
        return False
    import ctypes

    if _RENAMEAT2(AT_FDCWD, os.fsencode(a), AT_FDCWD, os.fsencode(b), RENAME_EXCHANGE) == 0:
        return True
    error = ctypes.get_errno()
    if error in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):  # a file system without it
        return False
    raise OSError(error, os.strerror(error), str(b))


def _swap_in(scratch: Path, folder: Path, tries: int = 3) -> None:
    """The new folder in place of the old: atomically where the system can, else in two renames that
    ``recover`` completes if a kill falls between them. Where another run put the folder in place
    between the look and the rename, it is swapped again (the later run's files win, whole)."""
    for attempt in range(tries):
        try:
            return _swap_once(scratch, folder)
        except OSError as exc:
            if exc.errno not in (errno.ENOTEMPTY, errno.EEXIST) or attempt == tries - 1:
                raise


def _swap_once(scratch: Path, folder: Path) -> None:
    if folder.is_dir() and exchange(scratch, folder):
        shutil.rmtree(scratch, ignore_errors=True)  # now the old folder
        return
    old = None
    if folder.exists():
        old = folder.with_name(f".{folder.name}.old-{os.getpid()}")
        os.replace(folder, old)
    try:
        os.replace(scratch, folder)
    except BaseException:
        if old is not None:
            os.replace(old, folder)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


@component("write", requires=("segment.findings", "doc.markdown"))
def make_writer(context: Context):
    """Every registered output format of the document into ``context.out_dir/<doc>/``, swapped in whole."""
    def write(doc: Document) -> Document:
        write_document(context.out_dir, doc, context.provenance)
        return doc
    return write
