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
    _next_steps(report)
    for failure in report.failures:
        console.error(failure)
    if report.failures:
        console.error(f"{len(report.failures)} input(s) failed; the others were written")
    return 1 if report.failures or (strict and report.total("errors")) else 0


def _next_steps(report) -> None:
    """Where to look now, one short line each (fits an 80-column terminal)."""
    need = [(d.errors, d) for d in report.documents if d.errors and d.folder]
    if not need:
        if report.documents:
            console.out.print(f"next: read {report.documents[0].folder}/review.html (no QA errors)", markup=False)
        return
    need.sort(key=lambda item: -item[0])
    console.out.print(f"next: {sum(n for n, _d in need)} QA error(s) to review in {len(need)} document(s):",
                      markup=False)
    for n, doc in need[:5]:
        console.out.print(f"  open {doc.folder}/review.html#findings ({n})", markup=False)
    if len(need) > 5:
        console.out.print(f"  … and {len(need) - 5} more (qa-summary.json)", markup=False)
