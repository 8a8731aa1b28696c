#define _GNU_SOURCE
#include "CSpawnShim.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_close_range
#define SYS_close_range 436
#endif
#ifndef P_PIDFD
#define P_PIDFD 3
#endif

/// What a child that could not exec writes to its parent.
struct ps_failure {
    int stage;
    int error;
};

/// Child only: reports `stage` and the current errno to the parent and exits.
static void __attribute__((noreturn)) child_fail(int report_fd, int stage) {
    struct ps_failure failure = {stage, errno};
    ssize_t r;
    do {
        r = write(report_fd, &failure, sizeof failure);
    } while (r < 0 && errno == EINTR);
    _exit(127);
}

/// Child only: closes the descriptors from `first` to `last` (inclusive), with close_range(2) when the kernel has
/// it (5.9), else one by one up to the descriptor limit.
static void child_close_range(unsigned first, unsigned last) {
    if (first > last) return;
    if (syscall(SYS_close_range, first, last, 0) == 0) return;
    struct rlimit limit;
    unsigned end = last;
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY) {
        if (limit.rlim_cur - 1 < end) end = (unsigned)(limit.rlim_cur - 1);
    } else if (end > 65535) {
        end = 65535;
    }
    for (unsigned fd = first; fd <= end && fd >= first; fd++) close((int)fd);
}

/// The open-file limit the daemon started with, restored in every child when the daemon raised its own
/// (ps_raise_file_limit): scripts do not inherit a limit sized for a thousand checkers (keepalived does the same).
static struct rlimit original_file_limit;
static int original_file_limit_recorded = 0;
static volatile int restore_file_limit = 0;

int ps_raise_file_limit(unsigned long long required, unsigned long long *soft, unsigned long long *hard) {
    struct rlimit current;
    if (getrlimit(RLIMIT_NOFILE, &current) != 0) return -errno;
    if (!original_file_limit_recorded) {
        original_file_limit = current;
        original_file_limit_recorded = 1;
    }
    int result = 0;
    if (current.rlim_cur != RLIM_INFINITY && current.rlim_cur < required) {
        struct rlimit wanted = current;
        wanted.rlim_cur = required;
        if (wanted.rlim_max != RLIM_INFINITY && wanted.rlim_max < required) wanted.rlim_max = required;
        if (setrlimit(RLIMIT_NOFILE, &wanted) != 0) {
            result = -errno;
            /* Not allowed to raise the hard limit: as far as it goes. */
            if (current.rlim_max > current.rlim_cur) {
                struct rlimit soft_only = current;
                soft_only.rlim_cur = current.rlim_max;
                (void)setrlimit(RLIMIT_NOFILE, &soft_only);
            }
        }
        if (getrlimit(RLIMIT_NOFILE, &current) == 0 && current.rlim_cur != original_file_limit.rlim_cur)
            restore_file_limit = 1;
    }
    *soft = current.rlim_cur;
    *hard = current.rlim_max;
    return result;
}

/// What the child needs, on the parent's (suspended) stack.
struct ps_child_args {
    int report_fd;
    pid_t parent;
    const char *path;
    char *const *argv;
    char *const *envp;
    int set_ids;
    uid_t uid;
    gid_t gid;
    const gid_t *groups;
    int group_count;
};

/// The child between clone and exec. It shares the parent's memory (CLONE_VM) while the parent thread waits
/// (CLONE_VFORK), so it makes plain system calls only: no allocation, no locks, and raw setgroups/setgid/setuid
/// (glibc's wrappers would try to change the credentials of the parent's other threads too).
static int child_main(void *raw) {
    struct ps_child_args *args = raw;
    int report_fd = args->report_fd;
    // Keep the report pipe clear of 0, 1 and 2, which are about to become /dev/null.
    if (report_fd < 3) {
        int moved = fcntl(report_fd, F_DUPFD_CLOEXEC, 3);
        if (moved < 0) _exit(127);
        report_fd = moved;
    }
    if (setsid() < 0) child_fail(report_fd, PS_STAGE_SETSID);
    if (args->set_ids) {
        if (syscall(SYS_setgroups, (size_t)args->group_count, args->groups) != 0)
            child_fail(report_fd, PS_STAGE_SETGROUPS);
        if (syscall(SYS_setgid, args->gid) != 0) child_fail(report_fd, PS_STAGE_SETGID);
        if (syscall(SYS_setuid, args->uid) != 0) child_fail(report_fd, PS_STAGE_SETUID);
    }
    // As keepalived does: the script ends when we do. A change of uid or gid clears this setting, hence after.
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != args->parent) _exit(127);  // the parent died before the line above

    int null_fd = open("/dev/null", O_RDWR);
    if (null_fd < 0) child_fail(report_fd, PS_STAGE_STDIO);
    for (int fd = 0; fd < 3; fd++) {
        if (null_fd != fd && dup2(null_fd, fd) < 0) child_fail(report_fd, PS_STAGE_STDIO);
    }
    // Every descriptor but 0, 1, 2 and the report pipe (close-on-exec: it closes at the exec).
    child_close_range(3, (unsigned)report_fd - 1);
    child_close_range((unsigned)report_fd + 1, ~0U);
    if (restore_file_limit) (void)setrlimit(RLIMIT_NOFILE, &original_file_limit);

    struct sigaction default_action = {0};
    default_action.sa_handler = SIG_DFL;
    for (int signal = 1; signal < NSIG; signal++) sigaction(signal, &default_action, NULL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);

    execve(args->path, args->argv, args->envp);
    child_fail(report_fd, PS_STAGE_EXEC);
}

