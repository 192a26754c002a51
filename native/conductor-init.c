/*
 * conductor-init: the last trusted step between container setup and the
 * user's command (the role of runc's nsexec / crun's final stage).
 *
 * It is exec'd from the HOST (statically linked, so it never loads the
 * container's libc): after pivot_root the host's setpriv/chroot are gone and
 * the container's own binaries are untrusted, so everything from pivot_root
 * to execve must happen inside this one process.
 *
 *   conductor-init [--join PID:STARTTIME] [--cgroup-fd N]... [--cgroupns] [--hostname NAME] [--rootfs DIR]
 *                  [--unprivileged-ping] [--privileged] [--workdir DIR [--mkdir-workdir]]
 *                  [--env K=V]... [--user NAME|UID[:GROUP|GID]] [--cap-add CAP]... [--cap-drop CAP]...
 *                  [--console-socket FD] [--seccomp-fd N]
 *                  [--mount bind|tmpfs SRC DST FLAGS]... [--read-only]   (mounts.c)
 *                  -- CMD [ARG]...
 *
 * It always runs from a sealed memfd copy of itself (sealed-exe.c), started with an empty
 * environment: the container's comes only from --env.
 *
 * Exit codes (Docker's): 125 setup failure, 126 not executable,
 * 127 not found, otherwise the command's own status.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <linux/capability.h>
#include <linux/keyctl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "console.h"
#include "join.h"
#include "mounts.h"
#include "rootfs.h"
#include "sealed-exe.h"
#include "seccomp-load.h"
#include "user.h"

#define MAX_LIST 64

static void die(const char *step) {
  fprintf(stderr, "conductor-init: %s: %s\n", step, strerror(errno));
  exit(125);
}

static void usage(const char *msg) {
  fprintf(stderr, "conductor-init: %s\nusage: conductor-init [options] -- cmd [args...]\n", msg);
  exit(125);
}

/* Index = capability number (linux/capability.h), up to CAP_CHECKPOINT_RESTORE. */
static const char *cap_names[] = {
  "chown", "dac_override", "dac_read_search", "fowner", "fsetid", "kill",
  "setgid", "setuid", "setpcap", "linux_immutable", "net_bind_service",
  "net_broadcast", "net_admin", "net_raw", "ipc_lock", "ipc_owner",
  "sys_module", "sys_rawio", "sys_chroot", "sys_ptrace", "sys_pacct",
  "sys_admin", "sys_boot", "sys_nice", "sys_resource", "sys_time",
  "sys_tty_config", "mknod", "lease", "audit_write", "audit_control",
  "setfcap", "mac_override", "mac_admin", "syslog", "wake_alarm",
  "block_suspend", "audit_read", "perfmon", "bpf", "checkpoint_restore",
};
#define NCAPS ((int)(sizeof cap_names / sizeof cap_names[0]))

/* Podman's default capability set (containers.conf default_capabilities) = 0x800405fb:
 * Docker's without NET_RAW (packet spoofing; ping works through ping_group_range instead),
 * MKNOD (device nodes) and AUDIT_WRITE. */
#define B(c) (1ULL << (c))
static const uint64_t default_caps =
  B(CAP_CHOWN) | B(CAP_DAC_OVERRIDE) | B(CAP_FSETID) | B(CAP_FOWNER) |
  B(CAP_SETGID) | B(CAP_SETUID) | B(CAP_SETFCAP) | B(CAP_SETPCAP) |
  B(CAP_NET_BIND_SERVICE) | B(CAP_SYS_CHROOT) | B(CAP_KILL);

/* Returns the mask for NAME ("chown", "CAP_CHOWN", "all"); exits 125 if unknown. */
static uint64_t cap_mask(const char *name) {
  const char *n = strncasecmp(name, "cap_", 4) == 0 ? name + 4 : name;
  if (strcasecmp(n, "all") == 0) return ~0ULL;
  for (int i = 0; i < NCAPS; i++)
    if (strcasecmp(n, cap_names[i]) == 0) return B(i);
  fprintf(stderr, "conductor-init: unknown capability \"%s\"\n", name);
  exit(125);
}

