#!/usr/bin/env bash
# The README's screenshots of the Temporal web UI: `switchyard dev --demo` on its own ports and state;
# once the demo's second deployment holds 10% of production, its workflow page (docs/images/ui-canary.png);
# after the demo, a third deployment rolled back from its tests gate, and the workflow list that shows
# it failed beside the two that completed (docs/images/ui-list.png). Headless chromium, driven by
# scripts/cdp-screenshot.js. Needs a build (npm run build) and chromium (installed from Debian's
# packages when absent and run as root: apt-get install chromium).
# Usage: scripts/ui-screenshot.sh [output directory]   (default docs/images)
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-docs/images}"
if ! command -v chromium >/dev/null; then
  if [ "$(id -u)" = 0 ]; then apt-get install -y --no-install-recommends chromium >/dev/null
  else echo "ui-screenshot: chromium is missing: sudo apt-get install chromium" >&2; exit 1; fi
fi
state="$(mktemp -d)"
log="$state/dev.log"
node dist/cli/main.js dev --demo --temporal-port 17233 --ui-port 18233 --aws-port 15000 --state-dir "$state" >"$log" 2>&1 &
dev=$!
trap 'kill -INT $dev 2>/dev/null; wait $dev 2>/dev/null; rm -rf "$state"' EXIT
export TEMPORAL_ADDRESS=127.0.0.1:17233 AWS_ENDPOINT_URL=http://127.0.0.1:15000 AWS_REGION=us-east-1
switchyard() { node dist/cli/main.js "$@"; }

# Waits up to five minutes for a line of the demo's output.
await_line() {
  for _ in $(seq 600); do
    if grep -q -- "$1" "$log"; then return; fi
    if ! kill -0 $dev 2>/dev/null; then echo "ui-screenshot: switchyard dev ended:" >&2; tail -20 "$log" >&2; exit 1; fi
    sleep 0.5
  done
  echo "ui-screenshot: no '$1' within 5 minutes; see $log" >&2
  exit 1
}

mkdir -p "$out"
await_line 'production: 10% on'
canary="$(grep -o 'demo: watch it at .*' "$log" | sed -n 2p | cut -d' ' -f5)"
# Its timeline: the labelled timers (tests gate, approval, bake at N%) beside the activities.
node scripts/cdp-screenshot.js "${canary%/history}/timeline" "$out/ui-canary.png" 1440 1300 4000
echo "ui-screenshot: $out/ui-canary.png ($canary)"

await_line 'demo: done'
id="$(switchyard deploy -f examples/demo/spec.yaml --image 123456789012.dkr.ecr.us-east-1.amazonaws.com/web:1.27 --by ci)"
switchyard wait "$id" --for awaiting_tests --timeout 2m >/dev/null
switchyard rollback "$id" --by ci --reason 'smoke tests failed on the stage host'
# The list shows it Failed once the workflow has ended (wait exits 2 for rolled back).
code=0; switchyard wait "$id" --timeout 2m >/dev/null || code=$?
[ "$code" = 2 ] || { echo "ui-screenshot: deployment $id did not end rolled back (wait exited $code)" >&2; exit 1; }
node scripts/cdp-screenshot.js "http://127.0.0.1:18233/namespaces/default/workflows" "$out/ui-list.png" 1600 600 4000
echo "ui-screenshot: $out/ui-list.png"
