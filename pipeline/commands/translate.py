"""`zhen translate`: glossary-locked translation of articles into outputs/<doc>/."""
from __future__ import annotations

from pipeline import console
from pipeline.runner import RunOptions, Runner


def run(options: RunOptions, strict: bool = False, backend: str = "local", ray_address: str | None = None,
        workers: int = 1) -> int:
    if backend == "ray":
        from pipeline.ray_backend import RayRunner  # the local backend never imports Ray
        runner = RayRunner(options, ray_address, workers)
    else:
        runner = Runner(options)
    report = runner.run()
    rows = [[d.doc, d.segments, d.reused, d.translated, d.locked, d.missing, d.errors, d.warnings,
             f"{d.seconds:.1f}", d.folder] for d in report.documents]
    console.table("translate", ["document", "segments", "reused", "translated", "locked", "missing",
                                "QA errors", "warnings", "seconds", "output"], rows)
    console.out.print(f"{report.total('reused')} segment(s) reused (cache or memory), "
                      f"{report.total('translated')} translated, in {report.seconds:.1f} s; "
                      f"run record: {options.out_dir / 'run.json'}", markup=False)
    if report.qa.get("by_check"):
        checks = sorted(report.qa["by_check"])
        console.table(f"QA findings per check ({options.out_dir / 'qa-summary.json'})", ["document", *checks],
                      [[doc, *(counts.get(c, 0) for c in checks)] for doc, counts in report.qa["by_document"].items()])
    for failure in report.failures:
        console.error(failure)
    if report.failures:
        console.error(f"{len(report.failures)} input(s) failed; the others were written")
    return 1 if report.failures or (strict and report.total("errors")) else 0
