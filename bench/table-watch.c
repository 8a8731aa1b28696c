/* table-watch N: polls /proc/net/ip_vs (of the network namespace it runs in) every 2 ms and, once at least N
 * destination lines are there, prints the wall-clock time (seconds.nanoseconds, CLOCK_REALTIME) and exits.
 * Gives up after 60 s (exit 1). One process for the whole wait: polling by forking a tool each time cost the
 * daemons CPU and made the measurement ~100 ms coarse under TCG. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static long destinations(void) {
    FILE *f = fopen("/proc/net/ip_vs", "r");
    if (!f) return 0;
    char line[512];
    long n = 0;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "  -> ", 5) == 0) n++;
    }
    fclose(f);
    return n > 0 ? n - 1 : 0; /* the title line also starts with "  -> " */
}

int main(int argc, char **argv) {
    long want = argc > 1 ? atol(argv[1]) : 1;
    struct timespec pause = { 0, 2 * 1000 * 1000 };
    for (int i = 0; i < 30000; i++) {
        if (destinations() >= want) {
            struct timespec now;
            clock_gettime(CLOCK_REALTIME, &now);
            printf("%ld.%09ld\n", (long)now.tv_sec, now.tv_nsec);
            return 0;
        }
        nanosleep(&pause, NULL);
    }
    return 1;
}
