#!/usr/bin/env bash
# The main job on bundled data: scikit-learn's diabetes table (442 rows, 10 features),
# `losslab run` = recommend -> fair comparison of the shortlist over 3 seeds -> leaderboard
# -> report.html. A few minutes on a 2-core machine.
set -euo pipefail
LOSSLAB=${LOSSLAB:-.venv/bin/losslab}
PY=${PY:-.venv/bin/python}
OUT=${OUT:-demo-run}
rm -rf "$OUT"
mkdir -p "$OUT"
$PY - "$OUT/diabetes.csv" <<'PYEOF'
import sys
from sklearn.datasets import load_diabetes
load_diabetes(as_frame=True).frame.to_csv(sys.argv[1], index=False)
PYEOF
echo "== losslab recommend $OUT/diabetes.csv --target target"
$LOSSLAB recommend "$OUT/diabetes.csv" --target target
echo
echo "== losslab run $OUT/diabetes.csv --target target --seeds 3 --out $OUT/run"
$LOSSLAB run "$OUT/diabetes.csv" --target target --seeds 3 --out "$OUT/run"
echo
echo "== re-running the same command resumes: every trial is already stored, nothing is retrained"
$LOSSLAB run "$OUT/diabetes.csv" --target target --seeds 3 --out "$OUT/run" --quiet --no-report
echo
echo "Open $OUT/run/report.html; the stored run is in $OUT/run (format: docs/run-directory.md)."
