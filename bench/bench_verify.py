"""Benchmark: the cost of `losslab.check` and `losslab.doctor` against baselines measured in
the same run.

- check: the battery (every check except the cross-backend subprocesses and the .keras
  round trip) on a batch of 8, warm (a first run compiles), against one warm call of the same
  loss on the same batch (`reduction="none"`) and against one warm gradient of it.
- doctor: `losslab.doctor` on a 4096-row binary task against `model.predict` on the same rows
  (the forward pass doctor cannot avoid).

Prints the ratios and writes bench/results/verify.json.
Run: ``KERAS_BACKEND=jax .venv/bin/python bench/bench_verify.py``.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import time
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "jax")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

RESULTS = Path(__file__).resolve().parent / "results"
LOSSES = ["mean_squared_error", "huber", "binary_crossentropy", "categorical_crossentropy", "sparse_categorical_crossentropy", "triplet_semihard"]


def _median_time(fn, repeats: int) -> float:
    fn()  # warm-up (compilation)
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    import keras
    import numpy as np

    import losslab
    from losslab.catalog import inputs
    from losslab.verify._backend import tensor, value_and_grad

    rows = []
    for name in LOSSES:
        spec = losslab.get_spec(name)
        yt, yp = inputs.generate(spec.inputs, 8, spec.defaults, 0)
        loss = spec.build(reduction="none")
        summed = spec.build(reduction="sum")
        t_call = _median_time(lambda loss=loss, yt=yt, yp=yp: keras.ops.convert_to_numpy(loss(yt, yp)), 20)
        yt_t = tensor(yt)
        t_grad = _median_time(lambda summed=summed, yt_t=yt_t, yp=yp: value_and_grad(lambda p: summed(yt_t, p), yp), 20)
        t_check = _median_time(lambda name=name: losslab.check(name, backends=None, skip=("backends", "save_load")), 3)
        rows.append({"loss": name, "check_s": t_check, "call_s": t_call, "grad_s": t_grad,
                     "check_over_call": t_check / t_call, "check_over_grad": t_check / t_grad})
        print(f"{name:34s} check {t_check * 1e3:8.1f} ms = {t_check / t_call:7.1f} x one call, {t_check / t_grad:6.1f} x one gradient")

    rng = np.random.default_rng(0)
    x = rng.normal(size=(4096, 5)).astype("float32")
    y = (rng.uniform(size=4096) < 0.4).astype("float32")
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(8, activation="relu"), keras.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss=keras.losses.BinaryCrossentropy())
    t_predict = _median_time(lambda: model.predict(x, verbose=0, batch_size=256), 5)
    t_doctor = _median_time(lambda: losslab.doctor(model, x, y), 5)
    print(f"doctor on 4096 rows {t_doctor * 1e3:.1f} ms = {t_doctor / t_predict:.2f} x model.predict ({t_predict * 1e3:.1f} ms)")

    RESULTS.mkdir(exist_ok=True)
    out = {"backend": keras.backend.backend(), "machine": platform.machine(), "python": platform.python_version(),
           "load_average": os.getloadavg(), "check": rows,
           "doctor": {"rows": 4096, "doctor_s": t_doctor, "predict_s": t_predict, "doctor_over_predict": t_doctor / t_predict}}
    (RESULTS / "verify.json").write_text(json.dumps(out, indent=2))
    print(f"wrote {RESULTS / 'verify.json'}")


if __name__ == "__main__":
    main()
