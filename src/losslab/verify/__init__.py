"""Custom losses you can trust: authoring (:func:`loss`), the check battery
(:func:`check`) and the model/data/loss misuse finder (:func:`doctor`).

Public API (lazy, so importing this package does not import Keras)::

    @losslab.loss(name="my_loss", family="regression")
    def my_loss(y_true, y_pred, *, p=1.0): ...

    report = losslab.check(my_loss)        # CheckReport: rows pass / warn / fail / n/a
    findings = losslab.doctor(model, x, y)  # DoctorReport: findings with fixes
"""

from __future__ import annotations

from losslab import _lazy

_LAZY: dict[str, str] = {
    "loss": "losslab.verify.authoring:loss",
    "check": "losslab.verify.check:check",
    "CheckReport": "losslab.verify._report:CheckReport",
    "CheckResult": "losslab.verify._report:CheckResult",
    "CHECK_NAMES": "losslab.verify._battery:CHECK_NAMES",
    "load_sample_data": "losslab.verify._inputs:load_sample_data",
    "doctor": "losslab.verify.doctor:doctor",
    "DoctorReport": "losslab.verify._doctor_report:DoctorReport",
    "Finding": "losslab.verify._doctor_report:Finding",
}

__all__ = sorted(_LAZY)


__getattr__, __dir__ = _lazy.lazy_attributes(__name__, globals(), _LAZY)
