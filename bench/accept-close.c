/* The benchmark's real server: accepts TCP connections on 0.0.0.0:PORT and closes each at once.
 *
 * One blocking accept loop per thread, each thread with its own SO_REUSEPORT listener (the kernel spreads
 * connections over them), so accepting never becomes the bottleneck of a health-check benchmark: every
 * connect the checkers make completes and is closed without the server falling behind.
 *
 *   cc -O2 -pthread -o accept-close accept-close.c && ./accept-close PORT [THREADS]
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

static int port;

static int listener(void) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port),
                            .sin_addr.s_addr = htonl(INADDR_ANY)};
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0 ||
        bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(fd, 65535) != 0) {
        perror("accept-close: listener");
        exit(1);
    }
    return fd;
}

static void *serve(void *arg) {
    int fd = (int)(long)arg;
    for (;;) {
        int c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
        if (c >= 0) {
            close(c);
        } else if (errno != EINTR && errno != ECONNABORTED && errno != EAGAIN) {
            perror("accept-close: accept");
            usleep(1000);
        }
    }
    return NULL;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: accept-close PORT [THREADS]\n");
        return 2;
    }
    port = atoi(argv[1]);
    int threads = argc > 2 ? atoi(argv[2]) : 2;
    if (threads < 1) threads = 1;
    /* Every listener exists before any connection can arrive, so none is left to a listener not yet open. */
    int fds[64];
    if (threads > 64) threads = 64;
    for (int i = 0; i < threads; i++) fds[i] = listener();
    for (int i = 1; i < threads; i++) {
        pthread_t t;
        if (pthread_create(&t, NULL, serve, (void *)(long)fds[i]) != 0) {
            perror("accept-close: pthread_create");
            return 1;
        }
    }
    serve((void *)(long)fds[0]);
    return 0;
}
