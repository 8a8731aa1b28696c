// The process calls behind ProgramRunner that Swift cannot make itself: a vfork-style clone whose child makes
// plain system calls only (no Swift code may run between the clone and the exec), pidfd_open and waitid(P_PIDFD),
// which the Glibc module does not import.
#ifndef CSPAWNSHIM_H
#define CSPAWNSHIM_H

#include <stdint.h>
#include <sys/types.h>

/// Where ps_spawn failed (reported with the errno of that step).
enum {
    PS_STAGE_PIPE = 1,       // the parent's pipe2 for exec errors
    PS_STAGE_FORK = 2,       // the child's stack, or clone
    PS_STAGE_PIDFD = 3,      // pidfd_open on the new child
    PS_STAGE_SETSID = 4,     // child: setsid
    PS_STAGE_SETGROUPS = 5,  // child: setgroups
    PS_STAGE_SETGID = 6,     // child: setgid
    PS_STAGE_SETUID = 7,     // child: setuid
    PS_STAGE_STDIO = 8,      // child: /dev/null on 0, 1, 2
    PS_STAGE_EXEC = 9,       // child: execve
};

/// How a reaped child ended (ps_reap).
enum {
    PS_EXITED = 1,
    PS_SIGNALLED = 2,
};

/// Raises the process's open-file limit (RLIMIT_NOFILE) to at least `required`, as keepalived's
/// set_max_file_limit does: the soft limit, and the hard one where it is lower (which needs CAP_SYS_RESOURCE;
/// without it the soft limit goes as far as the hard one). Never lowers a limit. The first call records the limit
/// the process started with: children started by ps_spawn after a raise get it back. Returns 0, or -errno when
/// the limit could not be raised as far as asked; `*soft` and `*hard` are the limits in force afterwards.
int ps_raise_file_limit(unsigned long long required, unsigned long long *soft, unsigned long long *hard);

/// Starts `path` with `argv` and `envp` (NULL-terminated) in a child (clone with CLONE_VM | CLONE_VFORK, as
/// posix_spawn does: no copy of the daemon's page tables) that: gets its own session and process
/// group (setsid); when `set_ids` is non-zero, sets its supplementary groups to `groups[0..<group_count]`, then
/// its gid and uid; asks for SIGTERM when the calling thread dies (PR_SET_PDEATHSIG, set after the id change,
/// which would clear it); puts /dev/null on 0, 1 and 2 and closes every other descriptor; resets every signal
/// to its default action and unblocks all; then execs `path` (no PATH search, no shell).
///
/// Returns the child's pid with `*pidfd` a close-on-exec pidfd for it. On failure returns -1 with `*error` the
/// errno and `*stage` the PS_STAGE_* that failed; a child that failed before or at exec has been reaped then.
/// The call blocks only until the child has exec'd or failed.
pid_t ps_spawn(const char *path, char *const argv[], char *const envp[], int set_ids, uid_t uid, gid_t gid,
               const gid_t *groups, int group_count, int *pidfd, int *error, int *stage);

/// pidfd_open(2): a close-on-exec descriptor that becomes readable when `pid` exits; -1 with errno on failure
/// (ENOSYS before Linux 5.3).
int ps_pidfd_open(pid_t pid);

/// Reaps the exited child behind `pidfd` (waitid(P_PIDFD, WEXITED)): 0 with `*how` PS_EXITED and `*status` the
/// exit code, or PS_SIGNALLED and the signal number; -1 with errno on failure.
int ps_reap(int pidfd, int *how, int *status);

#endif
