#ifndef CIPVS_SHIM_H
#define CIPVS_SHIM_H

/* Header-only shim for IPVSKit. It exposes the kernel's UAPI constants for generic netlink and IPVS, and wraps
 * the macros and GNU-only functions that Swift cannot import directly. No .c file: everything is static inline. */

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <linux/netlink.h>
#include <linux/genetlink.h>
#include <linux/ip_vs.h>

#include <netlink/netlink.h>
#include <netlink/socket.h>
#include <netlink/genl/genl.h>
#include <netlink/genl/ctrl.h>

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

/* errno as a function: reading the thread-local macro from Swift is unreliable. */
static inline int cipvs_errno(void) { return errno; }

/* setns(2) and unshare(2) are declared only under _GNU_SOURCE, which must not be defined here (it changes glibc's
 * struct layouts against Swift's Glibc module), so they are called through syscall(2). */
#define CIPVS_CLONE_NEWNET 0x40000000
static inline int cipvs_setns(int fd, int nstype) { return (int)syscall(SYS_setns, fd, nstype); }
static inline int cipvs_clone_newnet(void) { return CIPVS_CLONE_NEWNET; }
static inline int cipvs_unshare_net(void) { return (int)syscall(SYS_unshare, CIPVS_CLONE_NEWNET); }

/* Netlink socket options that make pipelined batches cheap: capped ACKs (no echoed request) and extended ACKs. */
static inline int cipvs_setsockopt_int(int fd, int level, int name, int value) {
    return setsockopt(fd, level, name, &value, sizeof(value));
}
static inline int cipvs_sol_netlink(void) { return SOL_NETLINK; }
static inline int cipvs_netlink_cap_ack(void) { return NETLINK_CAP_ACK; }
static inline int cipvs_netlink_ext_ack(void) { return NETLINK_EXT_ACK; }
static inline int cipvs_so_rcvbufforce(void) { return SO_RCVBUFFORCE; }
static inline int cipvs_so_sndbufforce(void) { return SO_SNDBUFFORCE; }

/* Wait for the socket to become readable; returns >0 when readable, 0 on timeout, -errno on error. */
static inline int cipvs_wait_readable(int fd, int timeout_ms) {
    struct pollfd p = { .fd = fd, .events = POLLIN, .revents = 0 };
    int r = poll(&p, 1, timeout_ms);
    if (r < 0) return -errno;
    return r;
}

/* recv(2) that returns -errno instead of setting errno. */
static inline long cipvs_recv(int fd, void *buf, size_t len, int flags) {
    long r = recv(fd, buf, len, flags);
    return r < 0 ? -(long)errno : r;
}

/* send(2) of a whole pipelined batch that returns -errno instead of setting errno. */
static inline long cipvs_send(int fd, const void *buf, size_t len) {
    long r;
    do { r = send(fd, buf, len, 0); } while (r < 0 && errno == EINTR);
    return r < 0 ? -(long)errno : r;
}

static inline int cipvs_msg_dontwait(void) { return MSG_DONTWAIT; }

/* Most datagrams one cipvs_recv_many call takes. */
#define CIPVS_RECV_MANY_MAX 256

/* recvmmsg(2) without waiting, through syscall() because glibc declares it (and struct mmsghdr) only under
 * _GNU_SOURCE. Datagram i lands at base + i * slot; lengths[i] is its length, with bit 31 set when it was cut to
 * fit its slot. Returns how many datagrams arrived (at most count and CIPVS_RECV_MANY_MAX), or -errno. One call
 * takes every ACK of a pipelined batch that is queued, instead of one recv(2) per ACK. */
static inline int cipvs_recv_many(int fd, void *base, size_t slot, unsigned int count, unsigned int *lengths) {
    struct cipvs_mmsghdr { struct msghdr hdr; unsigned int len; } msgs[CIPVS_RECV_MANY_MAX];
    struct iovec iov[CIPVS_RECV_MANY_MAX];
    if (count > CIPVS_RECV_MANY_MAX) count = CIPVS_RECV_MANY_MAX;
    memset(msgs, 0, sizeof(msgs[0]) * count);
    for (unsigned int i = 0; i < count; i++) {
        iov[i].iov_base = (char *)base + (size_t)i * slot;
        iov[i].iov_len = slot;
        msgs[i].hdr.msg_iov = &iov[i];
        msgs[i].hdr.msg_iovlen = 1;
    }
    long r = syscall(SYS_recvmmsg, fd, msgs, count, MSG_DONTWAIT, NULL);
    if (r < 0) return -errno;
    for (long i = 0; i < r; i++) {
        lengths[i] = msgs[i].len | ((msgs[i].hdr.msg_flags & MSG_TRUNC) ? 0x80000000u : 0u);
    }
    return (int)r;
}

#endif
