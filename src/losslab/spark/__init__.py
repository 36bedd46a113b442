"""losslab on Apache Spark: evaluate catalog losses over big tables, score Keras models,
run trials on a cluster.

Everything here imports pyspark lazily: ``import losslab`` and ``import losslab.spark``
never start a JVM. Public API::

    from losslab.spark import evaluate, score, get_session
    spark = get_session()                      # local[2] by default, or master="spark://..."
    result = evaluate(df, label="y", prediction="p", losses=["mse", "huber:delta=2"])
    scored = score(df, "model.keras", features=["x1", "x2"], output_col="p")
    from losslab.spark.engine import SparkEngine
    fit_data_parallel("big/", "y", "huber:delta=1.3", workers=2, out="model")  # one model, DDP

The implementation modules are ``session``, ``sql`` (a package: the compiler registry and
the compilers), ``evaluation``, ``arrow``, ``scoring``, ``engine``, ``shards`` and
``distributed`` (data-parallel training), named apart from the public functions so
importing one never shadows ``losslab.spark.evaluate`` or ``losslab.spark.score``. The arithmetic shared with the local engine (loss parsing, partial
sums, reductions) comes from :mod:`losslab.evaluation`, the layer below.
"""

from __future__ import annotations

from losslab import _lazy

_LAZY: dict[str, str] = {
    "get_session": "losslab.spark.session:get_session",
    "stop_session": "losslab.spark.session:stop_session",
    "evaluate": "losslab.spark.evaluation:evaluate",
    "evaluate_data": "losslab.spark.evaluation:evaluate_data",
    "read_table": "losslab.spark.evaluation:read_table",
    "compile_loss": "losslab.spark.sql:compile_loss",
    "compilable_losses": "losslab.spark.sql:compilable_losses",
    "score": "losslab.spark.scoring:score",
    "evaluate_model": "losslab.spark.scoring:evaluate_model",
    "score_exported": "losslab.spark.export_scoring:score_exported",
    "SparkEngine": "losslab.spark.engine:SparkEngine",
    "fit_data_parallel": "losslab.spark.distributed:fit_data_parallel",
    "TrainingFailedError": "losslab.spark.distributed:TrainingFailedError",
}

__all__ = sorted(_LAZY)


__getattr__, __dir__ = _lazy.lazy_attributes(__name__, globals(), _LAZY)
