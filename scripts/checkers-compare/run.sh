#!/usr/bin/env bash
# SMTP_CHECK and FILE_CHECK side by side in the VM: one keepalived.conf run at the same time by lvsd and by
# keepalived 2.2.7, each in a network namespace of its own with the same peers (aiosmtpd answering HELO with 250,
# aiosmtpd refusing HELO, a 554 greeting, a silent listener, a closed port) and its own track files, whose numbers
# change twice during the run; fails unless the two IPVS tables agree at each of the three steps, hold the expected
# entries, and both daemons log keepalived's lines. Needs a built lvsd (.build/debug/lvsd).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
start=$(date +%s)
rc=0
bash scripts/vm.sh --timeout 600 -- bash scripts/checkers-compare/inner.sh || rc=$?
echo "checkers-compare: $([ $rc = 0 ] && echo passed || echo FAILED) in $(( $(date +%s) - start ))s (VM boot included)"
exit $rc
