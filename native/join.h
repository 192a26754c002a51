/* exec's entry into a running container: its init's namespaces, by pidfd, then a fork into its PID namespace. */
#ifndef CONDUCTOR_JOIN_H
#define CONDUCTOR_JOIN_H

/*
 * SPEC is "PID:STARTTIME", the container's init as the caller recorded it (field 22 of
 * /proc/PID/stat). Opens a pidfd for PID, checks that the process it names still has that start
 * time (a reused PID is refused, exit 125), enters all its namespaces at once with
 * setns(pidfd) (mount, uts, ipc, net, pid, cgroup; the mount namespace's root becomes our root
 * and cwd), then forks. Returns only in the child, which is in the container's PID namespace; the
 * parent closes every fd but 0-2, waits, and ends as the child did: its exit status, or its
 * signal re-raised (nsenter's habit, which exec's callers rely on: the command is the spawned
 * process's only child).
 */
void join_container(const char *spec);

#endif
