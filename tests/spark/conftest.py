"""One local Spark session for the whole test run (all Spark tests share one JVM), and an
opt-in standalone cluster (``spark_cluster``: a master and two workers as separate processes,
started once per test run; its teardown checks that stopping it leaves no process behind).

Spark tests are marked ``spark`` and grouped with ``xdist_group("spark")`` so that under
``pytest -n 2 --dist loadgroup`` they all run in one worker.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    pytest.importorskip("pyspark", reason="pyspark is not installed (pip install 'losslab[spark]')")
    from losslab.spark.session import get_session

    session = get_session("local[2]", app_name="losslab-tests")
    yield session
    session.stop()


@pytest.fixture(scope="session")
def spark_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A standalone Spark cluster (a master and two 1-core workers, separate processes).

    Opt-in: only tests that ask for it start it, once per test run. Drivers that use it run
    in their own subprocess (see ``tests/spark/test_cluster.py``), since this process may
    already hold the shared ``local[2]`` session.
    """
    pytest.importorskip("pyspark", reason="pyspark is not installed (pip install 'losslab[spark]')")
    import shutil

    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        pytest.skip("a Spark cluster needs Java 17 (scripts/setup-system.sh)")
    from tests.spark.cluster import StandaloneCluster, group_members, pid_running

    cluster = StandaloneCluster(tmp_path_factory.mktemp("spark-cluster"))
    pids: list[int] = []
    try:
        cluster.start(workers=2)
        yield cluster
    finally:
        pids = cluster.pids  # the master and the workers of the moment (killed ones replaced)
        cluster.stop()
    # stop() leaves no process behind: checked here, on the cluster every test used, so that
    # no test has to start a second cluster for it (a failure shows as a teardown error)
    time.sleep(0.5)
    assert [p for p in pids if pid_running(p)] == [], "cluster daemons still running after stop()"
    assert [p for pid in pids for p in group_members(pid)] == [], "cluster processes left after stop()"