/// The child's stack: it runs only until exec, on plain system calls.
#define PS_CHILD_STACK_SIZE (64 * 1024)

pid_t ps_spawn(const char *path, char *const argv[], char *const envp[], int set_ids, uid_t uid, gid_t gid,
               const gid_t *groups, int group_count, int *pidfd, int *error, int *stage) {
    int report[2];
    if (pipe2(report, O_CLOEXEC) != 0) {
        *error = errno;
        *stage = PS_STAGE_PIPE;
        return -1;
    }
    struct ps_child_args args = {report[1], getpid(), path, argv, envp, set_ids, uid, gid, groups, group_count};
    // Like glibc's posix_spawn: clone(CLONE_VM | CLONE_VFORK) on a stack of our own. A fork() would copy the
    // page tables of the whole daemon (every thread then takes copy-on-write faults until the child execs).
    void *stack = mmap(NULL, PS_CHILD_STACK_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK,
                       -1, 0);
    if (stack == MAP_FAILED) {
        *error = errno;
        *stage = PS_STAGE_FORK;
        close(report[0]);
        close(report[1]);
        return -1;
    }
    // No signal handler of ours may run in the child (on shared memory) before it resets them all.
    sigset_t all, previous;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &previous);
    pid_t pid = clone(child_main, (char *)stack + PS_CHILD_STACK_SIZE, CLONE_VM | CLONE_VFORK | SIGCHLD, &args);
    int clone_error = errno;
    pthread_sigmask(SIG_SETMASK, &previous, NULL);
    munmap(stack, PS_CHILD_STACK_SIZE);
    close(report[1]);
    if (pid < 0) {
        close(report[0]);
        *error = clone_error;
        *stage = PS_STAGE_FORK;
        return -1;
    }

    // Nobody else waits for this pid, so it stays ours (at worst a zombie) until we reap it.
    int fd = ps_pidfd_open(pid);
    int pidfd_error = errno;

    // End of file: the exec succeeded (the pipe is close-on-exec). Otherwise the child's report.
    struct ps_failure failure = {0, 0};
    ssize_t got;
    do {
        got = read(report[0], &failure, sizeof failure);
    } while (got < 0 && errno == EINTR);
    close(report[0]);

    if (got == (ssize_t)sizeof failure || fd < 0) {
        if (fd < 0) kill(pid, SIGKILL);
        // The child has exited or is about to: this wait is short.
        int status;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
        if (fd >= 0) close(fd);
        if (got == (ssize_t)sizeof failure) {
            *error = failure.error;
            *stage = failure.stage;
        } else {
            *error = pidfd_error;
            *stage = PS_STAGE_PIDFD;
        }
        return -1;
    }
    *pidfd = fd;
    return pid;
}

int ps_pidfd_open(pid_t pid) { return (int)syscall(SYS_pidfd_open, pid, 0); }

int ps_reap(int pidfd, int *how, int *status) {
    siginfo_t info = {0};
    int r;
    do {
        r = waitid((idtype_t)P_PIDFD, (id_t)pidfd, &info, WEXITED);
    } while (r < 0 && errno == EINTR);
    if (r < 0) return -1;
    if (info.si_code == CLD_EXITED) {
        *how = PS_EXITED;
    } else {
        *how = PS_SIGNALLED;
    }
    *status = info.si_status;
    return 0;
}
