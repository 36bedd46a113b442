"""Optuna's own plots of the studies of a tuning run."""

from __future__ import annotations

from typing import Any

from losslab.report._figures.common import layout, t
from losslab.report._run import RunData

__all__ = ["figs_tune"]


def figs_tune(run: RunData) -> tuple[list[tuple[str, Any]], list[str]]:
    """Optuna's own plots of every study in ``tune/journal.log``.

    Returns:
        ((title, figure) pairs, notes about studies that could not be plotted).
    """
    path = run.journal_path
    if not path.exists():
        return [], []
    import optuna
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    storage = JournalStorage(JournalFileBackend(str(path)))
    figs: list[tuple[str, Any]] = []
    notes: list[str] = []
    for summary in optuna.get_all_study_summaries(storage, include_best_trial=False):
        name = summary.study_name
        study = optuna.load_study(study_name=name, storage=storage)
        done = [tr for tr in study.trials if tr.state == optuna.trial.TrialState.COMPLETE]
        if not done:
            notes.append(f"Study {name!r}: no completed trial to plot.")
            continue
        title = f"Optimisation history: {t(name)}"
        figs.append((title, layout(optuna.visualization.plot_optimization_history(study), title)))
        if len(done) >= 2 and any(tr.params for tr in done):
            try:
                imp = optuna.visualization.plot_param_importances(study)
            except (ValueError, RuntimeError) as e:
                notes.append(f"Study {name!r}: parameter importances not available ({e}).")
            else:
                title = f"Parameter importances: {t(name)}"
                figs.append((title, layout(imp, title)))
        else:
            notes.append(
                f"Study {name!r}: parameter importances need 2+ completed trials with parameters."
            )
    return figs, notes
