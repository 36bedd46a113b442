"""The hostile-input corpus: every command fed bad data, bad options, bad run directories,
damaged stored files and misbehaving custom loss modules.

Each case asserts the exit code, ONE ``Error:`` line on stderr matching what the user must
read (never a traceback), and that no existing file changed (the tree is hashed before and
after; a case about a new run may write under its own ``--out`` only). Commands run in this
process through :func:`losslab.cli.app.main` (fast); the cases that need a real process
(``kill -9``, Ctrl-C) are in tests/cli/test_hostile_process.py.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from losslab.cli.app import main
from tests.cli._hostile_workspace import (
    empty_first_trial,
    first_trial,
    overwrite,
    random_bytes,
    remove,
    replace_line,
    tree_hashes,
    write_modules,
    write_tables,
)

FAST = "--max-epochs 1 --seeds 1 -q --no-report"
#: The finished run of the workspace (``done``), re-run: a resume.
RESUME = "compare reg.csv -t y -l mse,mae --max-epochs 1 --seeds 2 --out done -q --no-report"
REPORT_FILES = ("done/report.html", "done/report.md", "done/summary.json")


@dataclass(frozen=True)
class Case:
    """One hostile input: the command line, the exit code, a regex the error line matches,
    the damage done to the workspace first, and the paths the command may write."""

    id: str
    args: str
    code: int
    match: str
    damage: Callable[[Path], None] | None = None
    writes: tuple[str, ...] = ("new",)


def C(id: str, args: str, code: int, match: str, damage=None, writes=("new",)) -> Case:  # noqa: N802
    return Case(id, args, code, match, damage, writes)


# fmt: off
CASES = [
    # ---------------------------------------------------------------- losses / explain
    C("losses-family", "losses --family banana", 2, r"banana"),
    C("losses-extra-arg", "losses extra", 2, r"(?i)unexpected extra argument"),
    C("losses-unknown-opt", "losses --wat", 2, r"No such option"),
    C("explain-unknown", "explain nope", 2, r"Unknown loss 'nope'.*losslab losses"),
    C("explain-params", "explain huber:delta=abc", 2, r"Unknown loss .*Did you mean: huber"),
    C("explain-empty", "explain ''", 2, r"(?i)loss"),
    C("explain-missing", "explain", 2, r"Missing argument"),
    # ---------------------------------------------------------------- recommend
    C("rec-missing-file", "recommend nofile.csv -t y", 2, r"Data file not found.*nofile\.csv"),
    C("rec-directory", "recommend adir -t y", 2, r"Expected a data file, got a directory"),
    C("rec-empty-file", "recommend empty.csv -t y", 2, r"is empty"),
    C("rec-header-only", "recommend header.csv -t y", 2, r"header but no rows"),
    C("rec-malformed", "recommend malformed.csv -t y", 2, r"Malformed CSV row .* line 3"),
    C("rec-xlsx", "recommend data.xlsx -t y", 2, r"Unsupported file type '\.xlsx'"),
    C("rec-bad-parquet", "recommend bad.parquet -t y", 2, r"Cannot read Parquet file"),
    C("rec-empty-parquet", "recommend empty.parquet -t y", 2, r"Cannot read Parquet file"),
    C("rec-dup-columns", "recommend dup.csv -t y", 2, r"Duplicate column names .*'x' \(2 times\)"),
    C("rec-latin1-header", "recommend latin1.csv -t y", 2, r"not UTF-8 .*iconv"),
    C("rec-latin1-values", "recommend latin1val.csv -t y", 2, r"Column 'y' .* not UTF-8"),
    C("rec-inf-target", "recommend inf.csv -t y", 2, r"6 infinite values"),
    C("rec-nan-target", "recommend nan.csv -t y", 2, r"no values: all 40 rows are missing"),
    C("rec-const-target", "recommend const.csv -t y", 2, r"single value \(5\)"),
    C("rec-no-target", "recommend reg.csv -t nope", 2, r"'nope' not found.*x, x2, y"),
    C("rec-blank-target", "recommend reg.csv -t ,", 2, r"(?i)target"),
    C("rec-bad-task", "recommend reg.csv -t y --task banana", 2, r"banana"),
    C("rec-bad-goal", "recommend reg.csv -t y --goal banana", 2, r"banana"),
    C("rec-bad-quantile", "recommend reg.csv -t y --goal quantile:7", 2, r"7"),
    C("rec-top-zero", "recommend reg.csv -t y --top 0", 2, r"--top"),
    C("rec-sample-small", "recommend reg.csv -t y --sample-size 5", 2, r"--sample-size"),
    C("rec-report-file", "recommend reg.csv -t y --report reg.csv", 2, r"needs a directory"),
    C("rec-report-run", "recommend reg.csv -t y --report done", 2, r"run directory .*overwrite"),
    C("rec-text-as-count", "recommend cls.csv -t y --task count", 2, r"count"),
    # ---------------------------------------------------------------- check (custom losses)
    C("check-unknown", "check nope", 2, r"(?i)nope"),
    C("check-no-module", "check nosuchmodule_xyz:f", 2, r"Could not import module 'nosuchmodule_xyz'"),
    C("check-syntax", "check hostile_syntax:oops", 2, r"(?i)hostile_syntax.*SyntaxError"),
    C("check-raises", "check hostile_raises:f", 2, r"raised RuntimeError: boom at import"),
    C("check-no-attr", "check hostile_attrs:missing", 2, r"has no attribute 'missing'"),
    C("check-not-callable", "check hostile_attrs:three", 2, r"(?i)three|int"),
    C("check-bad-param", "check huber -p delta=abc", 2, r"delta must be a number > 0, not text"),
    C("check-param-no-eq", "check huber -p delta", 2, r"(?i)name=value|delta"),
    C("check-unknown-param", "check huber -p wat=1", 2, r"wat"),
    C("check-only-bad", "check huber --only banana", 2, r"banana"),
    C("check-data-missing", "check huber --data nofile.npz", 2, r"nofile\.npz"),
    C("check-data-garbage", "check huber --data bad.npz", 2, r"bad\.npz"),
    C("check-data-empty", "check huber --data empty.npz", 2, r"empty\.npz"),
    C("check-backends-bad", "check huber --backends banana", 2, r"banana"),
    C("check-no-args", "check hostile_attrs:no_args", 2, r"takes \(y_true, y_pred\)"),
    C("check-family-bad", "check hostile_attrs:no_args --family banana", 2, r"banana|takes \(y_true, y_pred\)"),
    # ---------------------------------------------------------------- doctor
    C("doctor-no-model", "doctor nomodel.keras reg.csv -t y", 2, r"nomodel\.keras"),
    C("doctor-garbage-model", "doctor model.keras reg.csv -t y", 2, r"model\.keras"),
    C("doctor-factory-raises", "doctor hostile_model:factory reg.csv -t y", 2, r"no model today"),
    C("doctor-no-data", "doctor hostile_model:factory nofile.csv -t y", 2, r"nofile\.csv|no model today"),
    C("doctor-no-module", "doctor nosuchmodule_xyz:f reg.csv -t y", 2, r"nosuchmodule_xyz"),
    # ---------------------------------------------------------------- compare
    C("cmp-missing-file", f"compare nofile.csv -t y -l mse --out new {FAST}", 2, r"not found"),
    C("cmp-dup-columns", f"compare dup.csv -t y -l mse --out new {FAST}", 2, r"Duplicate column names"),
    C("cmp-latin1", f"compare latin1.csv -t y -l mse --out new {FAST}", 2, r"not UTF-8"),
    C("cmp-no-target", f"compare reg.csv -t nope -l mse --out new {FAST}", 2, r"'nope'"),
    C("cmp-unknown-loss", f"compare reg.csv -t y -l nope --out new {FAST}", 2, r"Unknown loss 'nope'"),
    C("cmp-bad-param", f"compare reg.csv -t y -l huber:delta=abc --out new {FAST}", 2, r"must be a number > 0, not text"),
    C("cmp-neg-param", f"compare reg.csv -t y -l huber:delta=-1 --out new {FAST}", 2, r"delta must be > 0"),
    C("cmp-empty-losses", f"compare reg.csv -t y -l , --out new {FAST}", 2, r"(?i)loss"),
    C("cmp-text-regression", f"compare textreg.csv -t y -l mse --task regression --out new {FAST}", 2, r"(?i)not numeric|numbers|text"),
    C("cmp-monitor", f"compare reg.csv -t y -l mse --monitor banana --out new {FAST}", 2, r"--monitor.*banana"),
    C("cmp-out-file", f"compare reg.csv -t y -l mse --out reg.csv {FAST}", 2, r"--out .*reg\.csv.* file"),
    C("cmp-out-stray", f"compare reg.csv -t y -l mse --out adir2 {FAST}", 2, r"not empty and holds no losslab manifest",
      damage=lambda d: (d / "adir2").mkdir() or (d / "adir2" / "notes.txt").write_text("mine")),
    C("cmp-nan-target", f"compare nan.csv -t y -l mse --out new {FAST}", 2, r"(?i)target .*(missing|no values)"),
    C("cmp-const-target", f"compare const.csv -t y -l mse --out new {FAST}", 2, r"(?i)single value"),
    C("cmp-inf-target", f"compare inf.csv -t y -l mse --out new {FAST}", 2, r"infinite"),
    C("cmp-many-classes", f"compare manycls.csv -t y -l sparse_categorical_crossentropy --out new {FAST}", 2, r"stratif"),
    C("cmp-ordinal-text", f"compare ord.csv -t y -l sparse_categorical_crossentropy --task ordinal --out new {FAST}", 2, r"ordinal target needs an order.*bird, cat, dog"),
    C("rec-ordinal-text", "recommend ord.csv -t y --task ordinal", 2, r"needs an order.*1-low, 2-mid, 3-high"),
    C("cmp-seeds-zero", f"compare reg.csv -t y -l mse --out new {FAST} --seeds 0", 2, r"--seeds"),
    C("cmp-seeds-huge", "compare reg.csv -t y -l mse --out new --max-epochs 1 --seeds 1000000 -q", 2, r"--seeds.*1000"),
    C("cmp-hidden-text", f"compare reg.csv -t y -l mse --hidden abc --out new {FAST}", 2, r"--hidden must be"),
    C("cmp-hidden-zero", f"compare reg.csv -t y -l mse --hidden 0 --out new {FAST}", 2, r"positive widths"),
    C("cmp-class-weight", f"compare reg.csv -t y -l mse --class-weight foo --out new {FAST}", 2, r"--class-weight must be 'balanced'"),
    C("cmp-engine", f"compare reg.csv -t y -l mse --engine banana --out new {FAST}", 2, r"Unknown engine 'banana'"),
    C("cmp-master-local", f"compare reg.csv -t y -l mse --master local[1] --out new {FAST}", 2, r"--master applies to --engine spark"),
    C("cmp-test-size", f"compare reg.csv -t y -l mse --test-size 1.5 --out new {FAST}", 2, r"test_size|--test-size"),
    C("cmp-val-size", f"compare reg.csv -t y -l mse --val-size -1 --out new {FAST}", 2, r"val_size|--val-size"),
    C("cmp-group", f"compare reg.csv -t y -l mse --group nope --out new {FAST}", 2, r"nope"),
    C("cmp-time", f"compare reg.csv -t y -l mse --time nope --out new {FAST}", 2, r"nope"),
    C("cmp-metric", f"compare reg.csv -t y -l mse --metric banana --out new {FAST}", 2, r"banana"),
    C("cmp-goal", f"compare reg.csv -t y -l mse --goal banana --out new {FAST}", 2, r"banana"),
    C("cmp-quantile", f"compare reg.csv -t y -l mse --goal quantile --quantile 2 --out new {FAST}", 2, r"quantile"),
    C("cmp-task", f"compare reg.csv -t y -l mse --task banana --out new {FAST}", 2, r"banana"),
    C("cmp-cls-loss-on-reg", f"compare reg.csv -t y -l binary_crossentropy --task regression --out new {FAST}", 2, r"binary_crossentropy"),
    C("cmp-other-config", f"compare reg.csv -t y -l mae --out done {FAST}", 2, r"another configuration", writes=()),
    C("cmp-other-data", f"compare cls.csv -t y -l mse --task regression --out done {FAST}", 2, r"(?i)different data|another configuration|numbers|text", writes=()),
    C("cmp-sample-text", f"compare reg.csv -t y -l mse --sample abc --out new {FAST}", 2, r"--sample must be a whole number.*'abc'"),
    C("cmp-sample-zero", f"compare reg.csv -t y -l mse --sample 0 --out new {FAST}", 2, r"--sample must be a whole number.*'0'"),
    C("cmp-sample-negative", f"compare reg.csv -t y -l mse --sample=-5 --out new {FAST}", 2, r"--sample must be a whole number.*'-5'"),
    C("cmp-sample-float", f"compare reg.csv -t y -l mse --sample 0.5 --out new {FAST}", 2, r"--sample must be a whole number.*'0.5'"),
    C("cmp-sample-too-big", f"compare reg.csv -t y -l mse --sample 10000000 --out new {FAST}", 2, r"--sample 10000000 asks for more rows than the table has"),
    C("cmp-sample-threshold", f"compare reg.csv -t y -l mse --sample-threshold 0 --out new {FAST}", 2, r"--sample-threshold must be"),
    # ---------------------------------------------------------------- fit (out of core)
    C("fit-missing-file", "fit nofile.parquet -t y -l mse --out new -q", 2, r"Data not found.*nofile\.parquet"),
    C("fit-bad-parquet", "fit bad.parquet -t y -l mse --out new -q", 2, r"^Error: Cannot read Parquet file 'bad\.parquet': .*[^.]\. Check that it is a Parquet file\.$"),
    C("fit-empty-parquet", "fit empty.parquet -t y -l mse --out new -q", 2, r"^Error: Cannot read Parquet file 'empty\.parquet': .*0 bytes\. Check that it is a Parquet file\.$"),
    C("fit-no-target", "fit reg.csv -t nope -l mse --out new -q", 2, r"No target column 'nope'.*Received columns"),
    C("fit-unknown-loss", "fit reg.csv -t y -l nope --out new -q", 2, r"Unknown loss 'nope'"),
    C("fit-val-fraction", "fit reg.csv -t y -l mse --val-fraction 1.5 --out new -q", 2, r"^Error: --val-fraction must be in \[0, 1\)\. Received: --val-fraction 1\.5\.$"),
    C("fit-class-weight-regression", "fit reg.csv -t y -l mse --class-weight balanced --out new -q", 2, r"class_weight applies to classification fits"),
    C("fit-workers-zero", "fit reg.csv -t y -l mse --engine spark --workers 0 --out new -q", 2, r"^Error: --workers must be at least 1\. Received: --workers 0\.$"),
    C("fit-epochs-zero", "fit reg.csv -t y -l mse --epochs 0 --out new -q", 2, r"^Error: --epochs must be at least 1\. Received: --epochs 0\.$"),
    # ---------------------------------------------------------------- run
    C("run-sample-text", f"run reg.csv -t y --sample lots --out new {FAST}", 2, r"--sample must be a whole number.*'lots'"),
    C("run-missing-file", f"run nofile.csv -t y --out new {FAST}", 2, r"not found"),
    C("run-dup", f"run dup.csv -t y --out new {FAST}", 2, r"Duplicate column names"),
    C("run-latin1", f"run latin1.csv -t y --out new {FAST}", 2, r"not UTF-8"),
    C("run-inf", f"run inf.csv -t y --out new {FAST}", 2, r"infinite"),
    C("run-task", f"run reg.csv -t y --task banana --out new {FAST}", 2, r"banana"),
    C("run-out-file", f"run reg.csv -t y --out reg.csv {FAST}", 2, r"--out .*reg\.csv.* file"),
    C("run-top-zero", f"run reg.csv -t y --top 0 --out new {FAST}", 2, r"--top"),
    C("run-add-unknown", f"run reg.csv -t y --add nope --out new {FAST}", 2, r"Unknown loss 'nope'"),
    # ---------------------------------------------------------------- tune
    C("tune-n-zero", "tune reg.csv -t y -l mse -n 0 --out new -q", 2, r"--n-trials"),
    C("tune-lr", "tune reg.csv -t y -l mse -n 1 --lr-min 0 --out new -q", 2, r"learning_rate|--lr-min"),
    C("tune-lr-order", "tune reg.csv -t y -l mse -n 1 --lr-min 0.1 --lr-max 0.01 --out new -q", 2, r"learning_rate|--lr"),
    C("tune-batch-text", "tune reg.csv -t y -l mse -n 1 --batch-sizes abc --out new -q", 2, r"--batch-sizes|batch"),
    C("tune-batch-zero", "tune reg.csv -t y -l mse -n 1 --batch-sizes 0 --out new -q", 2, r"batch"),
    C("tune-unknown-loss", "tune reg.csv -t y -l nope -n 1 --out new -q", 2, r"Unknown loss 'nope'"),
    C("tune-out-file", "tune reg.csv -t y -l mse -n 1 --out reg.csv -q", 2, r"--out .*reg\.csv.* file"),
    C("tune-dup", "tune dup.csv -t y -l mse -n 1 --out new -q", 2, r"Duplicate column names"),
    C("tune-bad-param", "tune reg.csv -t y -l huber:delta=abc -n 1 --out new -q", 2, r"not text"),
    # ---------------------------------------------------------------- evaluate
    C("ev-missing-file", "evaluate nofile.csv -y y -p p -l mse", 2, r"not found"),
    C("ev-header-only", "evaluate evhdr.csv -y y -p p -l mse", 2, r"No rows to evaluate"),
    C("ev-latin1", "evaluate latin1.csv -y y -p x -l mse", 2, r"not UTF-8"),
    C("ev-dup", "evaluate dup.csv -y y -p x -l mse", 2, r"Duplicate column names"),
    C("ev-bad-param", "evaluate ev.csv -y y -p p -l huber:delta=abc", 2, r"not text"),
    C("ev-unknown-loss", "evaluate ev.csv -y y -p p -l nope", 2, r"Unknown loss 'nope'"),
    C("ev-bad-parquet", "evaluate bad.parquet -y y -p p -l mse", 2, r"Cannot read Parquet"),
    C("ev-no-label", "evaluate ev.csv -y nope -p p -l mse", 2, r"nope"),
    C("ev-text-pred", "evaluate ev.csv -y y -p s -l mse", 2, r"'s'"),
    C("ev-text-weight", "evaluate ev.csv -y y -p p -w s -l mse", 2, r"'s'"),
    C("ev-master-local", "evaluate ev.csv -y y -p p -l mse --master local[1]", 2, r"--master applies"),
    C("ev-reduction", "evaluate ev.csv -y y -p p -l mse --reduction banana", 2, r"banana"),
    C("ev-nan", "evaluate ev.csv -y y -p p -l mse --nan banana", 2, r"banana"),
    # Spark: the schema is read with pyarrow before any JVM starts (pyspark installed or not)
    C("ev-spark-bad-parquet", "evaluate bad.parquet -y y -p p -l mse --engine spark", 2, r"Cannot read Parquet file 'bad\.parquet'"),
    C("ev-spark-no-column", "evaluate ev.csv -y nope -p p -l mse --engine spark", 2, r"Column 'nope' not found in 'ev\.csv'"),
    # ---------------------------------------------------------------- report (stored files)
    C("rep-missing", "report nodir", 2, r"nodir"),
    C("rep-file", "report reg.csv", 2, r"reg\.csv"),
    C("rep-empty-dir", "report adir", 2, r"adir"),
    C("rep-manifest-garbage", "report done", 2, r"manifest\.json", random_bytes("done/manifest.json"), REPORT_FILES),
    C("rep-manifest-empty", "report done", 2, r"manifest\.json", overwrite("done/manifest.json", b""), REPORT_FILES),
    C("rep-manifest-list", "report done", 2, r"manifest\.json", overwrite("done/manifest.json", b"[1, 2]"), REPORT_FILES),
    C("rep-split-garbage", "report done", 0, r"Left out the data figures: Cannot read .*split\.npz", random_bytes("done/data/split.npz"), REPORT_FILES),
    C("rep-split-empty", "report done", 0, r"Left out the data figures: .*split\.npz' \(0 bytes\)", overwrite("done/data/split.npz", b""), REPORT_FILES),
    C("rep-preprocess-garbage", "report done", 0, r"Left out data/preprocess\.json", random_bytes("done/data/preprocess.json"), REPORT_FILES),
    C("rep-preprocess-list", "report done", 0, r"preprocess\.json.*expected a JSON dict", overwrite("done/data/preprocess.json", b"[]"), REPORT_FILES),
    C("rep-trial-npz-garbage", "report done", 0, r"Left out the test predictions of trial .*\.npz", first_trial("done", "npz"), REPORT_FILES),
    C("rep-trial-npz-empty", "report done", 0, r"Left out the test predictions of trial .*\(0 bytes\)", empty_first_trial("done", "npz"), REPORT_FILES),
    C("rep-jsonl-binary", "report done", 0, r"Left out trials\.jsonl line 1 \(not valid JSON\), a damaged record", replace_line("done/trials.jsonl", 0, b"\x00\xff\xfe garbage\n"), REPORT_FILES),
    C("rep-jsonl-middle", "report done", 0, r"Left out trials\.jsonl line 2 \(not valid JSON\).*leaderboard\.json may count it", replace_line("done/trials.jsonl", 1, b'{"trial_id": "mse--se\n'), REPORT_FILES),
    C("rep-jsonl-not-record", "report done", 0, r"trials\.jsonl line 3 \(not a trial record\)", replace_line("done/trials.jsonl", 2, b"[1, 2, 3]\n"), REPORT_FILES),
    C("rep-leaderboard-garbage", "report done", 0, r"Left out leaderboard\.json", random_bytes("done/leaderboard.json"), REPORT_FILES),
    C("rep-no-manifest", "report done", 2, r"manifest", remove("done/manifest.json"), REPORT_FILES),
    # ---------------------------------------------------------------- resuming a damaged run
    C("resume-jsonl-binary", RESUME, 0, r"left out trials\.jsonl line 1 \(not valid JSON\), a damaged record: it is not counted", replace_line("done/trials.jsonl", 0, b"\xff\xfe\x00\n"), ("done",)),
    C("resume-init-garbage", RESUME, 2, r"initial weights .*seed-0\.npz.* damaged", random_bytes("done/init/seed-0.npz"), ("done",)),
    C("resume-init-empty", RESUME, 2, r"initial weights .*seed-1\.npz.* damaged", overwrite("done/init/seed-1.npz", b""), ("done",)),
    C("resume-manifest-garbage", RESUME, 2, r"manifest\.json", random_bytes("done/manifest.json"), ("done",)),
    C("resume-other-seeds", RESUME.replace("--seeds 2", "--seeds 3"), 2, r"another configuration \(different: seeds\)", None, ("done",)),
]
# fmt: on


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The workspace every case starts from: the tables, the modules and one finished run."""
    d = tmp_path_factory.mktemp("hostile-base")
    write_tables(d)
    write_modules(d)
    cwd = Path.cwd()
    os.chdir(d)
    try:
        code = main(shlex.split(RESUME.replace(" --no-report", "")))
    finally:
        os.chdir(cwd)
    assert code == 0
    return d