static int last_cap(void) {
  int fd = open("/proc/sys/kernel/cap_last_cap", O_RDONLY | O_CLOEXEC), n = -1;
  if (fd >= 0) {
    char buf[16] = {0};
    if (read(fd, buf, sizeof buf - 1) > 0) n = atoi(buf);
    close(fd);
  }
  if (n <= 0 || n > 63) /* /proc missing: probe the kernel instead */
    for (n = 0; n < 63 && prctl(PR_CAPBSET_READ, n + 1, 0, 0, 0) >= 0; n++) {}
  return n;
}

/*
 * Bounding set and ambient set (drop_bounding), then capset() (apply_caps): order matters,
 * PR_CAPBSET_DROP needs CAP_SETPCAP in the effective set, which capset() may remove, and a USER
 * switch in between clears the effective set (runc's finalizeNamespace order: bounding set,
 * keep-caps + setuid, capset).
 * The inheritable set stays empty (CVE-2022-24769): with it, a non-root process
 * in the container would gain those capabilities by executing a file that has
 * them as inheritable file capabilities. Root keeps its set across execve
 * through the bounding set alone; a non-root USER keeps none (execve clears them).
 * Returns the set that can actually be kept.
 */
static uint64_t drop_bounding(uint64_t keep) {
  struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
  struct __user_cap_data_struct data[2];
  if (syscall(SYS_capget, &hdr, data) < 0) die("capget");
  /* Can't grant what we don't hold (e.g. --cap-add ALL under a reduced bounding set). */
  keep &= ((uint64_t)data[1].permitted << 32) | data[0].permitted;

  int last = last_cap();
  for (int c = 0; c <= last; c++)
    if (!(keep & B(c)) && prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL)
      die("prctl(PR_CAPBSET_DROP)");
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
    die("prctl(PR_CAP_AMBIENT_CLEAR_ALL)");
  return keep;
}

static void apply_caps(uint64_t keep) {
  struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
  struct __user_cap_data_struct data[2];
  for (int i = 0; i < 2; i++) {
    data[i].effective = data[i].permitted = (uint32_t)(keep >> (32 * i));
    data[i].inheritable = 0;
  }
  if (syscall(SYS_capset, &hdr, data) < 0) die("capset");
}

/*
 * Docker's default MaskedPaths/ReadonlyPaths (moby oci/defaults.go), applied
 * while the container's /proc and /sys are still reachable as ROOT/proc etc.
 * Masked files get /dev/null bound over them (the bind keeps /dev's ro,nosuid,noexec and, being
 * the null device, needs dev), masked dirs an empty ro tmpfs.
 * sysrq-trigger is read-only rather than masked (as in Docker) so writes
 * fail loudly instead of silently going to /dev/null.
 */
