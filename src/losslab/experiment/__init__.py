"""Fair loss experiments: ``compare``, ``run`` and ``tune``.

Public API::

    losslab.compare(build_model_or_None, x, y, losses=["mse", "huber:delta=2"], seeds=3)
    losslab.run("data.csv", target="y")
    losslab.tune(None, x, y, losses=["huber"], n_trials=20)

The protocol, the run-directory format and the statistics are described in
docs/experiments.md and docs/run-directory.md.
"""

from __future__ import annotations

from losslab import _lazy

__all__ = ["Candidate", "Engine", "LocalEngine", "Results", "TuneResult", "compare", "run", "tune"]

_LAZY = {
    "Candidate": "losslab.experiment.api:Candidate",
    "Results": "losslab.experiment.api:Results",
    "compare": "losslab.experiment.api:compare",
    "run": "losslab.experiment.api:run",
    "tune": "losslab.experiment.tuner:tune",
    "TuneResult": "losslab.experiment.tuner:TuneResult",
    "Engine": "losslab.experiment.engine:Engine",
    "LocalEngine": "losslab.experiment.engine:LocalEngine",
}


__getattr__, __dir__ = _lazy.lazy_attributes(__name__, globals(), _LAZY)
