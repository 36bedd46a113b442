"""A ported test case: inputs, the source's expected value and its tolerance."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tests.ported._helpers import loss_value


@dataclass(frozen=True)
class Case:
    """One assertion of a source test.

    ``src`` is ``file#Lline Class.test_method``; ``decimal`` (assertAlmostEqual) or
    ``atol``/``rtol`` (assertAllClose) is the source's tolerance.
    """

    src: str
    loss: str
    y_true: Any
    y_pred: Any
    expected: Any
    params: dict[str, Any] = field(default_factory=dict)
    sample_weight: Any = None
    reduction: str | None = "sum_over_batch_size"
    decimal: int | None = None
    atol: float = 1e-6
    rtol: float = 1e-6

    @property
    def id(self) -> str:
        return self.src.split(" ")[-1] + f"-{self.loss}"

    def run(self) -> None:
        got = loss_value(
            self.loss,
            self.y_true,
            self.y_pred,
            sample_weight=self.sample_weight,
            reduction=self.reduction,
            **self.params,
        )
        if self.decimal is not None:
            np.testing.assert_almost_equal(
                got, np.asarray(self.expected), decimal=self.decimal, err_msg=self.src
            )
        else:
            np.testing.assert_allclose(
                got,
                np.asarray(self.expected, np.float64),
                atol=self.atol,
                rtol=self.rtol,
                err_msg=self.src,
            )