static void mask_paths(const char *root) {
  static const char *masked[] = {
    "proc/kcore", "proc/keys", "proc/timer_list", "proc/timer_stats",
    "proc/sched_debug", "proc/latency_stats", "proc/scsi", "proc/acpi",
    "proc/asound", "sys/firmware", "sys/devices/virtual/powercap",
  };
  static const char *ro[] = { "proc/sys", "proc/bus", "proc/fs", "proc/irq",
                              "proc/sysrq-trigger" };
  char path[4096], devnull[4096];
  struct stat st;

  snprintf(devnull, sizeof devnull, "%s/dev/null", root);
  for (size_t i = 0; i < sizeof masked / sizeof *masked; i++) {
    snprintf(path, sizeof path, "%s/%s", root, masked[i]);
    if (stat(path, &st) < 0) continue; /* not on this kernel */
    if (S_ISDIR(st.st_mode) ? mount("tmpfs", path, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=0")
                            : mount(devnull, path, NULL, MS_BIND, NULL))
      die(path);
  }
  for (size_t i = 0; i < sizeof ro / sizeof *ro; i++) {
    snprintf(path, sizeof path, "%s/%s", root, ro[i]);
    if (stat(path, &st) < 0) continue;
    /* A bind mount's flags can only be changed by a second, remount step. */
    if (mount(path, path, NULL, MS_BIND | MS_REC, NULL) < 0 ||
        mount(NULL, path, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID |
              MS_NODEV | MS_NOEXEC, NULL) < 0)
      die(path);
  }
}

/* /proc shows the PID namespace of whoever mounts it, so the container's PID 1 mounts its own. */
static void mount_proc(const char *root) {
  char path[4096];
  snprintf(path, sizeof path, "%s/proc", root);
  if (mount("proc", path, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0) die("mount /proc");
}

/* A background job of a non-interactive shell starts with SIGINT and SIGQUIT ignored, and ignored
 * dispositions survive exec: give the command the defaults and an empty mask, as runc does. */
static void reset_signals(void) {
  sigset_t none;
  for (int sig = 1; sig < NSIG; sig++)
    if (sig != SIGKILL && sig != SIGSTOP) signal(sig, SIG_DFL);
  sigemptyset(&none);
  if (sigprocmask(SIG_SETMASK, &none, NULL) < 0) die("sigprocmask");
}

static void enter_rootfs(const char *root) {
  if (chdir(root) < 0) die("chdir(rootfs)");
  /* pivot_root(".", ".") stacks the old root on top of the new one, so no
   * .oldroot directory is needed inside the image (runc libcontainer/rootfs_linux.go). */
  if (syscall(SYS_pivot_root, ".", ".") < 0) die("pivot_root");
  /* Make the old root rslave first so the detach below can't propagate to
   * the host if the caller's namespace still has shared mounts (runc does the same). */
  if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0) die("make old root rslave");
  if (umount2(".", MNT_DETACH) < 0) die("umount old root");
  if (chdir("/") < 0) die("chdir(/)");
}

/* No host fd may survive into the container: a leaked directory fd lets the
 * container walk back to the host through /proc/self/fd/N (CVE-2024-21626). */
static void close_fds(int keep) {
  /* The ready fd (if any) is moved to 3 first, so one range closes everything else. */
  if (keep >= 0) {
    if (keep != 3 && dup2(keep, 3) < 0) die("dup2 ready fd");
    if (fcntl(3, F_SETFD, FD_CLOEXEC) < 0) die("cloexec ready fd");
  }
  unsigned lo = keep >= 0 ? 4U : 3U;
#ifdef SYS_close_range
  if (syscall(SYS_close_range, lo, ~0U, 0U) == 0) return;
#endif
  DIR *d = opendir("/proc/self/fd");
  if (d) {
    int fds[1024], n = 0, dfd = dirfd(d);
    struct dirent *e;
    while ((e = readdir(d)) && n < 1024) {
      int fd = atoi(e->d_name);
      if (fd >= (int)lo && fd != dfd) fds[n++] = fd;
    }
    closedir(d);
    for (int i = 0; i < n; i++) close(fds[i]);
    if (n < 1024) return;
  }
  for (long fd = lo, max = sysconf(_SC_OPEN_MAX); fd < (max > 0 ? max : 65536); fd++)
    close((int)fd);
}

static int mkdir_p(const char *dir) {
  char buf[4096];
  if (snprintf(buf, sizeof buf, "%s", dir) >= (int)sizeof buf) return errno = ENAMETOOLONG, -1;
  for (char *p = buf + 1;; p++) {
    if (*p == '/' || *p == '\0') {
      char c = *p;
      *p = '\0';
      if (mkdir(buf, 0755) < 0 && errno != EEXIST) return -1;
      if (!(*p = c)) return 0;
    }
  }
}

/* The value of an fd option: a whole number >= min (3 where 0-2 are stdio), else usage error. */
static int fd_arg(const char *opt, const char *v, long min) {
  char *end;
  long fd = strtol(v, &end, 10);
  if (!*v || *end || fd < min || fd > 65535) {
    fprintf(stderr, "conductor-init: bad %s \"%s\"\n", opt, v);
    exit(125);
  }
  return (int)fd;
}

static int exec_failed(const char *cmd0, int err) __attribute__((noreturn));

/* execvp's lookup, without executing: is there an executable regular file for cmd0? */
static int resolvable(const char *cmd0) {
  struct stat st;
  if (strchr(cmd0, '/')) return 1; /* exec reports the precise error */
  const char *path = getenv("PATH");
  if (!path) path = "/usr/local/bin:/usr/bin:/bin";
  char buf[4096];
  for (const char *p = path; ; ) {
    const char *end = strchr(p, ':');
    size_t n = end ? (size_t)(end - p) : strlen(p);
    if (n + strlen(cmd0) + 2 < sizeof buf) {
      snprintf(buf, sizeof buf, "%.*s/%s", (int)n, n ? p : ".", cmd0);
      if (stat(buf, &st) == 0 && S_ISREG(st.st_mode)) return 1;
    }
    if (!end) return 0;
    p = end + 1;
  }
}

/* A session keyring of our own: the one inherited from the caller (the CLI's login session)
 * may hold its keys (kerberos tickets, fscrypt/ecryptfs keys), and every process possessing it
 * can search and read them. An anonymous keyring (NULL name) is never shared by name either.
 * No keyring support in the kernel means there is nothing to share. */
static void join_fresh_keyring(void) {
  if (syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, NULL, 0, 0, 0) < 0 && errno != ENOSYS)
    die("keyctl(KEYCTL_JOIN_SESSION_KEYRING)");
}

