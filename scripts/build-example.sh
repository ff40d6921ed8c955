#!/usr/bin/env bash
# Set up a virtual environment, then validate the bundled example data and build the site into site/.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e .
.venv/bin/python -m generator build --quiet
cat <<'MSG'

查看网站（任选其一）：
  .venv/bin/python -m generator serve            # 打开 http://127.0.0.1:8000/ ，修改数据后自动刷新
  .venv/bin/python -m http.server -d site 8000   # 直接浏览已构建的 site/
MSG
