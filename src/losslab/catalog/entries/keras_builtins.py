"""Catalog entries for every loss in ``keras.losses`` (Keras 3.15).

Keras's own classes are used where they behave; the nine with a defect in 3.15.1 (Huber,
CosineSimilarity, SparseCategoricalCrossentropy, Tversky, CategoricalGeneralizedCrossEntropy,
CategoricalCrossentropy, CategoricalFocalCrossentropy, BinaryFocalCrossentropy, Circle)
point to the repaired subclasses in :mod:`losslab.losses.keras_builtins`. Parameter names
are exactly the Keras constructor's (Circle adds its function's ``ref_labels`` and
``ref_embeddings``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from losslab._params import BOOL, Anything, Interval, Param
from losslab.catalog._registry import register
from losslab.catalog._spec import Family, Head, LossSpec, Robustness
from losslab.catalog.inputs import register_inputs

_REF = "losslab.reference.keras_builtins"
_FIX = "losslab.losses.keras_builtins"
_KERAS = "keras.losses"

_CHOLLET = "Chollet, F. et al. (2015). Keras. https://keras.io/api/losses/"


# ----------------------------------------------------------------------------- shared params
def _from_logits(doc_prob: str = "probabilities") -> Param:
    return Param(
        "from_logits",
        False,
        BOOL,
        f"True when y_pred holds logits (linear output); False when it holds {doc_prob}",
    )


_LABEL_SMOOTHING = Param(
    "label_smoothing",
    0.0,
    Interval(0, 1),
    "squeeze hard labels towards uniform by this amount (0 = none)",
    search=("float", 0.0, 0.3, False),
)
_AXIS = Param("axis", -1, Interval(None, None, integer=True), "the class / feature axis")
_GAMMA_FOCAL = Param(
    "gamma",
    2.0,
    Interval(0, None, closed="left"),
    "focusing parameter: down-weights easy examples (0 = plain cross-entropy)",
    search=("float", 0.0, 5.0, False),
)
_SEG_AXIS = Param(
    "axis",
    None,
    Anything("None (one value for the whole batch) or a list of axes, e.g. [1, 2, 3]"),
    "axes summed over; None sums over every element of the batch (one scalar)",
)


# ----------------------------------------------------------------------------- new input kinds
CTC_CLASSES = 5  # including the blank, index 0
CTC_STEPS = 10
CTC_MAX_LABEL = 4


@register_inputs("ctc")
def _ctc_inputs(
    rng: np.random.Generator, n: int, params: Mapping[str, Any]
) -> tuple[np.ndarray, np.ndarray]:
    """Labels (N, 4) in 1..4 padded at the end with the blank 0 (each label at least one
    long and feasible within 10 steps), and logits (N, 10, 5)."""
    labels = np.zeros((n, CTC_MAX_LABEL), dtype=np.int32)
    for i in range(n):
        length = int(rng.integers(1, CTC_MAX_LABEL + 1))
        labels[i, :length] = rng.integers(1, CTC_CLASSES, size=length)
    logits = rng.normal(size=(n, CTC_STEPS, CTC_CLASSES)).astype(np.float32)
    return labels, logits


@register_inputs("unit_embedding_labels")
def _unit_embeddings(
    rng: np.random.Generator, n: int, params: Mapping[str, Any]
) -> tuple[np.ndarray, np.ndarray]:
    """Integer labels (every class seen at least twice, at least two classes) and
    L2-normalised embeddings (N, 8)."""
    n_classes = max(2, n // 3)
    labels = np.concatenate(
        [np.arange(n_classes), np.arange(n_classes), rng.integers(0, n_classes, size=n)]
    )[:n]
    rng.shuffle(labels)
    e = rng.normal(size=(n, 8))
    e /= np.linalg.norm(e, axis=1, keepdims=True)
    return labels.astype(np.int32), e.astype(np.float32)


# ----------------------------------------------------------------------------- regression
register(
    LossSpec(
        name="mean_squared_error",
        title="Mean squared error",
        aliases=("mse", "MeanSquaredError"),
        family=Family.REGRESSION,
        statistic="mean",
        y_true="real values, shape (N,) or (N, D)",
        y_pred="real values, same shape as y_true (linear output)",
        head=Head.IDENTITY,
        keras=f"{_KERAS}:MeanSquaredError",
        reference=f"{_REF}:mean_squared_error",
        robustness=Robustness.NONE,
        formula="mean_d (y_true - y_pred)^2",
        when_to_use="The default for regression when you want the conditional mean and errors "
        "are roughly Gaussian. Judge with RMSE.",
        pitfalls="Squares errors, so a few gross outliers dominate the fit; sensitive to the "
        "target's scale (standardise large targets). 'l2' is not a name of this loss: Optax's "
        "l2_loss is 0.5 * squared error (twice smaller, gradient e instead of 2e), so losslab "
        "leaves that name out rather than give it a different meaning.",
        references=("Gauss, C. F. (1809). Theoria motus corporum coelestium.", _CHOLLET),
        inputs="regression",
        minimum_at_truth=True,
        keras_builtin="MeanSquaredError",
        tags=("keras",),
    )
)

register(
    LossSpec(
        name="mean_absolute_error",
        title="Mean absolute error",
        aliases=("mae", "MeanAbsoluteError", "l1"),
        family=Family.REGRESSION,
        statistic="median",
        y_true="real values, shape (N,) or (N, D)",
        y_pred="real values, same shape as y_true (linear output)",
        head=Head.IDENTITY,
        keras=f"{_KERAS}:MeanAbsoluteError",
        reference=f"{_REF}:mean_absolute_error",
        robustness=Robustness.HIGH,
        formula="mean_d |y_true - y_pred|",
        when_to_use="Regression when you want the conditional median, or errors have heavy "
        "tails / gross outliers. Judge with MAE.",
        pitfalls="Constant gradient magnitude: training can oscillate near the optimum (lower "
        "the learning rate late, or use Huber); not differentiable at zero error.",
        references=(
            "Laplace, P.-S. (1774). Mémoire sur la probabilité des causes par les événements.",
            _CHOLLET,
        ),
        inputs="regression",
        minimum_at_truth=True,
        keras_builtin="MeanAbsoluteError",
        tags=("keras", "robust"),
    )
)

register(
    LossSpec(
        name="mean_absolute_percentage_error",
        title="Mean absolute percentage error",
        aliases=("mape", "MeanAbsolutePercentageError"),
        family=Family.REGRESSION,
        statistic="median",
        y_true="non-zero real values (usually positive), shape (N,) or (N, D)",
        y_pred="real values, same shape as y_true (linear output)",
        head=Head.IDENTITY,
        keras=f"{_KERAS}:MeanAbsolutePercentageError",
        reference=f"{_REF}:mean_absolute_percentage_error",
        robustness=Robustness.HIGH,
        formula="100 * mean_d |y_true - y_pred| / max(|y_true|, eps),  eps = 1e-7",
        when_to_use="Targets on very different scales where relative error is what matters "
        "(sales, demand). The minimiser is a weighted median (weights 1/|y|).",
        pitfalls="Explodes for targets near zero; biased towards under-prediction (an "
        "under-forecast costs at most 100%, an over-forecast is unbounded).",
        references=(
            "Armstrong, J. S. and Collopy, F. (1992). Error measures for generalizing about forecasting methods. International Journal of Forecasting.",
            _CHOLLET,
        ),
        inputs="positive",
        requires=("y!=0",),
        minimum_at_truth=True,
        keras_builtin="MeanAbsolutePercentageError",
        tags=("keras",),
    )
)

register(
    LossSpec(
        name="mean_squared_logarithmic_error",
        title="Mean squared logarithmic error",
        aliases=("msle", "MeanSquaredLogarithmicError"),
        family=Family.REGRESSION,
        statistic="mean",
        y_true="non-negative real values, shape (N,) or (N, D)",
        y_pred="non-negative real values, same shape (values below eps are clamped to eps)",
        head=Head.IDENTITY,
        keras=f"{_KERAS}:MeanSquaredLogarithmicError",
        reference=f"{_REF}:mean_squared_logarithmic_error",
        robustness=Robustness.MODERATE,
        formula="mean_d (log(max(y_pred, eps) + 1) - log(max(y_true, eps) + 1))^2",
        when_to_use="Positive targets spanning orders of magnitude where relative error "
        "matters; estimates the geometric-type mean of (1 + y).",
        pitfalls="Negative predictions are clamped, so their gradient is zero: use a positive "
        "output (softplus) or a target transform.",
        references=(_CHOLLET,),
        inputs="positive",
        requires=("y>=0",),
        minimum_at_truth=True,
        keras_builtin="MeanSquaredLogarithmicError",
        tags=("keras",),
    )
)

register(
    LossSpec(
        name="cosine_similarity",
        title="Cosine similarity",
        aliases=("CosineSimilarity", "cosine"),
        family=Family.REGRESSION,
        statistic="direction",
        y_true="real vectors, shape (N, D)",
        y_pred="real vectors, shape (N, D) (only the direction matters)",
        head=Head.IDENTITY,
        keras=f"{_FIX}:CosineSimilarity",
        reference=f"{_REF}:cosine_similarity",
        params=(
            Param(
                "axis",
                -1,
                Interval(None, None, integer=True),
                "axis along which vectors are compared",
            ),
        ),
        formula="-sum_axis (y_true / ||y_true||) * (y_pred / ||y_pred||)   (in [-1, 1], -1 best)",
        when_to_use="Targets where only the direction of a vector matters (embeddings, "
        "normalised profiles).",
        pitfalls="Ignores the norm of the prediction entirely; a zero vector gives 0. Keras "
        "3.15's own class forgets axis when saved; losslab's does not.",
        references=(_CHOLLET,),
        inputs="regression",
        minimum_at_truth=True,
        keras_builtin="CosineSimilarity",
        tags=("keras",),
    )
)

register(
    LossSpec(
        name="huber",
        title="Huber",
        aliases=("Huber", "huber_loss"),
        family=Family.REGRESSION,
        statistic="mean",
        y_true="real values, shape (N,) or (N, D)",
        y_pred="real values, same shape as y_true (linear output)",
        head=Head.IDENTITY,
        keras=f"{_FIX}:Huber",
        reference=f"{_REF}:huber",
        params=(
            Param(
                "delta",
                1.0,
                Interval(0, None, closed="neither"),
                "error size where the loss turns from quadratic to linear",
                search=("float", 0.05, 10.0, True),
            ),
        ),
        robustness=Robustness.MODERATE,
        formula="mean_d [ 0.5 e^2 if |e| <= delta else delta (|e| - 0.5 delta) ],  e = y_pred - y_true",
        when_to_use="Regression with some outliers: quadratic near zero (efficient like MSE), "
        "linear in the tails (robust like MAE). A classical choice is delta = 1.345 x the "
        "robust standard deviation of the residuals (95% efficiency under Gaussian noise).",
        pitfalls="delta is in the target's units: rescale it when you rescale the target. "
        "Keras 3.15's own Huber forgets delta when saved; losslab's does not.",
        references=(
            "Huber, P. J. (1964). Robust Estimation of a Location Parameter. Annals of Mathematical Statistics.",
        ),
        inputs="regression",
        minimum_at_truth=True,
        keras_builtin="Huber",
        tags=("keras", "robust"),
    )
)

register(
    LossSpec(
        name="log_cosh",
        title="Log-cosh",
        aliases=("LogCosh", "logcosh"),
        family=Family.REGRESSION,
        statistic="mean",
        y_true="real values, shape (N,) or (N, D)",
        y_pred="real values, same shape as y_true (linear output)",
        head=Head.IDENTITY,
        keras=f"{_KERAS}:LogCosh",
        reference=f"{_REF}:log_cosh",
        robustness=Robustness.MODERATE,
        formula="mean_d log(cosh(y_pred - y_true))  (~ e^2/2 for small e, ~ |e| - log 2 for large e)",
        when_to_use="A smooth Huber-like loss with no threshold to tune: quadratic near zero, "
        "linear in the tails, twice differentiable everywhere.",
        pitfalls="The switch from quadratic to linear happens at |e| ~ 1 in the target's units: "
        "standardise the target so that scale makes sense.",
        references=(_CHOLLET,),
        inputs="regression",
        minimum_at_truth=True,
        keras_builtin="LogCosh",
        tags=("keras", "robust"),
    )
)

# ----------------------------------------------------------------------------- count
register(
    LossSpec(
        name="poisson",
        title="Poisson",
        aliases=("Poisson", "poisson_loss"),
        family=Family.COUNT,
        statistic="mean",
        y_true="counts or non-negative rates, shape (N,) or (N, D)",
        y_pred="the rate itself (> 0), same shape: put an exponential or softplus activation "
        "on the output layer (the loss applies no link)",
        head=Head.POSITIVE,
        keras=f"{_KERAS}:Poisson",
        reference=f"{_REF}:poisson",
        robustness=Robustness.NONE,
        formula="mean_d (y_pred - y_true * log(y_pred + eps))  (Poisson negative log-likelihood up to a constant)",
        when_to_use="Count targets (visits, claims, events) whose variance grows with the mean. "
        "Judge with the mean Poisson deviance.",
        pitfalls="A linear output can go negative and make the log undefined (NaN): use an "
        "exponential/softplus output. The value is not 0 at the optimum (it omits log y!).",
        references=(
            "McCullagh, P. and Nelder, J. A. (1989). Generalized Linear Models. Chapman and Hall.",
            _CHOLLET,
        ),
        inputs="nonnegative",
        requires=("y>=0",),
        minimum_at_truth=True,
        keras_builtin="Poisson",
        tags=("keras",),
        extra={"output_activation": "exponential"},
    )
)

# ----------------------------------------------------------------------------- binary / hinge
register(
    LossSpec(
        name="binary_crossentropy",
        title="Binary cross-entropy",
        aliases=("bce", "BinaryCrossentropy", "log_loss", "logloss"),
        family=Family.BINARY,
        statistic="probability",
        y_true="labels in {0, 1} (or soft labels in [0, 1]), shape (N,) or (N, D)",
        y_pred="probabilities of class 1 (sigmoid output), or logits with from_logits=True",
        head=Head.SIGMOID,
        keras=f"{_KERAS}:BinaryCrossentropy",
        reference=f"{_REF}:binary_crossentropy",
        params=(_from_logits("probabilities of class 1"), _LABEL_SMOOTHING, _AXIS),
        formula="mean_axis -(t log p + (1 - t) log(1 - p)),  t = y (1 - ls) + ls/2,  p clipped to [eps, 1 - eps]",
        when_to_use="Binary and multi-label classification when you want calibrated "
        "probabilities. Judge with log loss / Brier score. Prefer from_logits=True with a linear "
        "output: it is numerically stable.",
        pitfalls="With probabilities, Keras clips p to [1e-7, 1 - 1e-7], so the loss saturates "
        "at ~16.1 and its gradient vanishes there; label smoothing biases probabilities "
        "towards 0.5.",
        references=(
            "Cox, D. R. (1958). The regression analysis of binary sequences. JRSS B.",
            _CHOLLET,
        ),
        inputs="binary",
        requires=("y in {0,1}",),
        minimum_at_truth=True,
        from_logits_param="from_logits",
        predict=f"{_REF}:predict_binary",
        keras_builtin="BinaryCrossentropy",
        tags=("keras",),
    )
)

register(
    LossSpec(
        name="binary_focal_crossentropy",
        title="Binary focal cross-entropy",
        aliases=("BinaryFocalCrossentropy", "binary_focal", "focal"),
        family=Family.BINARY,
        statistic="probability",
        y_true="labels in {0, 1}, shape (N,) or (N, D)",
        y_pred="probabilities of class 1 (sigmoid output), or logits with from_logits=True",
        head=Head.SIGMOID,
        keras=f"{_FIX}:BinaryFocalCrossentropy",
        reference=f"{_REF}:binary_focal_crossentropy",
        params=(
            Param(
                "apply_class_balancing",
                False,
                BOOL,
                "weight class 1 by alpha and class 0 by 1 - alpha",
                search=("categorical", (False, True)),
            ),
            Param(
                "alpha",
                0.25,
                Interval(0, 1),
                "weight of class 1 when apply_class_balancing (class 0 gets 1 - alpha)",
                search=("float", 0.05, 0.95, False),
            ),
            _GAMMA_FOCAL,
            _from_logits("probabilities of class 1"),
            _LABEL_SMOOTHING,
            _AXIS,
        ),
        formula="mean_axis w (1 - p_t)^gamma bce(t, p),  p_t = t p + (1 - t)(1 - p),  "
        "w = t alpha + (1 - t)(1 - alpha) if apply_class_balancing else 1",
        when_to_use="Imbalanced binary / multi-label problems (detection, rare events) where easy "
        "negatives swamp the gradient.",
        pitfalls="Focal loss is not a proper scoring rule for gamma > 0: probabilities come "
        "out under-confident (recalibrate, or judge on ranking). alpha only acts with "
        "apply_class_balancing=True.",
        references=(
            "Lin, T.-Y. et al. (2017). Focal Loss for Dense Object Detection. ICCV.",
            _CHOLLET,
        ),
        inputs="binary",
        requires=("y in {0,1}",),
        minimum_at_truth=True,
        from_logits_param="from_logits",
        predict=f"{_REF}:predict_binary",
        keras_builtin="BinaryFocalCrossentropy",
        tags=("keras", "imbalance"),
    )
)

register(
    LossSpec(
        name="hinge",
        title="Hinge",
        aliases=("Hinge", "hinge_loss"),
        family=Family.BINARY,
        statistic="margin",
        y_true="labels in {-1, 1} ({0, 1} accepted: a batch of only 0/1 is mapped to -1/1)",
        y_pred="real-valued scores (linear output), same shape as y_true",
        head=Head.BINARY_LOGITS,
        keras=f"{_KERAS}:Hinge",
        reference=f"{_REF}:hinge",
        formula="mean_d max(1 - y_true * y_pred, 0)",
        when_to_use="Maximum-margin binary classification (SVM-style) when you need labels, "
        "not probabilities. Judge with accuracy / F1.",
        pitfalls="Scores are not probabilities (losslab's prediction applies a sigmoid only to "
        "keep the ranking). The {0,1} -> {-1,1} mapping is decided per batch: a batch that "
        "mixes -1 and 0 is not mapped.",
        references=(
            "Cortes, C. and Vapnik, V. (1995). Support-vector networks. Machine Learning.",
            _CHOLLET,
        ),
        inputs="hinge",
        requires=("y in {-1,1}",),
        minimum_at_truth=True,
        predict=f"{_REF}:predict_hinge",
        keras_builtin="Hinge",
        tags=("keras",),
    )
)

register(
    LossSpec(
        name="squared_hinge",
        title="Squared hinge",
        aliases=("SquaredHinge",),
        family=Family.BINARY,
        statistic="margin",
        y_true="labels in {-1, 1} ({0, 1} accepted: a batch of only 0/1 is mapped to -1/1)",
        y_pred="real-valued scores (linear output), same shape as y_true",
        head=Head.BINARY_LOGITS,
        keras=f"{_KERAS}:SquaredHinge",
        reference=f"{_REF}:squared_hinge",
        formula="mean_d max(1 - y_true * y_pred, 0)^2",
        when_to_use="Margin classification with a smooth gradient (L2-SVM); penalises margin "
        "violations more strongly than hinge.",
        pitfalls="More sensitive to mislabelled points than hinge (quadratic growth); scores are "
        "not probabilities.",
        references=(
            "Rosasco, L. et al. (2004). Are Loss Functions All the Same? Neural Computation.",
            _CHOLLET,
        ),
        inputs="hinge",
        requires=("y in {-1,1}",),
        minimum_at_truth=True,
        predict=f"{_REF}:predict_hinge",
        keras_builtin="SquaredHinge",
        tags=("keras",),
    )
)

# ----------------------------------------------------------------------------- multiclass
register(
    LossSpec(
        name="categorical_crossentropy",
        title="Categorical cross-entropy",
        aliases=("cce", "CategoricalCrossentropy", "softmax_crossentropy"),
        family=Family.MULTICLASS,
        statistic="probability",
        y_true="one-hot (or soft) labels, shape (N, K)",
        y_pred="class probabilities (softmax output), or logits with from_logits=True, shape (N, K)",
        head=Head.SOFTMAX,
        keras=f"{_FIX}:CategoricalCrossentropy",
        reference=f"{_REF}:categorical_crossentropy",
        params=(_from_logits("class probabilities"), _LABEL_SMOOTHING, _AXIS),
        formula="-sum_k t_k log p_k,  t = y (1 - ls) + ls / K,  p renormalised and clipped to [eps, 1 - eps]",
        when_to_use="Multiclass classification with one-hot labels when you want class "
        "probabilities. Judge with log loss (and accuracy / macro-F1 for labels).",
        pitfalls="Needs one-hot targets: with integer labels use sparse_categorical_crossentropy. "
        "Probabilities are renormalised per row, so a non-softmax output silently 'works'.",
        references=(_CHOLLET,),
        inputs="onehot",
        requires=("one-hot",),
        minimum_at_truth=True,
        from_logits_param="from_logits",
        predict=f"{_REF}:predict_categorical",
        keras_builtin="CategoricalCrossentropy",
        tags=("keras",),
    )
)

register(
    LossSpec(
        name="categorical_focal_crossentropy",
        title="Categorical focal cross-entropy",
        aliases=("CategoricalFocalCrossentropy", "categorical_focal"),
        family=Family.MULTICLASS,
        statistic="probability",
        y_true="one-hot labels, shape (N, K)",
        y_pred="class probabilities (softmax output), or logits with from_logits=True, shape (N, K)",
        head=Head.SOFTMAX,
        keras=f"{_FIX}:CategoricalFocalCrossentropy",
        reference=f"{_REF}:categorical_focal_crossentropy",
        params=(
            Param(
                "alpha",
                0.25,
                Interval(0, None, closed="left"),
                "weight: a scalar, or one weight per class (a list of K numbers)",
            ),
            _GAMMA_FOCAL,
            _from_logits("class probabilities"),
            _LABEL_SMOOTHING,
            _AXIS,
        ),
        formula="sum_k -alpha_k (1 - p_k)^gamma t_k log p_k,  p renormalised and clipped to [eps, 1 - eps]",
        when_to_use="Imbalanced multiclass problems where easy examples dominate; per-class "
        "alpha (e.g. inverse frequency) re-weights rare classes.",
        pitfalls="A scalar alpha only rescales the loss (like a learning-rate change); "
        "probabilities are under-confident for gamma > 0.",
        references=(
            "Lin, T.-Y. et al. (2017). Focal Loss for Dense Object Detection. ICCV.",
            _CHOLLET,
        ),
        inputs="onehot",
        requires=("one-hot",),
        minimum_at_truth=True,
        from_logits_param="from_logits",
        predict=f"{_REF}:predict_categorical",
        keras_builtin="CategoricalFocalCrossentropy",
        tags=("keras", "imbalance"),
        extra={"example_params": {"alpha": 0.5}},
    )
)

register(
    LossSpec(
        name="sparse_categorical_crossentropy",
        title="Sparse categorical cross-entropy",
        aliases=("scce", "SparseCategoricalCrossentropy"),
        family=Family.MULTICLASS,
        statistic="probability",
        y_true="integer class ids in [0, K), shape (N,) or (N, 1)",
        y_pred="class probabilities (softmax output), or logits with from_logits=True, shape (N, K)",
        head=Head.SOFTMAX,
        keras=f"{_FIX}:SparseCategoricalCrossentropy",
        reference=f"{_REF}:sparse_categorical_crossentropy",
        params=(
            _from_logits("class probabilities"),
            Param(
                "ignore_class",
                None,
                Interval(None, None, integer=True, allow_none=True),
                "a label id left out of the loss and of the average (e.g. -1 or 255 for 'void')",
            ),
            _AXIS,
        ),
        formula="-log p[y],  p renormalised and clipped to [eps, 1 - eps] (log_softmax for logits); "
        "entries with y == ignore_class are masked out",
        when_to_use="Multiclass classification with integer labels (the memory-light form of "
        "categorical cross-entropy); segmentation with a void class via ignore_class.",
        pitfalls="Labels must be 0..K-1: a label >= K is an error or silently wrong depending on "
        "the backend. Keras 3.15's own class forgets axis when saved; losslab's does not.",
        references=(_CHOLLET,),
        inputs="sparse",
        requires=("integer labels",),
        minimum_at_truth=True,
        from_logits_param="from_logits",
        predict=f"{_REF}:predict_sparse",
        keras_builtin="SparseCategoricalCrossentropy",
        tags=("keras",),
        extra={
            "mask": f"{_REF}:sparse_categorical_crossentropy_mask",
            "example_params": {"ignore_class": 3, "axis": 1},
        },
    )
)

register(
    LossSpec(
        name="categorical_hinge",
        title="Categorical hinge",
        aliases=("CategoricalHinge",),
        family=Family.MULTICLASS,
        statistic="margin",
        y_true="one-hot labels, shape (N, K)",
        y_pred="real-valued class scores (linear output), shape (N, K)",
        head=Head.MULTICLASS_LOGITS,
        keras=f"{_KERAS}:CategoricalHinge",
        reference=f"{_REF}:categorical_hinge",
        formula="max(max_{k != y} s_k - s_y + 1, 0)  (Crammer-Singer multiclass hinge, scores >= 0 assumed by Keras's max over (1 - t) s)",
        when_to_use="Multiclass maximum-margin classification when only the predicted label "
        "matters. Judge with accuracy / macro-F1.",
        pitfalls="Keras takes max((1 - t) * s), so negative wrong-class scores count as 0; "
        "scores are not probabilities (losslab's prediction applies a softmax only to keep the "
        "ranking).",
        references=(
            "Crammer, K. and Singer, Y. (2001). On the Algorithmic Implementation of Multiclass Kernel-based Vector Machines. JMLR.",
            _CHOLLET,
        ),
        inputs="onehot",
        requires=("one-hot",),
        minimum_at_truth=True,
        predict=f"{_REF}:predict_multiclass_scores",
        keras_builtin="CategoricalHinge",
        tags=("keras",),
    )
)

register(
    LossSpec(
        name="kl_divergence",
        title="Kullback-Leibler divergence",
        aliases=("kld", "KLDivergence", "kullback_leibler_divergence"),
        family=Family.MULTICLASS,
        statistic="distribution",
        y_true="probability distributions over K outcomes (rows sum to 1), shape (N, K)",
        y_pred="probability distributions (softmax output), shape (N, K)",
        head=Head.SOFTMAX,
        keras=f"{_KERAS}:KLDivergence",
        reference=f"{_REF}:kl_divergence",
        formula="sum_k t_k log(t_k / p_k),  t and p clipped to [eps, 1]",
        when_to_use="Soft targets: distillation from a teacher, label distributions, matching a "
        "predicted distribution to an observed one.",
        pitfalls="Asymmetric: KL(t || p) punishes p ~ 0 where t > 0 hard and ignores mass p puts "
        "where t = 0. With one-hot targets it equals categorical cross-entropy.",
        references=(
            "Kullback, S. and Leibler, R. A. (1951). On Information and Sufficiency. Annals of Mathematical Statistics.",
            _CHOLLET,
        ),
        inputs="distribution",
        requires=("y in [0,1]",),
        minimum_at_truth=True,
        keras_builtin="KLDivergence",
        tags=("keras",),
    )
)

register(
    LossSpec(
        name="categorical_generalized_cross_entropy",
        title="Generalized cross-entropy",
        aliases=("CategoricalGeneralizedCrossEntropy", "gce", "generalized_cross_entropy"),
        family=Family.MULTICLASS,
        statistic="probability",
        y_true="integer class ids in [0, K), shape (N,)",
        y_pred="class probabilities (softmax output), shape (N, K)",
        head=Head.SOFTMAX,
        keras=f"{_FIX}:CategoricalGeneralizedCrossEntropy",
        reference=f"{_REF}:categorical_generalized_cross_entropy",
        params=(
            Param(
                "q",
                0.5,
                Interval(0, 1, closed="neither"),
                "noise robustness: -> 0 behaves like cross-entropy, -> 1 like MAE",
                search=("float", 0.1, 0.9, False),
            ),
        ),
        robustness=Robustness.MODERATE,
        formula="(1 - p[y]^q) / q",
        when_to_use="Multiclass classification with noisy (mislabelled) training labels.",
        pitfalls="Larger q is more robust but trains slower (MAE-like gradients); probabilities "
        "are less well calibrated than with cross-entropy. Keras 3.15 cannot find it by name or "
        "reload it; losslab can.",
        references=(
            "Zhang, Z. and Sabuncu, M. R. (2018). Generalized Cross Entropy Loss for Training Deep Neural Networks with Noisy Labels. NeurIPS.",
        ),
        inputs="sparse",
        requires=("integer labels",),
        minimum_at_truth=True,
        predict=f"{_REF}:predict_sparse",
        keras_builtin="CategoricalGeneralizedCrossEntropy",
        tags=("keras", "robust", "noisy-labels"),
    )
)

# ----------------------------------------------------------------------------- segmentation
register(
    LossSpec(
        name="dice",
        title="Dice",
        aliases=("Dice", "dice_loss"),
        family=Family.SEGMENTATION,
        statistic="overlap",
        y_true="binary masks {0, 1}, e.g. shape (N, H, W, 1)",
        y_pred="probabilities in [0, 1] (sigmoid output), same shape",
        head=Head.SIGMOID,
        keras=f"{_KERAS}:Dice",
        reference=f"{_REF}:dice",
        params=(_SEG_AXIS,),
        formula="1 - 2 sum(t p) / (sum(t) + sum(p) + eps)  over axis (None: the whole batch)",
        when_to_use="Segmentation with small foreground regions, where pixel-wise cross-entropy "
        "is dominated by the background. Often summed with BCE.",
        pitfalls="With the default axis=None the loss is ONE number for the whole batch (sample "
        "weights only rescale it); use axis=[1, 2, 3] for one value per image. Non-binary "
        "inputs can make it negative.",
        references=(
            "Milletari, F. et al. (2016). V-Net: Fully Convolutional Neural Networks for Volumetric Medical Image Segmentation. 3DV.",
            _CHOLLET,
        ),
        per_batch=True,
        inputs="segmentation",
        requires=("y in {0,1}",),
        minimum_at_truth=True,
        keras_builtin="Dice",
        tags=("keras",),
        extra={"example_params": {"axis": [1, 2, 3]}},
    )
)

register(
    LossSpec(
        name="tversky",
        title="Tversky",
        aliases=("Tversky", "tversky_loss"),
        family=Family.SEGMENTATION,
        statistic="overlap",
        y_true="binary masks {0, 1}, e.g. shape (N, H, W, 1)",
        y_pred="probabilities in [0, 1] (sigmoid output), same shape",
        head=Head.SIGMOID,
        keras=f"{_FIX}:Tversky",
        reference=f"{_REF}:tversky",
        params=(
            Param(
                "alpha",
                0.5,
                Interval(0, 1),
                "weight of false positives",
                search=("float", 0.1, 0.9, False),
            ),
            Param(
                "beta",
                0.5,
                Interval(0, 1),
                "weight of false negatives",
                search=("float", 0.1, 0.9, False),
            ),
            _SEG_AXIS,
        ),
        formula="1 - TP / (TP + alpha FP + beta FN + eps),  TP = sum(t p), FP = sum((1 - t) p), FN = sum(t (1 - p))",
        when_to_use="Segmentation where missing foreground (FN) and false alarms (FP) cost "
        "differently: beta > alpha favours recall. alpha = beta = 0.5 is Dice.",
        pitfalls="Keras 3.15.1's own Tversky applies alpha to false negatives and beta to false "
        "positives (the opposite of its documentation); losslab's follows the documentation. "
        "axis=None gives one value for the whole batch.",
        references=(
            "Salehi, S. S. M. et al. (2017). Tversky loss function for image segmentation using 3D fully convolutional deep networks. MLMI.",
            _CHOLLET,
        ),
        per_batch=True,
        inputs="segmentation",
        requires=("y in {0,1}",),
        minimum_at_truth=True,
        keras_builtin="Tversky",
        tags=("keras",),
        extra={"example_params": {"alpha": 0.3, "beta": 0.7, "axis": [1, 2, 3]}},
    )
)

# ----------------------------------------------------------------------------- sequence
register(
    LossSpec(
        name="ctc",
        title="Connectionist temporal classification",
        aliases=("CTC", "ctc_loss"),
        family=Family.SEQUENCE,
        statistic="sequence",
        y_true="integer label sequences (N, L), 0 = blank and padding (pad at the end)",
        y_pred="per-timestep logits (N, T, C) (no softmax), C including the blank at index 0",
        head=Head.SEQUENCE,
        keras=f"{_KERAS}:CTC",
        reference=f"{_REF}:ctc",
        formula="-log sum over alignments a of prod_t softmax(y_pred)[t, a_t]  (forward algorithm)",
        when_to_use="Sequence labelling without aligned targets: speech, handwriting, OCR.",
        pitfalls="Index 0 is the blank: real classes must be 1..C-1. T must be at least the "
        "label length plus repeats, otherwise the loss is huge (~1e5).",
        references=(
            "Graves, A. et al. (2006). Connectionist Temporal Classification: Labelling Unsegmented Sequence Data with Recurrent Neural Networks. ICML.",
            _CHOLLET,
        ),
        inputs="ctc",
        requires=("integer labels",),
        predict=f"{_REF}:predict_ctc",
        keras_builtin="CTC",
        tags=("keras",),
    )
)

# ----------------------------------------------------------------------------- metric learning
register(
    LossSpec(
        name="circle",
        title="Circle",
        aliases=("Circle", "circle_loss"),
        family=Family.METRIC_LEARNING,
        statistic="embedding",
        y_true="integer class ids, shape (N,) (each class should appear at least twice per batch)",
        y_pred="L2-normalised embeddings (N, d): end the model with keras.layers.UnitNormalization()",
        head=Head.EMBEDDING,
        keras=f"{_FIX}:Circle",
        reference=f"{_REF}:circle",
        params=(
            Param(
                "gamma",
                80.0,
                Interval(0, None, closed="neither"),
                "scale of the similarity scores",
                search=("float", 16.0, 256.0, True),
            ),
            Param(
                "margin",
                0.4,
                Interval(0, 1),
                "relaxation margin",
                search=("float", 0.1, 0.5, False),
            ),
            Param("remove_diagonal", True, BOOL, "drop self-similarities from the positives"),
            Param(
                "ref_labels",
                None,
                Anything("None or integer labels of a fixed reference set, shape (M,)"),
                "labels of the reference embeddings (Keras's function argument); None uses y_true",
            ),
            Param(
                "ref_embeddings",
                None,
                Anything("None or L2-normalised embeddings of a fixed reference set, shape (M, d)"),
                "each anchor is compared with these instead of the batch; None uses y_pred",
            ),
        ),
        formula="softplus(logsumexp_pos(-gamma a_p (m - d)) + logsumexp_neg(gamma a_n (1 - m - d))), "
        "d = max(1 - cos, 0), a_p = max(m + d, 0), a_n = max(1 + m - d, 0)",
        when_to_use="Metric learning / retrieval with class labels: pulls same-class embeddings "
        "together and pushes others apart with self-paced weights.",
        pitfalls="Values depend on the whole batch (pairs inside it): batch composition matters, "
        "and anchors without a positive in the batch get 0 and are left out of the mean.",
        references=(
            "Sun, Y. et al. (2020). Circle Loss: A Unified Perspective of Pair Similarity Optimization. CVPR.",
            _CHOLLET,
        ),
        inputs="unit_embedding_labels",
        requires=("integer labels",),
        keras_builtin="Circle",
        tags=("keras",),
        extra={"mask": f"{_REF}:circle_mask"},
    )
)
