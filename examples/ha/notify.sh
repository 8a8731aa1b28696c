#!/bin/sh
# keepalived notify hook (notify_master / notify_backup / notify_fault): records an instance's VRRP state.
#
#   notify.sh STATEFILE STATE
#
# Writes STATE (MASTER, BACKUP, FAULT, ...) to STATEFILE, replaced atomically (a reader sees the old state or the
# new one, never half a line), and appends "EPOCH-SECONDS STATE" to STATEFILE.log, the instance's history.
# keepalived does not wait for notify scripts, so keep this short; it must be root-owned and not writable by
# anyone else when enable_script_security is on (install -m 755 -o root notify.sh /etc/keepalived/).
set -eu
[ $# -eq 2 ] || { echo "usage: notify.sh STATEFILE STATE" >&2; exit 2; }
file=$1
state=$2
mkdir -p "$(dirname "$file")"
printf '%s\n' "$state" > "$file.tmp.$$"
mv -f "$file.tmp.$$" "$file"
printf '%s %s\n' "$(date +%s.%N)" "$state" >> "$file.log"
