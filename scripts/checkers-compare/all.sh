#!/usr/bin/env bash
# Every checker comparison with keepalived 2.2.7 in one VM boot (scripts/test.sh runs this): UDP/DNS/PING
# (scripts/datagram-checkers/inner.sh), then SMTP/FILE (scripts/checkers-compare/inner.sh), one after the other so
# that neither slows the other's timers. Fails if either fails or cannot run; prints each one's duration.
# (With --inside it is the part that runs in the VM.)
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
if [ "${1:-}" = --inside ]; then
  rc=0
  for s in datagram-checkers checkers-compare; do
    t0=$(date +%s)
    if bash scripts/$s/inner.sh; then r=passed; else r=FAILED; rc=1; fi
    echo "checker comparison $s: $r in $(( $(date +%s) - t0 ))s (in the VM)"
  done
  exit $rc
fi
start=$(date +%s)
rc=0
bash scripts/vm.sh --timeout 900 -- bash scripts/checkers-compare/all.sh --inside || rc=$?
echo "checker comparisons: $([ $rc = 0 ] && echo passed || echo FAILED) in $(( $(date +%s) - start ))s (one VM boot included)"
exit $rc
