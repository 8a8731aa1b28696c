#define _GNU_SOURCE
#include "CConnectShim.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/epoll.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

int cs_parse_address(const char *host, int port, struct sockaddr_storage *out, socklen_t *length) {
    memset(out, 0, sizeof *out);
    if (port < 0 || port > 65535) return -1;
    struct sockaddr_in *v4 = (struct sockaddr_in *)out;
    if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons((uint16_t)port);
        *length = sizeof *v4;
        return 0;
    }
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)out;
    if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons((uint16_t)port);
        *length = sizeof *v6;
        return 0;
    }
    return -1;
}

int cs_connect_start(int reuse, const struct sockaddr_storage *target, socklen_t target_length,
                     const struct sockaddr_storage *local, socklen_t local_length,
                     int has_mark, uint32_t mark, int *error, int *stage) {
    int fd = reuse;
    if (fd < 0) {
        fd = socket(target->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            *error = errno;
            *stage = CS_STAGE_SOCKET;
            return -1;
        }
    }
    if (reuse < 0 && has_mark && setsockopt(fd, SOL_SOCKET, SO_MARK, &mark, sizeof mark) != 0) {
        *error = errno;
        *stage = CS_STAGE_MARK;
        close(fd);
        return -1;
    }
    if (reuse < 0 && local != NULL) {
        int one = 1;
        (void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (bind(fd, (const struct sockaddr *)local, local_length) != 0) {
            *error = errno;
            *stage = CS_STAGE_BIND;
            close(fd);
            return -1;
        }
    }
    int r;
    do {
        r = connect(fd, (const struct sockaddr *)target, target_length);
    } while (r != 0 && errno == EINTR);
    if (r == 0) {
        *error = 0;
        return fd;
    }
    if (errno == EINPROGRESS) {
        /* A non-blocking connect reports EINPROGRESS even when the handshake finished inside the call (a server
         * on this host: the SYN-ACK is processed as the socket lock is released). Ask the socket: an established
         * or refused connect needs no epoll registration, wake-up and SO_ERROR round. CLOSE_WAIT is established
         * too: the server accepted and has already closed its end (a server that accepts and closes at once). */
        struct tcp_info info;
        socklen_t info_length = sizeof info;
        if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &info_length) == 0 && info_length >= 1) {
            if (info.tcpi_state == TCP_ESTABLISHED || info.tcpi_state == TCP_CLOSE_WAIT) {
                *error = 0;
                return fd;
            }
            if (info.tcpi_state == TCP_CLOSE) {
                int pending = cs_socket_error(fd);
                if (pending != 0) {
                    *error = pending;
                    *stage = CS_STAGE_CONNECT;
                    close(fd);
                    return -1;
                }
            }
        }
        *error = EINPROGRESS;
        return fd;
    }
    *error = errno;
    *stage = CS_STAGE_CONNECT;
    close(fd);
    return -1;
}

void cs_close_reset(int fd) {
    struct linger reset = { .l_onoff = 1, .l_linger = 0 };
    (void)setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
    close(fd);
}

int cs_disconnect(int fd) {
    struct sockaddr unspecified;
    memset(&unspecified, 0, sizeof unspecified);
    unspecified.sa_family = AF_UNSPEC;
    if (connect(fd, &unspecified, sizeof unspecified) != 0) return -1;
    /* tcp_disconnect leaves ECONNRESET pending after the reset it sends; read it away, or the next connect's
     * SO_ERROR would report it. */
    (void)cs_socket_error(fd);
    return 0;
}

int cs_socket_error(int fd) {
    int value = 0;
    socklen_t length = sizeof value;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &value, &length) != 0) return errno;
    return value;
}

int cs_connect_settled(int fd) {
    struct pollfd p = { .fd = fd, .events = POLLOUT, .revents = 0 };
    if (poll(&p, 1, 0) != 1) return 0;
    return (p.revents & (POLLOUT | POLLERR | POLLHUP)) != 0;
}

int cs_epoll_create(void) { return epoll_create1(EPOLL_CLOEXEC); }

int cs_epoll_watch_connect(int epoll_fd, int fd, uint64_t token) {
    struct epoll_event event = {.events = EPOLLOUT | EPOLLERR | EPOLLHUP, .data.u64 = token};
    return epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &event);
}

int cs_epoll_unwatch(int epoll_fd, int fd) {
    return epoll_ctl(epoll_fd, EPOLL_CTL_DEL, fd, NULL) == 0 ? 0 : -errno;
}

int cs_epoll_watch_read(int epoll_fd, int fd, uint64_t token) {
    struct epoll_event event = {.events = EPOLLIN, .data.u64 = token};
    return epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &event);
}

