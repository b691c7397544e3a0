#!/usr/bin/env bash
# Runs one secwg subcommand for the root action.yml. Inputs arrive as
# SECWG_INPUT_* variables, never spliced into this script, so no input can
# run shell code; SECWG_BIN is the secwg binary the action built.
set -euo pipefail

secwg="${SECWG_BIN:?SECWG_BIN must name the secwg binary}"
command="${SECWG_INPUT_COMMAND:-action}"
# Word-split without globbing or expansion: args and paths are lists of words.
read -r -a args <<<"$(printf '%s' "${SECWG_INPUT_ARGS:-}" | tr '\n' ' ')"

case "$command" in
lint)
  read -r -a paths <<<"$(printf '%s' "${SECWG_INPUT_PATHS:-}" | tr '\n' ' ')"
  if [ "${#paths[@]}" -eq 0 ]; then
    echo "::error title=secwg lint::no paths to check: set the action's paths input"
    exit 2
  fi
  config=()
  if [ -n "${SECWG_INPUT_LINT_CONFIG:-}" ]; then
    config=(--config "$SECWG_INPUT_LINT_CONFIG")
  fi
  status=0
  # Findings become annotations on the changed lines.
  "$secwg" lint --format github "${config[@]}" "${args[@]}" "${paths[@]}" || status=$?
  if [ -n "${SECWG_INPUT_SARIF:-}" ]; then
    sarif=0
    "$secwg" lint --format sarif "${config[@]}" "${args[@]}" "${paths[@]}" >"$SECWG_INPUT_SARIF" || sarif=$?
    # 1 means findings, already reported; anything else is a failure to check.
    if [ "$sarif" -gt 1 ]; then
      exit "$sarif"
    fi
    echo "secwg lint: SARIF written to $SECWG_INPUT_SARIF"
  fi
  if [ "$status" -eq 1 ] && [ "${SECWG_INPUT_FAIL_ON_FINDINGS:-true}" = "false" ]; then
    exit 0
  fi
  exit "$status"
  ;;
action)
  exec "$secwg" action "${args[@]}"
  ;;
*)
  exec "$secwg" "$command" "${args[@]}"
  ;;
esac
