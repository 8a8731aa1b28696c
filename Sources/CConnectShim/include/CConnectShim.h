// The system calls behind HealthCheck's lean TCP connect prober (TCPConnectProber): non-blocking connect,
// epoll and eventfd, which Swift's Glibc module does not import, wrapped so Swift sees plain integers (no packed
// `struct epoll_event`, no enum-typed flags).
#ifndef CCONNECTSHIM_H
#define CCONNECTSHIM_H

#include <stdint.h>
#include <sys/socket.h>

/// Where cs_connect_start failed.
enum {
    CS_STAGE_SOCKET = 1,
    CS_STAGE_MARK = 2,
    CS_STAGE_BIND = 3,
    CS_STAGE_CONNECT = 4,
    CS_STAGE_SEND = 5,
};

/// Which datagram socket cs_datagram_open makes.
enum {
    /// UDP (UDP_CHECK, DNS_CHECK).
    CS_DATAGRAM_UDP = 1,
    /// An unprivileged ICMP/ICMPv6 ping socket (SOCK_DGRAM; allowed by net.ipv4.ping_group_range).
    CS_DATAGRAM_PING = 2,
    /// A raw ICMP/ICMPv6 socket (needs CAP_NET_RAW).
    CS_DATAGRAM_RAW_ICMP = 3,
};

/// Parses a numeric IPv4 or IPv6 address (no brackets) and a port into `out`. Returns 0, or -1 when `host` is
/// not a numeric address.
int cs_parse_address(const char *host, int port, struct sockaddr_storage *out, socklen_t *length);

/// Opens a non-blocking, close-on-exec TCP socket for `target`, marks it (SO_MARK, when `has_mark`), binds it to
/// `local` (when not NULL, with SO_REUSEADDR) and starts connecting. With `reuse` >= 0 (a socket that
/// cs_disconnect left unconnected, already marked and never bound), that socket connects instead of a new one.
/// Returns the descriptor with `*error` 0 (connected at once) or EINPROGRESS; or -1 with `*error` the errno and
/// `*stage` the CS_STAGE_* that failed (the socket, new or reused, is closed then).
int cs_connect_start(int reuse, const struct sockaddr_storage *target, socklen_t target_length,
                     const struct sockaddr_storage *local, socklen_t local_length,
                     int has_mark, uint32_t mark, int *error, int *stage);

/// Opens a non-blocking, close-on-exec datagram socket of `kind` (CS_DATAGRAM_*) for `target`, asks for ICMP
/// errors (IP_RECVERR / IPV6_RECVERR: a destination unreachable then fails the next recv), marks it (SO_MARK, when
/// `has_mark`), binds it to `local` (when not NULL), connects it and sends `payload`. Returns the descriptor, or
/// -1 with `*error` the errno and `*stage` the CS_STAGE_* that failed (the socket is closed then).
int cs_datagram_open(int kind, const struct sockaddr_storage *target, socklen_t target_length,
                     const struct sockaddr_storage *local, socklen_t local_length,
                     int has_mark, uint32_t mark, const uint8_t *payload, size_t payload_length,
                     int *error, int *stage);

/// Receives one datagram without waiting: its length (cut to `capacity`), or -1 with errno (EAGAIN: none yet).
long cs_datagram_recv(int fd, uint8_t *buffer, size_t capacity);

/// Ends a connected check socket with a reset, as cs_close_reset does, but keeps the socket for the next connect
/// (connect with AF_UNSPEC: the kernel's tcp_disconnect sends the RST and frees the port). The next check then
/// skips socket() and the descriptor's teardown. Returns 0, or -1 (the caller closes the socket then).
int cs_disconnect(int fd);

/// The pending error of a socket (getsockopt SO_ERROR): 0 when its connect succeeded.
int cs_socket_error(int fd);
/// Whether a non-blocking connect has settled (connected or failed) by now: poll for POLLOUT without waiting.
int cs_connect_settled(int fd);

/// Closes a connected check socket with a reset (SO_LINGER 0) instead of the FIN exchange, so that no socket is
/// left in TIME_WAIT on the director for each check (at a thousand checks a second, tens of thousands of them).
void cs_close_reset(int fd);

/// An epoll set (close-on-exec); -1 with errno on failure.
int cs_epoll_create(void);

/// Watches `fd` for writability (the end of a connect) or an error; `token` comes back from cs_epoll_wait.
int cs_epoll_watch_connect(int epoll_fd, int fd, uint64_t token);

/// Watches `fd` for readability (an eventfd).
int cs_epoll_watch_read(int epoll_fd, int fd, uint64_t token);

/* Stops watching fd. Returns 0 or -errno. */
int cs_epoll_unwatch(int epoll_fd, int fd);

/// Waits up to `timeout_ms` (-1: forever) and writes the tokens of at most `capacity` ready descriptors to
/// `tokens`. Returns their count, 0 on timeout or EINTR, -1 with errno on another error.
int cs_epoll_wait(int epoll_fd, uint64_t *tokens, int capacity, int timeout_ms);

/// `cs_epoll_wait` with a timeout in nanoseconds (negative: forever), through `epoll_pwait2`; on a kernel without
/// it (before 5.11), `epoll_wait` with the timeout rounded up to whole milliseconds.
int cs_epoll_wait_ns(int epoll_fd, uint64_t *tokens, int capacity, int64_t timeout_ns);

/// A non-blocking, close-on-exec eventfd; -1 with errno on failure.
int cs_eventfd(void);

/// A non-blocking, close-on-exec timerfd on CLOCK_MONOTONIC, or -1. Its expiry carries no slack, where an
/// epoll_wait timeout may fire up to 0.1% of its length late (the kernel's select_estimate_accuracy: 3.6 ms on a
/// VRRPv2 master-down interval). Read it (cs_eventfd_drain) when it fires.
int cs_timerfd(void);

/// Arms `fd` to expire once, `ns` nanoseconds from now (at least 1). Returns 0 or -errno.
int cs_timerfd_arm_ns(int fd, int64_t ns);

/// Adds 1 to an eventfd (wakes its reader).
void cs_eventfd_signal(int fd);

/// Resets an eventfd to 0.
void cs_eventfd_drain(int fd);

#endif
