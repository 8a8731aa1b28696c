#!/usr/bin/env bash
# Runs the kernel suite (test target KernelTests) inside the real-kernel VM and prints
# "kernel: N passed, M failed". Two passes in one boot: every suite in parallel, then the suites whose type name
# starts with "Exclusive" one test at a time (they make assertions that concurrent table changes in other network
# namespaces could disturb). Arguments replace the default filter, e.g. --filter ServiceTests.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bin=$(swift build --show-bin-path)
xctest="$bin/LVSPackageTests.xctest"
[ -x "$xctest" ] || { echo "kernel-suite: $xctest missing; run swift build --build-tests" >&2; exit 1; }
out=.build/vm-results
mkdir -p "$out"
rm -f "$out"/kernel-*.xml "$out"/pass-*.rc
if [ $# -gt 0 ]; then
    passes=("$(printf '%q ' "$@")")
else
    passes=("--filter KernelTests --skip KernelTests.Exclusive" "--filter KernelTests.Exclusive --no-parallel")
fi
script="$out/kernel-suite.inner.sh"
{
    echo 'set -u'
    i=0
    for p in "${passes[@]}"; do
        i=$((i + 1))
        printf '%q --testing-library swift-testing --xunit-output %q %s\n' "$xctest" "$out/kernel-$i.xml" "$p"
        printf 'echo $? > %q\n' "$out/pass-$i.rc"
    done
} > "$script"
set +e
bash scripts/vm.sh --timeout "${KERNEL_SUITE_TIMEOUT:-3600}" -- bash "$script"
rc=$?
set -e
python3 - "$out" "${#passes[@]}" "$rc" <<'PY'
import glob, os, sys, xml.etree.ElementTree as ET
out, npasses, vmrc = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
passed = failed = 0
problems = []
for i in range(1, npasses + 1):
    xml = os.path.join(out, f"kernel-{i}.xml")
    rcfile = os.path.join(out, f"pass-{i}.rc")
    if not os.path.exists(xml) or os.path.getsize(xml) == 0:
        problems.append(f"pass {i}: no results (the VM did not boot or the test binary crashed)")
        failed += 1
        continue
    for c in ET.parse(xml).getroot().iter("testcase"):
        # Skipping is never success here.
        if c.find("failure") is not None or c.find("error") is not None or c.find("skipped") is not None:
            failed += 1
            problems.append(f"{c.get('classname')}.{c.get('name')}")
        else:
            passed += 1
    rc = int(open(rcfile).read().strip() or 1) if os.path.exists(rcfile) else 1
    if rc != 0 and not problems:
        problems.append(f"pass {i}: test binary exited {rc}")
        failed += 1
for p in problems:
    print("kernel-suite: failed:", p, file=sys.stderr)
print(f"kernel: {passed} passed, {failed} failed")
sys.exit(1 if failed or passed == 0 or vmrc not in (0,) and not passed else (1 if failed else 0))
PY
