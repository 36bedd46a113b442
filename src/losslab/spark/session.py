"""The SparkSession helper: ``local[2]`` with test-friendly settings, or any cluster.

Local default: two worker threads, the web UI off, four shuffle partitions, the driver bound
to 127.0.0.1, Arrow on, executors running this very Python interpreter with the driver's
``KERAS_BACKEND``. A task that fails is retried (``local[N,F]`` form for local masters,
``spark.task.maxFailures`` on clusters).
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from losslab.errors import LosslabError

if TYPE_CHECKING:  # pragma: no cover
    from pyspark.sql import SparkSession

__all__ = ["DEFAULT_MASTER", "get_session", "local_master", "stop_session"]

DEFAULT_MASTER = "local[2]"
_LOCAL = re.compile(r"^local(\[(\*|\d+)(,\s*\d+)?\])?$")


def local_master(master: str, max_failures: int) -> str:
    """Rewrite ``local`` / ``local[N]`` to ``local[N,F]`` so failed tasks are retried.

    Spark runs a task once on a local master unless the master says otherwise;
    ``spark.task.maxFailures`` only applies to clusters.

    Example:
        >>> local_master("local[2]", 4)
        'local[2,4]'
        >>> local_master("spark://host:7077", 4)
        'spark://host:7077'
    """
    m = _LOCAL.match(master.strip())
    if not m:
        return master
    threads = m.group(2) or "1"
    if m.group(3):  # the user gave F explicitly
        return master
    return f"local[{threads},{max_failures}]"


def get_session(
    master: str | None = None,
    *,
    app_name: str = "losslab",
    max_failures: int = 4,
    conf: Mapping[str, str] | None = None,
) -> SparkSession:
    """The active SparkSession, or a new one.

    Args:
        master: Spark master URL: ``local[2]`` (default, or ``$LOSSLAB_SPARK_MASTER``),
            ``spark://host:7077``, ``yarn``, ``k8s://...``. Ignored when a session is
            already active (Spark allows one per process): stop it first to change master.
        app_name: the application name shown by the cluster manager.
        max_failures: attempts per task before the job fails (retries of failed trials).
        conf: extra Spark settings, applied last (they win over the defaults).

    Returns:
        A ``pyspark.sql.SparkSession``.

    Raises:
        LosslabError: pyspark is not installed or Java cannot start.

    Example:
        >>> spark = get_session()  # doctest: +SKIP
        >>> spark.range(3).count()  # doctest: +SKIP
        3
    """
    try:
        from pyspark.sql import SparkSession
    except ImportError as e:  # pragma: no cover - depends on the install
        raise LosslabError(
            "Spark support needs pyspark. Received: no pyspark module in this environment. "
            "Install it with `pip install 'losslab[spark]'` (and Java 17)."
        ) from e
    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    master = master or os.environ.get("LOSSLAB_SPARK_MASTER") or DEFAULT_MASTER
    is_local = bool(_LOCAL.match(master.strip()))
    # Executors run this interpreter (where losslab is installed) on local masters.
    if is_local:
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    settings: dict[str, Any] = {
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.shuffle.partitions": "4",
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        "spark.task.maxFailures": str(max_failures),
        "spark.executorEnv.KERAS_BACKEND": os.environ.get("KERAS_BACKEND", "jax"),
        "spark.executorEnv.TF_CPP_MIN_LOG_LEVEL": "3",
        "spark.python.worker.reuse": "true",
    }
    if is_local:
        settings.update(
            {
                "spark.driver.host": "127.0.0.1",
                "spark.driver.bindAddress": "127.0.0.1",
                "spark.driver.memory": os.environ.get("LOSSLAB_SPARK_DRIVER_MEMORY", "2g"),
                "spark.default.parallelism": "2",
            }
        )
    settings.update(dict(conf or {}))
    builder = SparkSession.builder.master(
        local_master(master, max_failures) if is_local else master
    ).appName(app_name)
    for key, value in settings.items():
        builder = builder.config(key, value)
    try:
        spark = builder.getOrCreate()
    except Exception as e:  # Java missing, port blocked, bad master URL
        raise LosslabError(
            f"Could not start Spark. Received: master={master!r}: {str(e).splitlines()[0]}. "
            "Check that Java 17 is installed (scripts/setup-system.sh) and the master URL is right."
        ) from e
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def stop_session() -> None:
    """Stop the active SparkSession, if any."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:  # pragma: no cover
        return
    active = SparkSession.getActiveSession()
    if active is not None:
        active.stop()
