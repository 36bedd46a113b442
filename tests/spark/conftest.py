"""One local Spark session for the whole test run (all Spark tests share one JVM).

Spark tests are marked ``spark`` and grouped with ``xdist_group("spark")`` so that under
``pytest -n 2 --dist loadgroup`` they all run in one worker.
"""

from __future__ import annotations

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
