#!/usr/bin/env bash
# The main job on bundled data: scikit-learn's diabetes table (442 rows, 10 features),
# `losslab run` = recommend -> fair comparison of the shortlist over 3 seeds -> leaderboard
# -> report.html -> the winner refit and exported (--refit) -> `losslab predict` on 42 rows
# held out of the training CSV. A few minutes on a 2-core machine.
set -euo pipefail
LOSSLAB=${LOSSLAB:-.venv/bin/losslab}
PY=${PY:-.venv/bin/python}
OUT=${OUT:-demo-run}
rm -rf "$OUT"
mkdir -p "$OUT"
$PY - "$OUT/diabetes.csv" "$OUT/holdout.csv" <<'PYEOF'
import sys
from sklearn.datasets import load_diabetes
frame = load_diabetes(as_frame=True).frame
holdout = frame.sample(n=42, random_state=0)  # never seen by the run: scored at the end
frame.drop(index=holdout.index).to_csv(sys.argv[1], index=False)
holdout.to_csv(sys.argv[2], index=False)
PYEOF
echo "== losslab recommend $OUT/diabetes.csv --target target"
$LOSSLAB recommend "$OUT/diabetes.csv" --target target
echo
echo "== losslab run $OUT/diabetes.csv --target target --seeds 3 --out $OUT/run --refit"
$LOSSLAB run "$OUT/diabetes.csv" --target target --seeds 3 --out "$OUT/run" --refit
echo
echo "== re-running the same command resumes: every trial is already stored, nothing is retrained"
$LOSSLAB run "$OUT/diabetes.csv" --target target --seeds 3 --out "$OUT/run" --quiet --no-report
echo
echo "== losslab predict $OUT/run $OUT/holdout.csv -o $OUT/predictions.parquet (42 held-out rows)"
$LOSSLAB predict "$OUT/run" "$OUT/holdout.csv" -o "$OUT/predictions.parquet"
echo
echo "The model: $OUT/run/model/model.keras (card: $OUT/run/model/card.md; loads with keras.saving.load_model alone)."
echo "Open $OUT/run/report.html; the stored run is in $OUT/run (format: docs/run-directory.md)."
