"""Run the benchmarks and write their figures to docs/benchmarks.md, with machine and date.

    ./dev bench                 every benchmark
    ./dev bench plan ics        only these

Each module bench/NAME.py has main(argv) -> a markdown section. Figures are written, never
asserted: a slow machine is not a failed build.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import importlib
import re
import sys
from pathlib import Path
from bench.machine import describe

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "benchmarks.md"
ORDER = ["plan", "ics", "send", "cli", "national", "flows", "portal", "admin"]


class _Tee(io.TextIOBase):
    def __init__(self, *streams):
        self.streams = streams

    def write(self, text: str) -> int:
        for s in self.streams:
            s.write(text)
        return len(text)




def _sections(text: str) -> dict[str, str]:
    """Existing sections of the doc by module name, so running one benchmark keeps the others."""
    out: dict[str, str] = {}
    for block in re.split(r"(?m)^(?=## )", text):
        m = re.search(r"`bench/(\w+)\.py`", block.splitlines()[0] if block.strip() else "")
        if m:
            out[m.group(1)] = block.rstrip() + "\n"
    return out


def main(argv: list[str]) -> None:
    wanted = argv or [n for n in ORDER if (ROOT / "bench" / f"{n}.py").exists()]
    sections = _sections(DOC.read_text(encoding="utf-8")) if DOC.exists() else {}
    stamp = f"_{dt.date.today().isoformat()}, {describe()}._"
    for name in wanted:
        module = importlib.import_module(f"bench.{name}")
        print(f"== bench/{name}.py", flush=True)
        buf = io.StringIO()
        with contextlib.redirect_stdout(_Tee(buf, sys.stdout)):
            result = module.main([])
        if not isinstance(result, str):
            # A benchmark that prints lines rather than returning markdown: keep its lines as they are.
            title = (module.__doc__ or name).strip().splitlines()[0].rstrip(".")
            result = f"## {title} (`bench/{name}.py`)\n\n```\n{buf.getvalue().rstrip()}\n```\n"
        sections[name] = result.rstrip() + f"\n\n{stamp}\n"
    names = [n for n in ORDER if n in sections] + sorted(set(sections) - set(ORDER))
    DOC.parent.mkdir(parents=True, exist_ok=True)
    DOC.write_text("# Benchmarks\n\nWritten by `./dev bench` (each section says when and on what machine it was "
                   "measured). Figures are measurements, not test assertions.\n\n"
                   + "\n".join(sections[n] for n in names), encoding="utf-8")
    print(f"wrote {DOC}")


if __name__ == "__main__":
    main(sys.argv[1:])
