#ifndef CVRRP_SHIM_H
#define CVRRP_SHIM_H

/* Header-only shim for VRRPNetwork: the socket calls of VRRP's raw sockets, packet sockets and the rtnetlink
 * watcher, written in C where Swift cannot reach (ancillary data macros, struct ip_mreqn, sockaddr_ll) or where
 * errno must be read at once. Every function returns -errno on failure instead of setting errno. No _GNU_SOURCE
 * (it changes glibc's struct layouts against Swift's Glibc module). */

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/eventfd.h>
#include <net/if.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <linux/if_ether.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/if_addr.h>

#include <netlink/netlink.h>
#include <netlink/socket.h>

#ifndef IP_MULTICAST_ALL
#define IP_MULTICAST_ALL 49
#endif
#ifndef IPV6_MULTICAST_ALL
#define IPV6_MULTICAST_ALL 29
#endif

static inline int cvrrp_errno(void) { return errno; }

/* ---- generic ---- */
static inline int cvrrp_socket(int domain, int type, int protocol) {
    int fd = socket(domain, type | SOCK_CLOEXEC, protocol);
    return fd < 0 ? -errno : fd;
}
static inline int cvrrp_setsockopt_int(int fd, int level, int name, int value) {
    return setsockopt(fd, level, name, &value, sizeof(value)) == 0 ? 0 : -errno;
}
static inline int cvrrp_bind_device(int fd, const char *name) {
    return setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, name, (socklen_t)strlen(name) + 1) == 0 ? 0 : -errno;
}
static inline int cvrrp_eventfd(void) {
    int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    return fd < 0 ? -errno : fd;
}
static inline void cvrrp_eventfd_signal(int fd) {
    unsigned long long one = 1;
    ssize_t r = write(fd, &one, sizeof(one));
    (void)r;
}
/* Waits until fd is readable (1), the wake fd is signalled (0), or an error (-errno). No timeout. */
static inline int cvrrp_wait(int fd, int wakefd) {
    struct pollfd p[2] = { { .fd = fd, .events = POLLIN, .revents = 0 }, { .fd = wakefd, .events = POLLIN, .revents = 0 } };
    for (;;) {
        int r = poll(p, 2, -1);
        if (r < 0) { if (errno == EINTR) continue; return -errno; }
        if (p[1].revents) return 0;
        if (p[0].revents) return 1;
    }
}
static inline int cvrrp_set_nonblocking(int fd) {
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0) return -errno;
    return fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0 ? 0 : -errno;
}
static inline long cvrrp_recv(int fd, void *buf, size_t len) {
    long r;
    do { r = recv(fd, buf, len, MSG_DONTWAIT); } while (r < 0 && errno == EINTR);
    return r < 0 ? -(long)errno : r;
}

/* A classic BPF program that drops every packet: for sockets that only send (keepalived does the same), so no
 * VRRP packet ever queues on them. */
#include <linux/filter.h>
static inline int cvrrp_drop_all_input(int fd) {
    struct sock_filter code[1] = { { 0x06, 0, 0, 0 } };   /* BPF_RET | BPF_K, 0 */
    struct sock_fprog prog = { .len = 1, .filter = code };
    return setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) == 0 ? 0 : -errno;
}

/* ---- VRRP over IPv4 ---- */
/* IP_ADD_MEMBERSHIP with struct ip_mreqn{group, any, ifindex}; group in network byte order as 4 bytes. */
static inline int cvrrp_ipv4_join(int fd, const unsigned char group[4], int ifindex) {
    struct ip_mreqn m;
    memset(&m, 0, sizeof(m));
    memcpy(&m.imr_multiaddr, group, 4);
    m.imr_ifindex = ifindex;
    return setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &m, sizeof(m)) == 0 ? 0 : -errno;
}
static inline int cvrrp_ipv4_multicast_if(int fd, int ifindex) {
    struct ip_mreqn m;
    memset(&m, 0, sizeof(m));
    m.imr_ifindex = ifindex;
    return setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &m, sizeof(m)) == 0 ? 0 : -errno;
}
static inline int cvrrp_ipv4_bind(int fd, const unsigned char address[4]) {
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    memcpy(&sa.sin_addr, address, 4);
    return bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 ? 0 : -errno;
}
static inline long cvrrp_ipv4_sendto(int fd, const void *buf, size_t len, const unsigned char dst[4]) {
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    memcpy(&sa.sin_addr, dst, 4);
    long r;
    do { r = sendto(fd, buf, len, 0, (struct sockaddr *)&sa, sizeof(sa)); } while (r < 0 && errno == EINTR);
    return r < 0 ? -(long)errno : r;
}
/* recvmsg without waiting; *ifindex from IP_PKTINFO (0 if absent). Returns the length, or -errno. */
static inline long cvrrp_ipv4_recv(int fd, void *buf, size_t len, int *ifindex) {
    struct iovec iov = { .iov_base = buf, .iov_len = len };
    union { char raw[CMSG_SPACE(sizeof(struct in_pktinfo)) + 64]; struct cmsghdr align; } control;
    struct sockaddr_in from;
    struct msghdr msg;
    memset(&msg, 0, sizeof(msg));
    msg.msg_name = &from; msg.msg_namelen = sizeof(from);
    msg.msg_iov = &iov; msg.msg_iovlen = 1;
    msg.msg_control = control.raw; msg.msg_controllen = sizeof(control.raw);
    long r;
    do { r = recvmsg(fd, &msg, MSG_DONTWAIT); } while (r < 0 && errno == EINTR);
    if (r < 0) return -(long)errno;
    *ifindex = 0;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
            struct in_pktinfo pi; memcpy(&pi, CMSG_DATA(c), sizeof(pi));
            *ifindex = pi.ipi_ifindex;
        }
    }
    return r;
}

