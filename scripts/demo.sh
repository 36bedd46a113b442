#!/usr/bin/env bash
# The main job on bundled data. Later issues upgrade this to `losslab run`.
set -euo pipefail
LOSSLAB=.venv/bin/losslab
$LOSSLAB losses
$LOSSLAB explain huber
