/*
 * The container's root filesystem, as mount(2) calls: what a shell script with a dozen mount(8)
 * processes used to do, at no process cost. Runs in the container's new mount namespace (made
 * private by unshare), so nothing here is ever visible on the host, and everything vanishes with
 * the namespace.
 */
#define _GNU_SOURCE
#include "rootfs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

static void fail(const char *step, const char *path) {
  fprintf(stderr, "conductor-init: %s %s: %s\n", step, path, strerror(errno));
  exit(125);
}

static void at(char *buf, size_t n, const char *root, const char *rel) {
  if (snprintf(buf, n, "%s/%s", root, rel) >= (int)n) {
    errno = ENAMETOOLONG;
    fail("path", rel);
  }
}

/* runc's default device list; never the host's /dev. */
static const struct { const char *name; unsigned major, minor; } devices[] = {
  { "null", 1, 3 }, { "zero", 1, 5 }, { "full", 1, 7 },
  { "random", 1, 8 }, { "urandom", 1, 9 }, { "tty", 5, 0 },
};
static const char *dev_links[][2] = {
  { "ptmx", "pts/ptmx" }, { "fd", "/proc/self/fd" }, { "stdin", "/proc/self/fd/0" },
  { "stdout", "/proc/self/fd/1" }, { "stderr", "/proc/self/fd/2" },
};

/* /dev and /dev/pts are the two mounts without nodev: their nodes are the devices. /dev is
 * read-only once populated, and devpts only ever holds the pty slaves it makes itself. */
static void setup_dev(const char *root) {
  char dev[4096], p[4096];
  at(dev, sizeof dev, root, "dev");
  if (mount("tmpfs", dev, "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=755,size=65536k") < 0) fail("mount tmpfs", dev);
  for (size_t i = 0; i < sizeof devices / sizeof *devices; i++) {
    at(p, sizeof p, dev, devices[i].name);
    if (mknod(p, S_IFCHR | 0666, makedev(devices[i].major, devices[i].minor)) < 0 || chmod(p, 0666) < 0)
      fail("mknod", p);
  }
  for (size_t i = 0; i < sizeof dev_links / sizeof *dev_links; i++) {
    at(p, sizeof p, dev, dev_links[i][0]);
    if (symlink(dev_links[i][1], p) < 0) fail("symlink", p);
  }
  at(p, sizeof p, dev, "pts");
  if (mkdir(p, 0755) < 0 || mount("devpts", p, "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620,gid=5") < 0)
    fail("mount devpts", p);
  at(p, sizeof p, dev, "shm");
  if (mkdir(p, 01777) < 0 || mount("shm", p, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=1777,size=65536k") < 0)
    fail("mount shm", p);
  at(p, sizeof p, dev, "mqueue");
  if (mkdir(p, 0755) < 0 || mount("mqueue", p, "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
    fail("mount mqueue", p);
  /* Read-only once populated: with CAP_MKNOD a container could otherwise create a node for a
   * host disk here (the overlay itself is nodev). */
  if (mount(NULL, dev, NULL, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NOEXEC, "mode=755,size=65536k") < 0)
    fail("remount ro", dev);
}

/* The bind target must be a regular file inside the image: a symlink there (Ubuntu's resolv.conf)
 * is replaced, in the container's own upper layer, never followed. */
static void bind_file(const char *root, const char *src, const char *rel) {
  char dst[4096];
  struct stat st;
  at(dst, sizeof dst, root, rel);
  if (lstat(dst, &st) < 0 || !S_ISREG(st.st_mode)) {
    if (unlink(dst) < 0 && errno != ENOENT) fail("unlink", dst);
    int fd = open(dst, O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0) fail("create", dst);
    close(fd);
  }
  if (mount(src, dst, NULL, MS_BIND, NULL) < 0) fail("bind", dst);
  /* A bind mount copies the flags of the host mount it comes from (rw, suid, dev, exec); a bind's
   * own flags only change with a second, remount step. */
  if (mount(NULL, dst, NULL, MS_REMOUNT | MS_BIND | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0) fail("remount", dst);
}

void setup_rootfs(const struct rootfs_spec *s) {
  /* redirect_dir=off, metacopy=off: whatever the host's overlay defaults, a renamed directory is
   * copied up whole and a chmod copies the data, so every upper dir is a plain diff that exports
   * as an OCI layer (sdk/image/oci/whiteouts.ts refuses redirect and metacopy xattrs). */
  static const char *dirs[] = { "proc", "sys", "dev", "etc", "tmp" };
  char opts[8192], p[4096];
  if (snprintf(opts, sizeof opts, "lowerdir=%s,upperdir=%s,workdir=%s,redirect_dir=off,metacopy=off", s->lower, s->upper, s->work) >= (int)sizeof opts) {
    errno = E2BIG;
    fail("overlay options", s->root);
  }
  /* nodev: device nodes the container creates in its layers can never be opened (and the devices
   * cgroup refuses them too). Not nosuid, like Docker's rootfs: images rely on setuid programs
   * (su, passwd, ping); they cannot escalate, since the command runs with no_new_privs. */
  if (mount("overlay", s->root, "overlay", MS_NODEV, opts) < 0) fail("mount overlay", s->root);
  for (size_t i = 0; i < sizeof dirs / sizeof *dirs; i++) {
    at(p, sizeof p, s->root, dirs[i]);
    if (mkdir(p, 0755) < 0 && errno != EEXIST) fail("mkdir", p);
  }
  at(p, sizeof p, s->root, "sys");
  if (mount("sysfs", p, "sysfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0) fail("mount sysfs", p);
  setup_dev(s->root);
  for (int i = 0; i < s->nbinds; i++) bind_file(s->root, s->bind_src[i], s->bind_dst[i]);
}