/* ---- VRRP over IPv6 ---- */
/* struct in6_pktinfo (RFC 3542), which glibc declares only under _GNU_SOURCE. */
struct cvrrp_in6_pktinfo { struct in6_addr ipi6_addr; unsigned int ipi6_ifindex; };
static inline int cvrrp_ipv6_join(int fd, const unsigned char group[16], int ifindex) {
    struct ipv6_mreq m;
    memset(&m, 0, sizeof(m));
    memcpy(&m.ipv6mr_multiaddr, group, 16);
    m.ipv6mr_interface = (unsigned)ifindex;
    return setsockopt(fd, IPPROTO_IPV6, IPV6_ADD_MEMBERSHIP, &m, sizeof(m)) == 0 ? 0 : -errno;
}
static inline int cvrrp_ipv6_bind(int fd, const unsigned char address[16], int scope) {
    struct sockaddr_in6 sa;
    memset(&sa, 0, sizeof(sa));
    sa.sin6_family = AF_INET6;
    memcpy(&sa.sin6_addr, address, 16);
    sa.sin6_scope_id = (unsigned)scope;
    return bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 ? 0 : -errno;
}
static inline long cvrrp_ipv6_sendto(int fd, const void *buf, size_t len, const unsigned char dst[16], int scope) {
    struct sockaddr_in6 sa;
    memset(&sa, 0, sizeof(sa));
    sa.sin6_family = AF_INET6;
    memcpy(&sa.sin6_addr, dst, 16);
    sa.sin6_scope_id = (unsigned)scope;
    long r;
    do { r = sendto(fd, buf, len, 0, (struct sockaddr *)&sa, sizeof(sa)); } while (r < 0 && errno == EINTR);
    return r < 0 ? -(long)errno : r;
}
/* recvmsg without waiting: the source from the address, destination and ifindex from IPV6_PKTINFO (*has_dst 0
 * when absent), the hop limit from IPV6_HOPLIMIT (-1 when absent). Returns the length, or -errno. */
static inline long cvrrp_ipv6_recv(int fd, void *buf, size_t len, unsigned char src[16], unsigned char dst[16],
                                   int *has_dst, int *hoplimit, int *ifindex) {
    struct iovec iov = { .iov_base = buf, .iov_len = len };
    union { char raw[CMSG_SPACE(sizeof(struct cvrrp_in6_pktinfo)) + CMSG_SPACE(sizeof(int)) + 64]; struct cmsghdr align; } control;
    struct sockaddr_in6 from;
    struct msghdr msg;
    memset(&msg, 0, sizeof(msg));
    memset(&from, 0, sizeof(from));
    msg.msg_name = &from; msg.msg_namelen = sizeof(from);
    msg.msg_iov = &iov; msg.msg_iovlen = 1;
    msg.msg_control = control.raw; msg.msg_controllen = sizeof(control.raw);
    long r;
    do { r = recvmsg(fd, &msg, MSG_DONTWAIT); } while (r < 0 && errno == EINTR);
    if (r < 0) return -(long)errno;
    memcpy(src, &from.sin6_addr, 16);
    *has_dst = 0; *hoplimit = -1; *ifindex = 0;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level != IPPROTO_IPV6) continue;
        if (c->cmsg_type == IPV6_PKTINFO) {
            struct cvrrp_in6_pktinfo pi; memcpy(&pi, CMSG_DATA(c), sizeof(pi));
            memcpy(dst, &pi.ipi6_addr, 16);
            *has_dst = 1;
            *ifindex = (int)pi.ipi6_ifindex;
        } else if (c->cmsg_type == IPV6_HOPLIMIT) {
            memcpy(hoplimit, CMSG_DATA(c), sizeof(int));
        }
    }
    return r;
}

/* ---- packet sockets (GARP, unsolicited NA) ---- */
/* A packet socket that receives nothing (protocol 0) and sends whole Ethernet frames. */
static inline int cvrrp_packet_socket(void) { return cvrrp_socket(AF_PACKET, SOCK_RAW, 0); }
static inline long cvrrp_packet_send(int fd, const void *frame, size_t len, int ifindex, unsigned short ethertype,
                                     const unsigned char dst_mac[6]) {
    struct sockaddr_ll sa;
    memset(&sa, 0, sizeof(sa));
    sa.sll_family = AF_PACKET;
    sa.sll_protocol = htons(ethertype);
    sa.sll_ifindex = ifindex;
    sa.sll_halen = 6;
    memcpy(sa.sll_addr, dst_mac, 6);
    long r;
    do { r = sendto(fd, frame, len, 0, (struct sockaddr *)&sa, sizeof(sa)); } while (r < 0 && errno == EINTR);
    return r < 0 ? -(long)errno : r;
}

/* ---- constants Swift imports awkwardly (macros of expressions, or enum members it renames) ---- */
static inline int cvrrp_ip_multicast_all(void) { return IP_MULTICAST_ALL; }
static inline int cvrrp_ipv6_multicast_all(void) { return IPV6_MULTICAST_ALL; }
static inline int cvrrp_rtnlgrp_link(void) { return RTNLGRP_LINK; }
static inline int cvrrp_rtnlgrp_ipv4_ifaddr(void) { return RTNLGRP_IPV4_IFADDR; }
static inline int cvrrp_rtnlgrp_ipv6_ifaddr(void) { return RTNLGRP_IPV6_IFADDR; }

#endif
