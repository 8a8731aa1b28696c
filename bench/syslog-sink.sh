# Sourced by the benches inside the VM: a syslog daemon for the daemons under test, as a director has one.
# keepalived -l logs to syslog as well as to stderr, and opens syslog with LOG_CONS: when no daemon answers on
# /dev/log (the test VM has none), glibc writes every line to /dev/console instead, which is the VM's emulated
# serial port (about 0.3 ms of system time per line, counted to keepalived, and in its takeover path). busybox
# syslogd, discarding what it gets, stands in for rsyslog or journald. lvsd -l logs to stderr only.
syslog_sink_pid=""
start_syslog_sink() {
    [ -S /dev/log ] && return 0
    busybox syslogd -n -O /dev/null &
    syslog_sink_pid=$!
    local tries=0
    until [ -S /dev/log ]; do
        tries=$((tries + 1))
        [ "$tries" -le 50 ] || { echo "bench: busybox syslogd did not create /dev/log" >&2; return 1; }
        sleep 0.1
    done
}
stop_syslog_sink() {
    [ -n "$syslog_sink_pid" ] || return 0
    kill "$syslog_sink_pid" 2>/dev/null || true
    wait "$syslog_sink_pid" 2>/dev/null || true
    rm -f /dev/log
    syslog_sink_pid=""
}
