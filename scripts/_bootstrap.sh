# Shared set-up for scripts/demo and scripts/test: a Python 3.11+ and uv, then the locked environment.
# Sourced, not run. Installs only from package registries; safe to run again (does nothing twice).
set -euo pipefail
export UV_PYTHON_DOWNLOADS=never
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if ! command -v uv >/dev/null 2>&1; then
  echo "== installing uv (pip)"
  python3 -m pip install --quiet --disable-pip-version-check uv
fi

# PDF reports: WeasyPrint subsets the embedded CJK font with HarfBuzz's subsetter (Debian's
# libharfbuzz-subset0; pango, which WeasyPrint needs, ships with the machine). Without it WeasyPrint
# falls back to fontTools, about 25 times slower per PDF.
if ! ldconfig -p 2>/dev/null | grep -q "libharfbuzz-subset.so.0"; then
  echo "== installing libharfbuzz-subset0 (apt-get)"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libharfbuzz-subset0 libpango-1.0-0 libpangoft2-1.0-0 >/dev/null
fi
