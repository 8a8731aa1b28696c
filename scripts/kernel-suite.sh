#!/usr/bin/env bash
# Runs the kernel suite (test target KernelTests) inside the real-kernel VM and prints
# "kernel: N passed, M failed". Extra arguments are passed to the test binary (e.g. --filter NAME).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bin=$(swift build --show-bin-path)
xctest="$bin/LVSPackageTests.xctest"
[ -x "$xctest" ] || { echo "kernel-suite: $xctest missing; run swift build --build-tests" >&2; exit 1; }
mkdir -p .build/vm-results
rm -f .build/vm-results/kernel.xml
filter=("$@")
[ ${#filter[@]} -gt 0 ] || filter=(--filter KernelTests)
set +e
bash scripts/vm.sh --timeout "${KERNEL_SUITE_TIMEOUT:-2400}" -- \
    "$xctest" --testing-library swift-testing --xunit-output .build/vm-results/kernel.xml "${filter[@]}"
rc=$?
set -e
if [ ! -s .build/vm-results/kernel.xml ]; then
    echo "kernel: 0 passed, 1 failed"
    echo "kernel-suite: no results from the VM (exit $rc)" >&2
    exit 1
fi
python3 - .build/vm-results/kernel.xml "$rc" <<'PY'
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
cases = root.iter("testcase")
passed = failed = 0
for c in cases:
    if c.find("failure") is not None or c.find("error") is not None:
        failed += 1
    elif c.find("skipped") is not None:
        failed += 1   # skipping is never success here
    else:
        passed += 1
rc = int(sys.argv[2])
if rc != 0 and failed == 0:
    failed = 1
print(f"kernel: {passed} passed, {failed} failed")
sys.exit(1 if failed or passed == 0 else 0)
PY