/* Without NET_RAW, ping works through ICMP datagram sockets, which the kernel allows only to
 * the groups in net.ipv4.ping_group_range. That knob belongs to the network namespace of the
 * writer (it is opened through /proc/sys while /proc is still the host's, before the pivot and
 * before /proc/sys turns read-only): only ever asked for when the namespace is the container's own. */
static void allow_unprivileged_ping(void) {
  static const char range[] = "0 2147483647";
  int fd = open("/proc/sys/net/ipv4/ping_group_range", O_WRONLY | O_CLOEXEC);
  if (fd < 0 || write(fd, range, sizeof range - 1) != (ssize_t)(sizeof range - 1)) die("net.ipv4.ping_group_range");
  close(fd);
}

int main(int argc, char **argv) {
  /* 0. Never run from the host's file: re-exec from a sealed copy first (sealed-exe.c,
   * CVE-2019-5736). Same argv; the environment is already empty (the caller spawns the whole
   * chain with none), so nothing of the host reaches the copy either. */
  ensure_sealed_exe(argv);

  int cgroup_fds[MAX_LIST], ncg = 0, nenv = 0, privileged = 0, mkdir_wd = 0, ready_fd = -1, wait_fd = -1;
  int mountproc = 0, pdeathsig = 0, cgroupns = 0, ping = 0, console_sock = -1;
  struct rootfs_spec fs = { 0 };
  static struct mounts_spec user_mounts;
  const char *hostname = NULL, *rootfs = NULL, *workdir = NULL, *user = NULL, *join = NULL, *env[MAX_LIST];
  uint64_t cap_add = 0, cap_drop = 0, caps;
  char **cmd = NULL;

  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(a, "--") == 0) { cmd = &argv[i + 1]; break; }
    if (strcmp(a, "--privileged") == 0) { privileged = 1; continue; }
    if (strcmp(a, "--mkdir-workdir") == 0) { mkdir_wd = 1; continue; }
    if (strcmp(a, "--mount-proc") == 0) { mountproc = 1; continue; }
    if (strcmp(a, "--pdeathsig") == 0) { pdeathsig = 1; continue; }
    if (strcmp(a, "--cgroupns") == 0) { cgroupns = 1; continue; }
    if (strcmp(a, "--unprivileged-ping") == 0) { ping = 1; continue; }
    if (mounts_parse_arg(&user_mounts, argc, argv, &i)) continue;
    if (!v) usage("missing value for option");
    i++;
    if (strcmp(a, "--cgroup-fd") == 0) {
      if (ncg == MAX_LIST) usage("too many --cgroup-fd");
      cgroup_fds[ncg++] = fd_arg(a, v, 0);
    } else if (strcmp(a, "--join") == 0) join = v;
    else if (strcmp(a, "--wait-fd") == 0) wait_fd = fd_arg(a, v, 3);
    else if (strcmp(a, "--ready-fd") == 0) ready_fd = fd_arg(a, v, 3);
    else if (strcmp(a, "--console-socket") == 0) console_sock = fd_arg(a, v, 3);
    else if (strcmp(a, "--seccomp-fd") == 0) seccomp_read_filter(fd_arg(a, v, 3)); /* now: close_fds below would take it */
    else if (strcmp(a, "--overlay-lower") == 0) fs.lower = v;
    else if (strcmp(a, "--overlay-upper") == 0) fs.upper = v;
    else if (strcmp(a, "--overlay-work") == 0) fs.work = v;
    else if (strcmp(a, "--bind-file") == 0) {
      /* SRC:DEST, DEST relative to the rootfs; conductor's paths never contain ':'. */
      const char *colon = strrchr(v, ':');
      if (!colon || colon == v || !colon[1] || fs.nbinds == MAX_BINDS) usage("bad --bind-file (want SRC:DEST)");
      fs.bind_src[fs.nbinds] = strndup(v, (size_t)(colon - v));
      fs.bind_dst[fs.nbinds++] = colon + 1;
    } else if (strcmp(a, "--hostname") == 0) hostname = v;
    else if (strcmp(a, "--rootfs") == 0) rootfs = v;
    else if (strcmp(a, "--workdir") == 0) workdir = v;
    else if (strcmp(a, "--user") == 0) user = v;
    else if (strcmp(a, "--env") == 0) {
      if (!strchr(v, '=') || nenv == MAX_LIST) usage("bad --env (want K=V)");
      env[nenv++] = v;
    } else if (strcmp(a, "--cap-add") == 0) cap_add |= cap_mask(v);
    else if (strcmp(a, "--cap-drop") == 0) cap_drop |= cap_mask(v);
    else usage("unknown option");
  }
  if (!cmd || !cmd[0]) usage("no command after --");
  if (fs.lower && (!fs.upper || !fs.work)) usage("--overlay-lower needs --overlay-upper and --overlay-work");
  /* Docker's TweakCapabilities, independent of option order: add ALL = all
   * but the drops; drop ALL = only the adds; else (default - drops) + adds. */
  if (cap_add == ~0ULL) caps = ~cap_drop;
  else if (cap_drop == ~0ULL) caps = cap_add;
  else caps = (default_caps & ~cap_drop) | cap_add;

  /* 1. Not dumpable while we hold more than the container may: with capabilities dropped (step
   * 15) a dumpable process is open to container root through /proc/PID/{fd,environ,mem} and
   * ptrace. execve of the command makes it dumpable again, with nothing of ours left in it. */
  if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) die("prctl(PR_SET_DUMPABLE)");
  /* 1b. exec: into the running container's namespaces (join.c). Only the child returns, in the
   * container's PID namespace, inheriting the undumpable mm; every step below is its own. */
  if (join) join_container(join);
  /* 2. A session of our own, hence no controlling terminal: the command cannot open /dev/tty,
   * inject input into the caller's terminal with TIOCSTI (not its ctty), or kill(0, ...) the
   * caller's process group. Unconditional and early: a console for -t is attached after this. */
  if (setsid() < 0) die("setsid");
  /* 3. The container dies with the process that waits for it (attached runs: the CLI's chain);
   * default signal dispositions for the command. */
  if (pdeathsig && prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0) die("prctl(PR_SET_PDEATHSIG)");
  reset_signals();
  /* 4. Not the caller's session keyring (needs no privilege, but do it before anything runs). */
  join_fresh_keyring();
  /* 5. Hold until the caller has finished wiring (e.g. the network) from outside:
   * the command must never run before its network exists. EOF = the caller gave up. */
  if (wait_fd >= 0) {
    char go;
    if (read(wait_fd, &go, 1) != 1) {
      fprintf(stderr, "conductor-init: start cancelled\n");
      return 125;
    }
  }
  /* 6. Join cgroups first so everything below (and the command) is accounted. */
  for (int i = 0; i < ncg; i++) {
    if (write(cgroup_fds[i], "0", 1) != 1) die("join cgroup");
    close(cgroup_fds[i]);
  }
  /* 7. The cgroup namespace, only now: its root is the cgroup we are in when it is made, so
   * made after joining, the container sees its own cgroups as "/" instead of a path out to the
   * host's hierarchy. exec enters this namespace (--join) and then joins the same cgroups. */
  if (cgroupns && unshare(CLONE_NEWCGROUP) < 0) die("unshare(CLONE_NEWCGROUP)");
  /* 8. Needs the new UTS namespace set up by the caller (unshare --uts). */
  if (hostname && sethostname(hostname, strlen(hostname)) < 0) die("sethostname");
  /* 9. The container's own network namespace only (unshare --net): ping without NET_RAW. */
  if (ping) allow_unprivileged_ping();
  /* 10. Run mode: mask /proc and /sys while we still see them through DIR, then pivot. */
  if (rootfs) {
    /* A mount namespace of the container's own. Not our parent's: pivot_root moves the root of
     * every process in the namespace, and the parent (the monitor, or the attached CLI: full
     * privileges, recording the exit code on the host) must stay on the host's root. Private, so nothing propagates back. */
    if (unshare(CLONE_NEWNS) < 0) die("unshare(CLONE_NEWNS)");
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) die("make / private");
    if (fs.lower) {
      fs.root = rootfs;
      setup_rootfs(&fs);
      setup_mounts(&user_mounts, rootfs);
    }
    if (mountproc) mount_proc(rootfs);
    if (!privileged) mask_paths(rootfs);
    enter_rootfs(rootfs);
  }
  /* -t: a pty of the container's own devpts (so after pivot_root), before the socket is closed below. */
  if (console_sock >= 0) console_setup(console_sock);
  /* 11. Close inherited fds BEFORE resolving the workdir, so a workdir like
   * /proc/self/fd/N can't reach a host directory (CVE-2024-21626). */
  close_fds(ready_fd);
  if (ready_fd >= 0) ready_fd = 3;
  /* 12. Workdir, resolved inside the new root. */
  if (workdir) {
    if ((mkdir_wd && mkdir_p(workdir) < 0) || chdir(workdir) < 0) {
      fprintf(stderr, "conductor: workdir \"%s\": %s\n", workdir, strerror(errno));
      exit(125);
    }
  }
  /* Also CVE-2024-21626: a cwd outside our root (e.g. nsenter without -w
   * leaves the host cwd) makes getcwd() fail; never exec from there. */
  char cwd[4096];
  if ((!getcwd(cwd, sizeof cwd) || cwd[0] != '/') && chdir("/") < 0) die("chdir(/)");
  /* 13. USER, resolved in the container's own /etc/passwd and /etc/group (we are inside its root
   * now, with every host fd closed), before anything is dropped: a bad name fails here, 125. */
  struct exec_user u;
  if (user) resolve_user(user, &u);
  /* 14. Environment: exactly what the caller passed, nothing from the host; HOME from passwd
   * when the caller set none (Docker's rule for USER). */
  if (clearenv() != 0) die("clearenv");
  if (nenv == 0) env[nenv++] = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  for (int i = 0; i < nenv; i++)
    if (putenv((char *)env[i]) != 0) die("putenv");
  if (user && !getenv("HOME") && setenv("HOME", u.home, 1) != 0) die("setenv(HOME)");
  /* 15. Capabilities, the user and no_new_privs last: earlier steps need CAP_SYS_ADMIN. Every host
   * fd is closed by now (step 11), so nothing of the host is left to reach once we are no more
   * privileged than the container. The bounding set is cut while we still hold CAP_SETPCAP; the
   * uid/gid/groups switch needs CAP_SETUID/CAP_SETGID, so it comes before capset (which may drop
   * them); no_new_privs then keeps setuid binaries and file capabilities from raising a non-root
   * user back up. */
  if (!privileged) caps = drop_bounding(caps);
  if (user) switch_user(&u);
  if (!privileged) {
    apply_caps(caps);
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) die("prctl(PR_SET_NO_NEW_PRIVS)");
  }
  /* 16. Tell the caller the command is about to run. A command that cannot be found fails
   * before that (127), so `run -d` can report it instead of a container that dies at once.
   * The ready fd is close-on-exec: the command never sees it. */
  if (ready_fd >= 0) {
    if (!resolvable(cmd[0])) exec_failed(cmd[0], ENOENT);
    if (write(ready_fd, "R", 1) != 1) die("write ready fd");
  }
  /* 17. Every syscall from here on is filtered, so nothing of ours may follow but the exec. */
  seccomp_install_filter();
  execvp(cmd[0], cmd);
  return exec_failed(cmd[0], errno);
}
static int exec_failed(const char *cmd0, int err) {
  if (err == ENOENT || err == ENOTDIR) {
    fprintf(stderr, "conductor: \"%s\": executable file not found%s\n", cmd0,
            strchr(cmd0, '/') ? "" : " in $PATH");
    exit(127);
  }
  fprintf(stderr, "conductor: \"%s\": %s\n", cmd0,
          err == EACCES || err == EISDIR || err == ENOEXEC ? "permission denied" : strerror(err));
  exit(126);
}
