"""`zhen inspect` end to end, through the console script's entry point."""
from __future__ import annotations

import json
import subprocess
import sys

from pipeline.cli import main
from tests.conftest import SEED_FILES

REQUIRED = {"doc", "seg", "block", "kind", "src", "src_start", "src_end", "script", "norm", "spans"}


def test_inspect_writes_segments_jsonl(tmp_path, capsys):
    assert main(["inspect", str(SEED_FILES[0].parent), "--out", str(tmp_path)]) == 0
    for seed in SEED_FILES:
        text = seed.read_text(encoding="utf-8")
        records = [json.loads(line) for line in
                   (tmp_path / seed.stem / "segments.jsonl").read_text(encoding="utf-8").splitlines()]
        assert records and [r["seg"] for r in records] == list(range(len(records)))
        for record in records:
            assert REQUIRED <= record.keys()
            assert text[record["src_start"]:record["src_end"]] == record["src"]
    assert "segments" in capsys.readouterr().out


def test_unreadable_inputs_are_named_and_the_rest_processed(tmp_path, capsys):
    gbk = tmp_path / "gbk.md"
    gbk.write_bytes("中国共产党".encode("gbk"))
    png = tmp_path / "picture.md"
    png.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    good = tmp_path / "good.md"
    good.write_text("共产国际。\n", encoding="utf-8")
    out = tmp_path / "out"
    code = main(["inspect", str(gbk), str(png), str(tmp_path / "missing.md"), str(good), "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 1
    assert "gbk.md:1: is not valid UTF-8" in err and "iconv -f GB18030" in err
    assert "picture.md: is a binary file" in err
    assert "missing.md: no such file or folder" in err
    assert (out / "good" / "segments.jsonl").exists()
    assert not (out / "gbk").exists()


def test_python_dash_m_and_console_script_agree(tmp_path):
    result = subprocess.run([sys.executable, "-m", "pipeline", "inspect", str(SEED_FILES[1]),
                             "--out", str(tmp_path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / SEED_FILES[1].stem / "segments.jsonl").exists()
