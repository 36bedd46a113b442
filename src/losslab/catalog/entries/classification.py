"""Catalog entries: classification losses Keras lacks (sparse focal with per-class alpha,
PolyLoss, symmetric CE, BCE with pos_weight, ASL, class-balanced CE and focal, label-smoothed
sparse CE)."""

from __future__ import annotations

from losslab.catalog._registry import register
from losslab.catalog._spec import Family, Head, LossSpec
from losslab.reference.classification import (
    ASYMMETRIC_PARAMS,
    CLASS_BALANCED_CE_PARAMS,
    CLASS_BALANCED_FOCAL_PARAMS,
    POLY1_PARAMS,
    SMOOTHED_SPARSE_CE_PARAMS,
    SPARSE_FOCAL_PARAMS,
    SYMMETRIC_CE_PARAMS,
    WEIGHTED_BCE_PARAMS,
)

_REF = "losslab.reference.classification"
_KERAS = "losslab.losses.classification"
_SPARSE_Y = "integer class labels in [0, K), shape (N,) or (N, 1)"
_ONEHOT_Y = "one-hot (or soft) labels, shape (N, K)"
_MC_PRED = (
    "(N, K) class probabilities (softmax output; from_logits=False) or logits (from_logits=True)"
)
_PROBS = f"{_REF}:predict_class_probabilities"
_CUI = (
    "Cui, Y., Jia, M., Lin, T.-Y., Song, Y. and Belongie, S. (2019). Class-Balanced Loss Based "
    "on Effective Number of Samples. CVPR."
)
_LIN = "Lin, T.-Y., Goyal, P., Girshick, R., He, K. and Dollar, P. (2017). Focal Loss for Dense Object Detection. ICCV."

register(
    LossSpec(
        name="sparse_categorical_focal",
        title="Sparse categorical focal loss",
        aliases=(
            "SparseCategoricalFocalCrossentropy",
            "sparse_focal",
            "sparse_categorical_focal_crossentropy",
        ),
        family=Family.MULTICLASS,
        statistic="probability",
        y_true=_SPARSE_Y,
        y_pred=_MC_PRED,
        head=Head.SOFTMAX,
        keras=f"{_KERAS}:SparseCategoricalFocalCrossentropy",
        reference=f"{_REF}:sparse_categorical_focal",
        params=SPARSE_FOCAL_PARAMS,
        formula="-alpha_y (1 - p_y)^gamma log p_y",
        when_to_use="Multiclass with integer labels and many easy examples or class imbalance: "
        "focal down-weights well-classified samples. The integer-label counterpart of Keras's "
        "CategoricalFocalCrossentropy (same defaults); alpha may be a list with one weight per "
        "class (e.g. inverse frequency).",
        pitfalls="Focal loss is not a proper scoring rule for gamma > 0: predicted probabilities "
        "come out under-confident, recalibrate (temperature scaling) if you need them. With a "
        "scalar alpha every class is scaled the same (it only rescales the loss).",
        references=(_LIN,),
        inputs="sparse",
        requires=("integer labels",),
        minimum_at_truth=True,
        from_logits_param="from_logits",
        predict=_PROBS,
        tags=("focal", "imbalance"),
        extra={"example_params": {"alpha": [0.25, 0.5, 1.0, 2.0], "gamma": 1.5}},
    )
)

register(
    LossSpec(
        name="poly1_crossentropy",
        title="Poly-1 cross-entropy (PolyLoss)",
        aliases=("poly1", "poly_loss", "polyloss", "Poly1Crossentropy", "poly_loss_cross_entropy"),
        family=Family.MULTICLASS,
        statistic="probability",
        y_true=_ONEHOT_Y,
        y_pred=_MC_PRED,
        head=Head.SOFTMAX,
        keras=f"{_KERAS}:Poly1Crossentropy",
        reference=f"{_REF}:poly1_crossentropy",
        params=POLY1_PARAMS,
        formula="CE + epsilon (1 - sum_k y_k p_k)",
        when_to_use="A drop-in replacement for categorical cross-entropy with one extra knob: "
        "epsilon > 0 pushes harder on the true class (helps classification accuracy, e.g. "
        "ImageNet epsilon = 2), epsilon < 0 acts like a softer focal loss (detection).",
        pitfalls="epsilon = 0 is plain cross-entropy; tune epsilon in about [-1, 5]. Values below "
        "-1 make the loss non-monotone.",
        references=(
            "Leng, Z., Tan, M., Liu, C., Cubuk, E. D., Shi, X., Cheng, S. and Anguelov, D. (2022). "
            "PolyLoss: A Polynomial Expansion Perspective of Classification Loss Functions. ICLR.",
        ),
        inputs="onehot",
        requires=("one-hot",),
        minimum_at_truth=True,
        from_logits_param="from_logits",
        predict=_PROBS,
        tags=("optax",),
    )
)

