#!/usr/bin/env bash
# The test command: installs what it needs, builds once on the host, runs the unit tests on the host, then boots
# the real-kernel VM and runs the kernel suite inside it, then the lab, then builds and tests the Debian package.
# Exits non-zero if anything fails or the VM does not boot.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh

echo "== build (host)"
swift build --build-tests 2>&1 | grep -vE '^\[[0-9]+/[0-9]+\] (Compiling|Write|Emitting|Linking|Applying)' || true
swift build --build-tests -q >/dev/null 2>&1 || { swift build --build-tests; exit 1; }
bin=$(swift build --show-bin-path)
xctest="$bin/LVSPackageTests.xctest"

echo "== unit tests (host, no kernel)"
"$xctest" --testing-library swift-testing --skip KernelTests

echo "== kernel suite (VM)"
bash scripts/kernel-suite.sh "$@"

# The checkers side by side with keepalived 2.2.7 against real peers, in one VM boot: UDP/DNS/PING, then
# SMTP/FILE (scripts/checkers-compare/all.sh). A comparison that cannot run (a missing peer program, no VM) fails;
# none is skipped.
echo "== checkers side by side with keepalived 2.2.7 (VM): datagram-checkers, checkers-compare"
bash scripts/checkers-compare/all.sh

echo "== the lab (examples/lab.sh all: DR, NAT, TUN end to end with lvsd and lvsctl, HA, the ECMP tier with BIRD)"
bash examples/lab.sh all
echo "== the ECMP lab with FRR as the router (LAB_ROUTER=frr examples/lab.sh ecmp)"
LAB_ROUTER=frr bash examples/lab.sh ecmp

# The package ships release binaries (lvsctl fully static, lvsd with the static Swift runtime), which differ in
# kind from the debug build tested above: they are built here (about 12-15 min on 2 cores, in .build-rel) and the
# package is linted, installed, run against the kernel and removed in the VM (scripts/package-test.sh, about 2.5 min).
echo "== the Debian package (scripts/package-test.sh: release build, lintian, dpkg -i / -r / --purge in the VM)"
bash scripts/package-test.sh
