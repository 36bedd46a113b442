"""The Spark trial engine: one Spark task per trial, results yielded as they finish.

``SparkEngine(master=...)`` implements the engine protocol of
:mod:`losslab.experiment.engine` (``map(fn, tasks) -> Iterator``). Each trial is submitted
as its own one-task Spark job from a driver thread, so trials run in parallel on the
cluster's cores and every finished trial comes back at once (the experiment engine stores
it immediately). A task that fails (lost executor, killed worker, injected failure) is
retried by Spark up to ``max_failures`` times; only the successful attempt returns a record,
so each trial is recorded once. Optuna's ask/tell and the result store stay on the driver.

Trials are pure functions of (data reference, config, seed): the engine never changes what
they compute, so the same seeds give the same results as :class:`~losslab.experiment.engine.LocalEngine`.
On a real cluster the run directory must be on storage every executor can read (NFS, a
mounted bucket) and losslab must be installed on the executors.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import TYPE_CHECKING, Any

from losslab.errors import InvalidParameterError

if TYPE_CHECKING:  # pragma: no cover
    from pyspark.sql import SparkSession

__all__ = ["SparkEngine"]


def _with_backend(fn: Callable[[Any], Any], env: Mapping[str, str]) -> Callable[[Any], Any]:
    """``fn`` run with the driver's KERAS_BACKEND (set before Keras is first imported)."""

    def run(task: Any) -> Any:
        for key, value in env.items():
            os.environ.setdefault(key, value)
        return fn(task)

    return run


class SparkEngine:
    """Run trials as Spark tasks (one task per trial).

    Args:
        master: Spark master URL (``local[2]`` by default, ``spark://host:7077``, ``yarn``,
            ``k8s://...``); ignored when a session is already active or ``spark`` is given.
        max_failures: attempts per trial before the run fails.
            The session starts when the engine is created.
        parallelism: trials in flight at once (default: the cluster's default parallelism).
        spark: an existing SparkSession to use.
        conf: extra Spark settings for a new session.

    Example:
        >>> from losslab.spark.engine import SparkEngine
        >>> engine = SparkEngine(master="local[2]")  # doctest: +SKIP
        >>> sorted(engine.map(lambda x: x * x, [1, 2, 3]))  # doctest: +SKIP
        [1, 4, 9]
        >>> losslab.compare(None, x, y, losses=["mse", "huber"], engine=engine)  # doctest: +SKIP
    """

    name = "spark"

    def __init__(
        self,
        master: str | None = None,
        *,
        max_failures: int = 4,
        parallelism: int | None = None,
        spark: SparkSession | None = None,
        conf: Mapping[str, str] | None = None,
    ) -> None:
        if not isinstance(max_failures, int) or max_failures < 1:
            raise InvalidParameterError(
                f"max_failures must be an integer >= 1. Received: max_failures={max_failures!r}."
            )
        if parallelism is not None and (not isinstance(parallelism, int) or parallelism < 1):
            raise InvalidParameterError(
                f"parallelism must be an integer >= 1 or None. Received: parallelism={parallelism!r}."
            )
        self.master = master
        self.max_failures = max_failures
        self.parallelism = parallelism
        self._spark = spark
        self._conf = dict(conf or {})
        # start the JVM now, before the experiment imports JAX: launching it later means
        # forking a multithreaded process (harmless here, but JAX warns about it)
        _ = self.spark

    @property
    def spark(self) -> SparkSession:
        """The session (created on first use)."""
        if self._spark is None:
            from losslab.spark.session import get_session

            self._spark = get_session(self.master, max_failures=self.max_failures, conf=self._conf)
        return self._spark

    def map(self, fn: Callable[[Any], Any], tasks: Iterable[Any]) -> Iterator[Any]:
        """Apply ``fn`` to every task on the cluster; yield each result as it finishes.

        Args:
            fn: a picklable function of one task (``losslab.experiment.trial.run_trial``).
            tasks: picklable tasks.

        Returns:
            An iterator over ``fn(task)`` results in completion order.
        """
        todo = list(tasks)
        if not todo:
            return
        sc = self.spark.sparkContext
        env = {
            k: os.environ[k] for k in ("KERAS_BACKEND", "TF_CPP_MIN_LOG_LEVEL") if k in os.environ
        }
        run = _with_backend(fn, env)
        width = self.parallelism or max(1, int(sc.defaultParallelism))

        def submit(index: int, task: Any) -> Any:
            label = getattr(task, "trial_id", None) or f"task {index}"
            sc.setJobDescription(f"losslab trial {label}")
            rdd = sc.parallelize([task], 1)
            return rdd.map(run).collect()[0]

        pool = ThreadPoolExecutor(max_workers=width, thread_name_prefix="losslab-spark")
        try:
            pending: set[Future[Any]] = set()
            queue = list(enumerate(todo))
            queue.reverse()
            while queue or pending:
                while queue and len(pending) < width:
                    i, task = queue.pop()
                    pending.add(pool.submit(submit, i, task))
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for fut in done:
                    yield fut.result()
        finally:
            pool.shutdown(wait=True, cancel_futures=True)

    def draw_sample(
        self, path: str, target: str, n: int, *, seed: int = 0, counts: Mapping[Any, int] | None = None
    ) -> tuple[Any, dict[str, int] | None]:
        """The seeded sample of ``compare`` / ``run --sample`` drawn on the cluster
        (:func:`losslab.spark.sampling.spark_sample`)."""
        from losslab.spark.sampling import spark_sample

        return spark_sample(self.spark, path, target, n, seed=seed, counts=counts)

    def __repr__(self) -> str:
        return f"SparkEngine(master={self.master!r}, max_failures={self.max_failures})"