int cs_epoll_wait(int epoll_fd, uint64_t *tokens, int capacity, int timeout_ms) {
    struct epoll_event events[256];
    if (capacity > 256) capacity = 256;
    int n = epoll_wait(epoll_fd, events, capacity, timeout_ms);
    if (n < 0) return errno == EINTR ? 0 : -1;
    for (int i = 0; i < n; i++) tokens[i] = events[i].data.u64;
    return n;
}

int cs_epoll_wait_ns(int epoll_fd, uint64_t *tokens, int capacity, int64_t timeout_ns) {
    static _Atomic int no_pwait2;
    if (timeout_ns < 0) return cs_epoll_wait(epoll_fd, tokens, capacity, -1);
    if (!no_pwait2) {
        struct epoll_event events[256];
        if (capacity > 256) capacity = 256;
        struct timespec ts = { .tv_sec = timeout_ns / 1000000000, .tv_nsec = timeout_ns % 1000000000 };
        long n = syscall(SYS_epoll_pwait2, epoll_fd, events, capacity, &ts, NULL, 0);
        if (n >= 0) {
            for (long i = 0; i < n; i++) tokens[i] = events[i].data.u64;
            return (int)n;
        }
        if (errno == EINTR) return 0;
        if (errno != ENOSYS) return -1;
        no_pwait2 = 1;
    }
    int64_t ms = (timeout_ns + 999999) / 1000000;
    return cs_epoll_wait(epoll_fd, tokens, capacity, ms > 0x7fffffff ? 0x7fffffff : (int)ms);
}

int cs_eventfd(void) { return eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC); }

int cs_timerfd(void) { return timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC); }

int cs_timerfd_arm_ns(int fd, int64_t ns) {
    struct itimerspec spec;
    memset(&spec, 0, sizeof spec);
    if (ns < 1) ns = 1;  /* 0 would disarm it */
    spec.it_value.tv_sec = ns / 1000000000;
    spec.it_value.tv_nsec = ns % 1000000000;
    return timerfd_settime(fd, 0, &spec, NULL) == 0 ? 0 : -errno;
}

void cs_eventfd_signal(int fd) {
    uint64_t one = 1;
    ssize_t r;
    do {
        r = write(fd, &one, sizeof one);
    } while (r < 0 && errno == EINTR);
}

void cs_eventfd_drain(int fd) {
    uint64_t value;
    ssize_t r;
    do {
        r = read(fd, &value, sizeof value);
    } while (r < 0 && errno == EINTR);
}

int cs_datagram_open(int kind, const struct sockaddr_storage *target, socklen_t target_length,
                     const struct sockaddr_storage *local, socklen_t local_length,
                     int has_mark, uint32_t mark, const uint8_t *payload, size_t payload_length,
                     int *error, int *stage) {
    int v6 = target->ss_family == AF_INET6;
    int type = kind == CS_DATAGRAM_RAW_ICMP ? SOCK_RAW : SOCK_DGRAM;
    int protocol = kind == CS_DATAGRAM_UDP ? IPPROTO_UDP : (v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP);
    int fd = socket(target->ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol);
    if (fd < 0) {
        *error = errno;
        *stage = CS_STAGE_SOCKET;
        return -1;
    }
    int one = 1;
    (void)setsockopt(fd, v6 ? SOL_IPV6 : SOL_IP, v6 ? IPV6_RECVERR : IP_RECVERR, &one, sizeof one);
    if (has_mark && setsockopt(fd, SOL_SOCKET, SO_MARK, &mark, sizeof mark) != 0) {
        *error = errno;
        *stage = CS_STAGE_MARK;
        close(fd);
        return -1;
    }
    if (local != NULL && bind(fd, (const struct sockaddr *)local, local_length) != 0) {
        *error = errno;
        *stage = CS_STAGE_BIND;
        close(fd);
        return -1;
    }
    int r;
    do {
        r = connect(fd, (const struct sockaddr *)target, target_length);
    } while (r != 0 && errno == EINTR);
    if (r != 0) {
        *error = errno;
        *stage = CS_STAGE_CONNECT;
        close(fd);
        return -1;
    }
    ssize_t sent;
    do {
        sent = send(fd, payload, payload_length, 0);
    } while (sent < 0 && errno == EINTR);
    if (sent < 0 || (size_t)sent != payload_length) {
        *error = sent < 0 ? errno : EMSGSIZE;
        *stage = CS_STAGE_SEND;
        close(fd);
        return -1;
    }
    *error = 0;
    return fd;
}

long cs_datagram_recv(int fd, uint8_t *buffer, size_t capacity) {
    ssize_t n;
    do {
        n = recv(fd, buffer, capacity, MSG_DONTWAIT);
    } while (n < 0 && errno == EINTR);
    return (long)n;
}
