# Shared set-up for scripts/demo and scripts/test: a Python 3.11+ and uv, then the locked environment.
# Sourced, not run. Installs only from package registries; safe to run again (does nothing twice).
set -euo pipefail
export UV_PYTHON_DOWNLOADS=never
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if ! command -v uv >/dev/null 2>&1; then
  echo "== installing uv (pip)"
  python3 -m pip install --quiet --disable-pip-version-check uv
fi
