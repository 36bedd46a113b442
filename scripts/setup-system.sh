#!/usr/bin/env bash
# System packages losslab's full test suite needs beyond Python: Java 17 for Spark,
# Chromium for the browser test of the HTML report (tests/report/test_browser.py).
# Installed only when missing; needs root (as on CI) or an existing install.
set -euo pipefail
need=()
if ! command -v java >/dev/null 2>&1; then need+=(openjdk-17-jre-headless); fi
if ! command -v chromium >/dev/null 2>&1 && ! command -v chromium-browser >/dev/null 2>&1; then need+=(chromium); fi
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = "0" ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  else
    echo "Missing system packages: ${need[*]}. Install them (e.g. sudo apt-get install ${need[*]})." >&2
    exit 1
  fi
fi
