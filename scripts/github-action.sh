#!/usr/bin/env bash
# The GitHub Action's logic (action.yml runs it; the tests run it against the embedded stack): start a
# deployment from a spec, or steer one already running (a tests verdict, an approval), then wait for the
# phase asked for and report: step outputs deployment-id, phase and reason, a job summary, an ::error
# annotation, and the exit code of `switchyard wait` (0 reached, 2 rolled back, 1 failed or refused,
# 124 timed out). No background jobs: every command runs in the foreground and its code is kept.
#
# Inputs (environment): SPEC or DEPLOYMENT (one of them), IMAGE, TESTS (passed|failed), TESTS_REASON,
# APPROVE (true|false), BY, WAIT_FOR (a phase, default active), TIMEOUT (e.g. 30m), and the Temporal
# settings as TEMPORAL_* variables. SWITCHYARD is the CLI to run (default: this checkout's build).
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
read -r -a cli <<< "${SWITCHYARD:-node $here/dist/cli/main.js}"
: "${GITHUB_OUTPUT:=/dev/null}" "${GITHUB_STEP_SUMMARY:=/dev/null}"
SPEC="${SPEC:-}" DEPLOYMENT="${DEPLOYMENT:-}" IMAGE="${IMAGE:-}" TESTS="${TESTS:-}" TESTS_REASON="${TESTS_REASON:-}"
APPROVE="${APPROVE:-false}" BY="${BY:-${GITHUB_ACTOR:-github-actions}}" WAIT_FOR="${WAIT_FOR:-active}"
TIMEOUT="${TIMEOUT:-}"
errors="$(mktemp)"
trap 'rm -f "$errors"' EXIT

# A workflow command's data: %, CR and LF escaped as the runner expects.
escape() {
  local s="${1//'%'/'%25'}"
  s="${s//$'\r'/'%0D'}"
  printf '%s' "${s//$'\n'/'%0A'}"
}

output() { printf '%s=%s\n' "$1" "${2//$'\n'/ }" >> "$GITHUB_OUTPUT"; }

# One field of a JSON document on stdin ('' when absent), with the Node the CLI runs on.
field() { node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{try{const v=JSON.parse(s)[process.argv[1]];process.stdout.write(v===undefined?"":String(v))}catch{}})' "$1"; }

# Reports and exits: outputs, summary, an annotation unless it went as asked.
finish() {
  local code="$1" phase="$2" reason="$3"
  output deployment-id "$DEPLOYMENT"
  output phase "$phase"
  output reason "$reason"
  {
    echo "### Switchyard: ${DEPLOYMENT:-no deployment}"
    echo
    echo "| | |"
    echo "|---|---|"
    echo "| deployment | \`${DEPLOYMENT:-none}\` |"
    echo "| phase | **${phase}** |"
    [ -n "$reason" ] && echo "| reason | ${reason//|/\\|} |"
    [ -n "$IMAGE" ] && echo "| image | \`$IMAGE\` |"
    echo "| waited for | $WAIT_FOR |"
    echo "| exit code | $code |"
  } >> "$GITHUB_STEP_SUMMARY"
  if [ "$code" -ne 0 ]; then
    echo "::error title=Switchyard deployment ${DEPLOYMENT:-not started}::$(escape "${phase}${reason:+: $reason}")"
  fi
  exit "$code"
}

# Runs the CLI: stdout as is, stderr shown as it comes and kept for the annotation; the CLI's exit code.
run() {
  { "${cli[@]}" "$@" 2>&1 1>&3 3>&- | tee "$errors" >&2; } 3>&1
  return "${PIPESTATUS[0]}"
}
last_error() { sed -e 's/^switchyard: //' "$errors" | tail -1; }

if { [ -n "$SPEC" ] && [ -n "$DEPLOYMENT" ]; } || { [ -z "$SPEC" ] && [ -z "$DEPLOYMENT" ]; }; then
  finish 1 refused "give either spec (to start a deployment) or deployment (to steer and wait on one), not both or neither"
fi
case "$TESTS" in '' | passed | failed) ;; *) finish 1 refused "tests must be passed or failed, not \"$TESTS\"" ;; esac
case "$APPROVE" in true | false) ;; *) finish 1 refused "approve must be true or false, not \"$APPROVE\"" ;; esac

if [ -n "$SPEC" ]; then
  args=(deploy -f "$SPEC" --by "$BY" -o json)
  [ -n "$IMAGE" ] && args+=(--image "$IMAGE")
  started="$(run "${args[@]}")" || finish 1 refused "$(last_error)"
  DEPLOYMENT="$(field deploymentId <<< "$started")"
  echo "deployment $DEPLOYMENT started"
fi

if [ -n "$TESTS" ]; then
  verdict=("tests-$TESTS" "$DEPLOYMENT" --by "$BY")
  [ "$TESTS" = failed ] && verdict+=(--reason "${TESTS_REASON:-tests failed in CI}")
  run "${verdict[@]}" || finish 1 refused "$(last_error)"
fi
if [ "$APPROVE" = true ]; then
  run approve "$DEPLOYMENT" --by "$BY" || finish 1 refused "$(last_error)"
fi

wait_args=(wait "$DEPLOYMENT" -o json)
[ "$WAIT_FOR" != active ] && wait_args+=(--for "$WAIT_FOR")
[ -n "$TIMEOUT" ] && wait_args+=(--timeout "$TIMEOUT")
waited="$(run "${wait_args[@]}")"
code=$?
if [ -n "$waited" ]; then
  finish "$code" "$(field phase <<< "$waited")" "$(field reason <<< "$waited")"
fi
# No answer (a timeout, Temporal unreachable): the phase as status reads it now, and what wait said.
reason="$(last_error)"
phase="$("${cli[@]}" status "$DEPLOYMENT" -o json 2> /dev/null | field phase)"
finish "$code" "${phase:-unknown}" "$reason"