register(
    LossSpec(
        name="symmetric_crossentropy",
        title="Symmetric cross-entropy",
        aliases=("sce", "SymmetricCrossentropy", "symmetric_cross_entropy"),
        family=Family.MULTICLASS,
        statistic="probability",
        y_true=_ONEHOT_Y,
        y_pred=_MC_PRED,
        head=Head.SOFTMAX,
        keras=f"{_KERAS}:SymmetricCrossentropy",
        reference=f"{_REF}:symmetric_crossentropy",
        params=SYMMETRIC_CE_PARAMS,
        formula="alpha * CE(y, p) + beta * RCE,  RCE = -sum_k p_k log(max(y_k, label_clip))",
        when_to_use="Multiclass with noisy labels (crowd-sourced, web-scraped): the reverse "
        "cross-entropy term is robust to label noise while CE keeps learning hard classes.",
        pitfalls="alpha and beta trade fit for robustness and depend on the noise rate (the "
        "paper: alpha = 0.1, beta = 1 on CIFAR-10; alpha = 6, beta = 0.1 on CIFAR-100). With "
        "clean labels it mostly slows training.",
        references=(
            "Wang, Y., Ma, X., Chen, Z., Luo, Y., Yi, J. and Bailey, J. (2019). Symmetric Cross "
            "Entropy for Robust Learning with Noisy Labels. ICCV.",
        ),
        inputs="onehot",
        requires=("one-hot",),
        minimum_at_truth=True,
        from_logits_param="from_logits",
        predict=_PROBS,
        tags=("noisy-labels",),
    )
)

register(
    LossSpec(
        name="weighted_binary_crossentropy",
        title="Binary cross-entropy with pos_weight",
        aliases=(
            "bce_pos_weight",
            "WeightedBinaryCrossentropy",
            "BCEWithLogitsLoss",
            "weighted_cross_entropy_with_logits",
        ),
        family=Family.BINARY,
        statistic="probability",
        y_true="0/1 labels, shape (N,) or (N, L) (L labels for multilabel)",
        y_pred="probabilities (sigmoid; from_logits=False) or logits (from_logits=True), same shape",
        head=Head.SIGMOID,
        keras=f"{_KERAS}:WeightedBinaryCrossentropy",
        reference=f"{_REF}:weighted_binary_crossentropy",
        params=WEIGHTED_BCE_PARAMS,
        formula="mean_l -(pos_weight_l y log p + (1 - y) log(1 - p))",
        when_to_use="Imbalanced binary or multilabel problems where missing a positive costs "
        "more than a false alarm: pos_weight = n_negative / n_positive is the usual balance "
        "(torch.nn.BCEWithLogitsLoss's pos_weight; one weight per label for multilabel).",
        pitfalls="Weighting shifts the predicted probabilities upwards: they are no longer "
        "calibrated (judge ranking with ROC AUC, or recalibrate). Prefer from_logits=True with "
        "a linear head for stability.",
        references=(
            "King, G. and Zeng, L. (2001). Logistic Regression in Rare Events Data. Political Analysis.",
        ),
        inputs="multilabel",
        requires=("y in {0,1}",),
        minimum_at_truth=True,
        from_logits_param="from_logits",
        predict=f"{_REF}:predict_probability",
        tags=("imbalance", "torch"),
        extra={"example_params": {"pos_weight": [1.0, 2.0, 3.0, 0.5]}},
    )
)

register(
    LossSpec(
        name="asymmetric_loss",
        title="Asymmetric loss (ASL) for multilabel",
        aliases=("asl", "AsymmetricLoss", "asymmetric"),
        family=Family.MULTILABEL,
        statistic="probability",
        y_true="0/1 labels, shape (N, L)",
        y_pred="(N, L) probabilities (sigmoid; from_logits=False) or logits (from_logits=True)",
        head=Head.SIGMOID,
        keras=f"{_KERAS}:AsymmetricLoss",
        reference=f"{_REF}:asymmetric_loss",
        params=ASYMMETRIC_PARAMS,
        formula="-sum_l [y (1 - p)^gamma_pos log p + (1 - y) p_m^gamma_neg log(1 - p_m)],  p_m = max(p - clip, 0)",
        when_to_use="Multilabel classification with many labels and few positives per sample "
        "(tagging, multi-label image recognition): negatives are focused harder than positives "
        "and very easy negatives are discarded by the probability margin.",
        pitfalls="Summed over labels (as the authors' code): the scale grows with L, so adjust the "
        "learning rate. Like focal loss it miscalibrates probabilities; judge with mAP / ROC AUC.",
        references=(
            "Ridnik, T., Ben-Baruch, E., Zamir, N., Noy, A., Friedman, I., Protter, M. and "
            "Zelnik-Manor, L. (2021). Asymmetric Loss For Multi-Label Classification. ICCV.",
        ),
        inputs="multilabel",
        requires=("y in {0,1}",),
        minimum_at_truth=True,
        from_logits_param="from_logits",
        predict=f"{_REF}:predict_probability",
        tags=("imbalance", "focal"),
    )
)

