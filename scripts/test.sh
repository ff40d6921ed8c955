#!/usr/bin/env bash
# Set up a virtual environment with the test dependencies and run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".[test]"
[ -x "${JX_CHROMIUM:-/usr/bin/chromium}" ] || echo "未找到 Chromium：浏览器测试（tests/browser）将跳过；安装：sudo apt-get install chromium" >&2
exec .venv/bin/python -m pytest "$@"
