"""Shared test set-up: JAX unless KERAS_BACKEND says otherwise, quiet TensorFlow, and the
reference cases from ../shared (or $LOSSLAB_REFERENCE_CASES)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

os.environ.setdefault("KERAS_BACKEND", "jax")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import pytest  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


def _reference_dir() -> Path:
    env = os.environ.get("LOSSLAB_REFERENCE_CASES")
    if env:
        return Path(env)
    for cand in (REPO / "tests" / "data" / "reference-cases", REPO.parent / "shared" / "reference-cases"):
        if cand.is_dir():
            return cand
    raise FileNotFoundError(
        "Reference cases not found: expected tests/data/reference-cases (a copy of "
        "../shared/reference-cases) or LOSSLAB_REFERENCE_CASES pointing to them."
    )


def load_reference_cases(filename: str) -> list[dict[str, Any]]:
    with open(_reference_dir() / filename) as f:
        return json.load(f)


@pytest.fixture(scope="session")
def keras_backend() -> str:
    import keras

    return keras.backend.backend()
