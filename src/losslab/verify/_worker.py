"""Subprocess worker of the cross-backend check: ``KERAS_BACKEND`` is fixed per process, so
each other backend computes the loss's values in its own interpreter.

Run as ``python -m losslab.verify._worker JOB.json``; prints one JSON line on stdout:
``{"backend": ..., "values": [[...], ...], "jit": {"ok": bool, "error": str}}`` or
``{"error": "..."}``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["main", "run_job"]


def run_job(job: dict[str, Any]) -> dict[str, Any]:
    """Compute per-sample values (reduction none) of the recipe's loss on each input set."""
    for p in reversed(job.get("sys_path", [])):
        if p not in sys.path:
            sys.path.insert(0, p)
    from losslab.verify._backend import backend_name, jit_values, to_numpy
    from losslab.verify._subject import subject_from_recipe, with_reduction

    obj = with_reduction(subject_from_recipe(job["recipe"]), "none")
    data = np.load(job["data"])
    out: dict[str, Any] = {"backend": backend_name(), "values": [], "jit": None}
    n_sets = int(data["n_sets"])
    for i in range(n_sets):
        yt, yp = data[f"yt_{i}"], data[f"yp_{i}"]
        out["values"].append(np.asarray(to_numpy(obj(yt, yp)), dtype=np.float64).tolist())
    if job.get("jit") and out["backend"] == "jax":
        try:
            v = jit_values(obj, data["yt_0"], data["yp_0"])
            out["jit"] = {"ok": True, "error": "", "values": np.asarray(v, np.float64).tolist()}
        except Exception as e:
            out["jit"] = {"ok": False, "error": f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"}
    return out


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    job = json.loads(Path(args[0]).read_text())
    try:
        result = run_job(job)
    except Exception as e:
        first = str(e).splitlines()[0] if str(e) else ""
        result = {"error": f"{type(e).__name__}: {first}"}
    sys.stdout.write("\n" + json.dumps(result) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
