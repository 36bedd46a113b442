"""Overhead of ``losslab.compare`` against a plain hand-written Keras loop.

Both train the same K candidates x R seeds on the same data (the same train/validation/test
rows, standardised on the training rows), the same MLP, optimizer, batch size, epoch cap and
callbacks (EarlyStopping(val_loss, patience=3, restore_best_weights=True) + TerminateOnNaN),
and both score the test split with scikit-learn. losslab additionally stores every trial
atomically, saves/loads the initial weights, computes every judge metric and the statistics.

Goal: losslab wall time <= 1.10 x the hand-written loop. Also reports what EarlyStopping
saved (epochs run vs the cap). Prints ratios and writes bench/results/bench_compare.json.

Run: KERAS_BACKEND=jax .venv/bin/python bench/bench_compare.py [--rows 1000] [--seeds 3]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import time
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "jax")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

LOSSES = {"mse": "mean_squared_error", "mae": "mean_absolute_error", "huber": "huber"}


def make_data(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 8))
    y = x @ rng.normal(size=8) + np.sin(2 * x[:, 0]) + rng.normal(size=n) * 0.5
    y[rng.random(n) < 0.05] += 15.0
    return x, y


def hand_loop(x: np.ndarray, y: np.ndarray, split: dict[str, np.ndarray], seeds: list[int], args: argparse.Namespace) -> dict:
    """What a careful user writes by hand with Keras and scikit-learn."""
    import keras
    from sklearn.metrics import mean_absolute_error, mean_squared_error
    from sklearn.preprocessing import StandardScaler

    tr, va, te = split["idx_train"], split["idx_val"], split["idx_test"]
    scaler = StandardScaler().fit(x[tr])
    xt, xv, xs = (scaler.transform(x[i]).astype("float32") for i in (tr, va, te))
    yt, yv, ys = (y[i].astype("float32")[:, None] for i in (tr, va, te))
    losses = {"mse": keras.losses.MeanSquaredError(), "mae": keras.losses.MeanAbsoluteError(), "huber": keras.losses.Huber()}
    epochs, scores = [], {}
    for seed in seeds:
        for name, loss in losses.items():
            keras.utils.set_random_seed(seed)
            model = keras.Sequential(
                [keras.Input((x.shape[1],)), *[keras.layers.Dense(h, activation="relu") for h in args.hidden], keras.layers.Dense(1)]
            )
            model.compile(optimizer=keras.optimizers.Adam(args.lr), loss=loss)
            hist = model.fit(
                xt, yt, validation_data=(xv, yv), epochs=args.max_epochs, batch_size=args.batch_size, verbose=0,
                callbacks=[keras.callbacks.EarlyStopping(monitor="val_loss", patience=3, restore_best_weights=True),
                           keras.callbacks.TerminateOnNaN()],
            )
            pred = model.predict(xs, verbose=0)
            scores[(name, seed)] = (mean_absolute_error(ys, pred), mean_squared_error(ys, pred) ** 0.5)
            epochs.append(len(hist.history["loss"]))
    return {"epochs": epochs, "scores": {f"{k[0]}/{k[1]}": v for k, v in scores.items()}}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=1000)
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--max-epochs", type=int, default=60)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--hidden", type=int, nargs="+", default=[32, 32])
    args = ap.parse_args()

    import keras

    import losslab
    from losslab.experiment.protocol import SplitConfig, prepare

    x, y = make_data(args.rows)
    seeds = list(range(args.seeds))
    split = prepare(x, y, task="regression", split=SplitConfig(seed=0))
    split_idx = {k: getattr(split, k) for k in ("idx_train", "idx_val", "idx_test")}

    # warm-up outside the timings: backend start-up, the TensorFlow import done by
    # keras.utils.set_random_seed, scikit-learn imports
    keras.utils.set_random_seed(0)
    warm = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    warm.compile(optimizer="adam", loss="mse")
    warm.fit(np.zeros((4, 2)), np.zeros((4, 1)), epochs=1, verbose=0)
    losslab.get_spec("huber")

    tmp = Path(tempfile.mkdtemp(prefix="losslab-bench-"))
    timings: dict[str, list[float]] = {"hand": [], "losslab": []}
    hand_res = None
    res = None
    try:
        for rep in range(2):  # alternate the order to share the machine's noise
            order = ("hand", "losslab") if rep == 0 else ("losslab", "hand")
            for who in order:
                t0 = time.perf_counter()
                if who == "hand":
                    hand_res = hand_loop(x, y, split_idx, seeds, args)
                else:
                    res = losslab.compare(
                        None, x, y, losses=list(LOSSES), seeds=seeds, max_epochs=args.max_epochs,
                        batch_size=args.batch_size, learning_rate=args.lr, hidden=tuple(args.hidden),
                        scale_target=False,  # the hand loop trains on the raw target too
                        quiet=True, report=False, out=tmp / f"run{rep}",
                    )
                timings[who].append(time.perf_counter() - t0)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    assert res is not None and hand_res is not None
    k, r = len(LOSSES), len(seeds)
    hand_t, ll_t = min(timings["hand"]), min(timings["losslab"])
    ratio = ll_t / hand_t
    ll_epochs = [rec["epochs_run"] for rec in res.records]
    cap = k * r * args.max_epochs
    out = {
        "backend": keras.backend.backend(),
        "candidates": k,
        "seeds": r,
        "rows": args.rows,
        "max_epochs": args.max_epochs,
        "hand_seconds": timings["hand"],
        "losslab_seconds": timings["losslab"],
        "ratio_losslab_over_hand": ratio,
        "goal_ratio": 1.10,
        "ratio_per_epoch": (ll_t / sum(ll_epochs)) / (hand_t / sum(hand_res["epochs"])),
        "losslab_epochs_run": int(sum(ll_epochs)),
        "hand_epochs_run": int(sum(hand_res["epochs"])),
        "epochs_cap": cap,
        "early_stopping_saved_share": 1 - sum(ll_epochs) / cap,
        "leaderboard": res.leaderboard[["candidate", "rmse", "ci_low", "ci_high", "mae"]].to_dict("records"),
    }
    print(f"backend {out['backend']}: {k} losses x {r} seeds, {args.rows} rows, cap {args.max_epochs} epochs")
    print(f"hand-written Keras loop : {hand_t:7.2f} s (best of {len(timings['hand'])}: {', '.join(f'{t:.2f}' for t in timings['hand'])})")
    print(f"losslab.compare         : {ll_t:7.2f} s (best of {len(timings['losslab'])}: {', '.join(f'{t:.2f}' for t in timings['losslab'])})")
    print(f"ratio losslab / hand    : {ratio:.3f}  (goal <= 1.10: {'met' if ratio <= 1.10 else 'NOT met'})")
    print(
        f"per epoch (early stopping may stop the two at different epochs: different seeded "
        f"initialisers): {out['ratio_per_epoch']:.3f}"
    )
    print(
        f"EarlyStopping: losslab ran {sum(ll_epochs)} of {cap} capped epochs "
        f"({out['early_stopping_saved_share']:.0%} saved); hand loop ran {sum(hand_res['epochs'])}"
    )
    results_dir = Path(__file__).resolve().parent / "results"
    results_dir.mkdir(exist_ok=True)
    (results_dir / "bench_compare.json").write_text(json.dumps(out, indent=2, default=float) + "\n")
    print(f"written: {results_dir / 'bench_compare.json'}")


if __name__ == "__main__":
    main()
