#!/usr/bin/env bash
# The README's screenshot of the Temporal web UI during a canary: `switchyard dev --demo` on its own
# ports and state, and once the demo's second deployment holds 10% of production, Debian's headless
# chromium photographs its workflow page. Needs a build (npm run build) and chromium (installed from
# Debian's packages when absent and run as root: apt-get install chromium).
# Usage: scripts/ui-screenshot.sh [output.png]   (default docs/images/ui-canary.png)
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-docs/images/ui-canary.png}"
if ! command -v chromium >/dev/null; then
  if [ "$(id -u)" = 0 ]; then apt-get install -y --no-install-recommends chromium >/dev/null
  else echo "ui-screenshot: chromium is missing: sudo apt-get install chromium" >&2; exit 1; fi
fi
state="$(mktemp -d)"
log="$state/dev.log"
node dist/cli/main.js dev --demo --temporal-port 17233 --ui-port 18233 --aws-port 15000 --state-dir "$state" >"$log" 2>&1 &
dev=$!
trap 'kill -INT $dev 2>/dev/null; wait $dev 2>/dev/null; rm -rf "$state"' EXIT
# The second deployment's page, once production sends it 10%.
for _ in $(seq 600); do
  url="$(grep -o 'demo: watch it at .*' "$log" | sed -n 2p | cut -d' ' -f5 || true)"
  if [ -n "$url" ] && grep -q 'production: 10% on' "$log"; then break; fi
  if ! kill -0 $dev 2>/dev/null; then echo "ui-screenshot: switchyard dev ended:" >&2; tail -20 "$log" >&2; exit 1; fi
  sleep 0.5
done
[ -n "$url" ] || { echo "ui-screenshot: no canary within 5 minutes; see $log" >&2; exit 1; }
mkdir -p "$(dirname "$out")"
chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking \
  --disable-component-update --disable-sync --user-data-dir="$state/chromium" --hide-scrollbars \
  --window-size=1440,1000 --virtual-time-budget=8000 --screenshot="$out" "$url" 2>/dev/null
echo "ui-screenshot: $out ($url)"