register(
    LossSpec(
        name="class_balanced_crossentropy",
        title="Class-balanced cross-entropy (effective number)",
        aliases=("ClassBalancedCrossentropy", "cb_crossentropy", "class_balanced_ce"),
        family=Family.MULTICLASS,
        statistic="probability",
        y_true=_SPARSE_Y,
        y_pred=_MC_PRED,
        head=Head.SOFTMAX,
        keras=f"{_KERAS}:ClassBalancedCrossentropy",
        reference=f"{_REF}:class_balanced_crossentropy",
        params=CLASS_BALANCED_CE_PARAMS,
        formula="-w_y log p_y,  w_c = (1 - beta) / (1 - beta^n_c), normalised to sum to K",
        when_to_use="Long-tailed multiclass data: re-weights classes by their effective number of "
        "samples, between no weighting (beta = 0) and inverse frequency (beta -> 1). Pass the "
        "training counts per class as samples_per_class.",
        pitfalls="Without samples_per_class it is plain cross-entropy. The counts must be in "
        "class order and come from the training split. Weighted probabilities are biased "
        "towards rare classes (not calibrated).",
        references=(_CUI,),
        inputs="sparse",
        requires=("integer labels",),
        minimum_at_truth=True,
        from_logits_param="from_logits",
        predict=_PROBS,
        tags=("imbalance",),
        extra={"example_params": {"samples_per_class": [50, 20, 5, 1], "beta": 0.99}},
    )
)

register(
    LossSpec(
        name="class_balanced_focal",
        title="Class-balanced focal loss (effective number)",
        aliases=("ClassBalancedFocal", "cb_focal", "class_balanced_focal_loss"),
        family=Family.MULTICLASS,
        statistic="probability",
        y_true=_SPARSE_Y,
        y_pred=_MC_PRED,
        head=Head.SOFTMAX,
        keras=f"{_KERAS}:ClassBalancedFocal",
        reference=f"{_REF}:class_balanced_focal",
        params=CLASS_BALANCED_FOCAL_PARAMS,
        formula="-w_y (1 - p_y)^gamma log p_y,  w_c = (1 - beta) / (1 - beta^n_c), normalised to sum to K",
        when_to_use="Long-tailed multiclass data with many easy examples: effective-number class "
        "weights plus focal down-weighting of well-classified samples (softmax form).",
        pitfalls="Two knobs (beta, gamma) interact; tune beta in {0.9, 0.99, 0.999, 0.9999} first. "
        "Cui et al. also use a sigmoid focal form; this is the softmax form.",
        references=(_CUI, _LIN),
        inputs="sparse",
        requires=("integer labels",),
        minimum_at_truth=True,
        from_logits_param="from_logits",
        predict=_PROBS,
        tags=("imbalance", "focal"),
        extra={"example_params": {"samples_per_class": [50, 20, 5, 1], "beta": 0.99}},
    )
)

register(
    LossSpec(
        name="sparse_categorical_crossentropy_smoothed",
        title="Sparse categorical cross-entropy with label smoothing",
        aliases=(
            "SparseCategoricalCrossentropySmoothed",
            "label_smoothed_sparse_crossentropy",
            "sparse_label_smoothing",
        ),
        family=Family.MULTICLASS,
        statistic="probability",
        y_true=_SPARSE_Y,
        y_pred=_MC_PRED,
        head=Head.SOFTMAX,
        keras=f"{_KERAS}:SparseCategoricalCrossentropySmoothed",
        reference=f"{_REF}:sparse_categorical_crossentropy_smoothed",
        params=SMOOTHED_SPARSE_CE_PARAMS,
        formula="-sum_k q_k log p_k,  q = (1 - ls) onehot(y) + ls / K",
        when_to_use="Integer labels and you want label smoothing (Keras's "
        "SparseCategoricalCrossentropy has no label_smoothing argument): regularises "
        "over-confident networks and often improves accuracy and calibration of large models.",
        pitfalls="The minimum is not at p = onehot(y) but at p = q, so the loss never reaches 0; "
        "smoothing hurts knowledge distillation and can hurt calibration of small models.",
        references=(
            "Szegedy, C., Vanhoucke, V., Ioffe, S., Shlens, J. and Wojna, Z. (2016). Rethinking "
            "the Inception Architecture for Computer Vision. CVPR.",
        ),
        inputs="sparse",
        requires=("integer labels",),
        minimum_at_truth=False,
        from_logits_param="from_logits",
        predict=_PROBS,
        tags=("regularisation",),
    )
)