def run_case(case: Case, base: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
             monkeypatch: pytest.MonkeyPatch) -> tuple[int, str]:  # fmt: skip
    work = tmp_path / "w"
    shutil.copytree(base, work)
    if case.damage is not None:
        case.damage(work)
    monkeypatch.chdir(work)
    before = tree_hashes(work, case.writes)
    capsys.readouterr()
    code = main(shlex.split(case.args))
    err = capsys.readouterr().err
    after = tree_hashes(work, case.writes)
    changed = sorted(k for k in before if before[k] != after.get(k))
    assert not changed, f"{case.id}: existing files changed: {changed}"
    return code, err


def check_error(case: Case, code: int, err: str) -> None:
    assert "Traceback" not in err, err
    if case.code == 0:  # it ran, and said on stderr what it left out
        assert code == 0, f"{case.id}: exit {code}, stderr:\n{err}"
        notes = [ln for ln in err.splitlines() if ln.startswith("Note:")]
        assert any(re.search(case.match, n) for n in notes), (
            f"{case.id}: no note ~ {case.match!r}:\n{err}"
        )
        assert "Error:" not in err
        return
    lines = [ln for ln in err.splitlines() if ln.startswith("Error:")]
    assert len(lines) == 1, f"{case.id}: expected one Error line, got:\n{err}"
    assert code == case.code, f"{case.id}: exit {code}, stderr:\n{err}"
    assert re.search(case.match, lines[0]), f"{case.id}: {lines[0]!r} !~ {case.match!r}"
    assert not re.search(r"(?<!\.)\.\.(?!\.)", lines[0]), f"{case.id}: a doubled period: {lines[0]!r}"
    assert "Unexpected" not in lines[0], f"{case.id}: the last resort answered: {lines[0]}"


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_hostile(case: Case, base: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                 monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    code, err = run_case(case, base, tmp_path, capsys, monkeypatch)
    check_error(case, code, err)


def test_corpus_covers_every_command() -> None:
    commands = {c.args.split()[0] for c in CASES}
    assert commands >= {"losses", "explain", "recommend", "check", "doctor", "compare", "run",
                        "tune", "report", "evaluate"}  # fmt: skip
    assert len(CASES) >= 80


def test_left_out_records_are_named_in_every_report_view(
    base: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A damaged middle line of trials.jsonl: the report renders and says what it left out."""
    import json

    work = tmp_path / "w"
    shutil.copytree(base, work)
    replace_line("done/trials.jsonl", 1, b"\x00 not json\n")(work)
    monkeypatch.chdir(work)
    assert main(["report", "done", "-q"]) == 0
    want = "Left out trials.jsonl line 2 (not valid JSON), a damaged record"
    summary = json.loads((work / "done" / "summary.json").read_text())
    assert any(want in n for n in summary["notes"])
    assert want in (work / "done" / "report.md").read_text()
    assert want in (work / "done" / "report.html").read_text()


def test_a_locked_run_directory_is_refused(
    base: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A second writer is refused with the holder named, and trains nothing."""
    from losslab.experiment.lock import RunLock

    work = tmp_path / "w"
    shutil.copytree(base, work)
    monkeypatch.chdir(work)
    before = tree_hashes(work, ("done/.lock",))
    with RunLock(work / "done"):
        capsys.readouterr()
        code = main(shlex.split(RESUME))
    err = capsys.readouterr().err
    assert code == 2, err
    (line,) = [ln for ln in err.splitlines() if ln.startswith("Error:")]
    assert re.search(rf"'done' is in use by pid {os.getpid()} on .*another --out", line), line
    assert tree_hashes(work, ("done/.lock",)) == before
    assert main(shlex.split(RESUME)) == 0  # released: the same command now resumes


def test_the_seed_limit_is_the_same_in_the_cli_and_the_api() -> None:
    from losslab.cli.commands._options import MAX_SEEDS as CLI_MAX
    from losslab.experiment.config import MAX_SEEDS, seed_list

    assert CLI_MAX == MAX_SEEDS
    with pytest.raises(ValueError, match="seeds must be at most 1000"):
        seed_list(1_000_000)


def test_dates_become_one_number_and_rank_prefixes_order_ordinal_classes(
    base: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ISO dates are one feature (days since 1970), not one one-hot column per date; ordinal
    labels with a rank prefix are ordered by it (10-high after 2-mid), not alphabetically."""
    import json

    monkeypatch.chdir(tmp_path)
    shutil.copy(base / "dates.csv", tmp_path / "dates.csv")
    args = "-l mse --max-epochs 1 --seeds 1 -q --no-report"
    assert main(shlex.split(f"compare dates.csv -t y {args} --out d")) == 0
    pre = json.loads((tmp_path / "d" / "data" / "preprocess.json").read_text())
    assert pre["dates"] == ["d"] and pre["features"] == ["d", "x"]
    labels = ["1-low", "2-mid", "10-high"]
    rows = "".join(f"{i / 10},{labels[i % 3]}\n" for i in range(60))
    (tmp_path / "ord.csv").write_text("x,y\n" + rows)
    loss = "-l sparse_categorical_crossentropy --max-epochs 1 --seeds 1 -q --no-report"
    assert main(shlex.split(f"compare ord.csv -t y --task ordinal {loss} --out o")) == 0
    manifest = json.loads((tmp_path / "o" / "manifest.json").read_text())
    assert manifest["task"]["classes"] == labels
    assert any("numeric prefix" in r for r in manifest["task"]["reasons"])
