/*
 * The user's mounts (-v, --mount, --tmpfs) and --read-only, inside the container's new mount
 * namespace, after the overlay and before pivot_root.
 *
 * A target path belongs to the image, and the image is hostile: `/evil -> /../../../../tmp/x`
 * resolved by the host's kernel from here (our root is still the host's) would make us create and
 * mount on the HOST's /tmp/x. So every target is resolved with openat2(RESOLVE_IN_ROOT) from an fd
 * on the container's root (symlinks and ".." clamped to that root, as after a chroot), missing
 * components are created with mkdirat() on the fd of their resolved parent, and the mount is
 * attached to the target's fd with move_mount(): no path is ever looked up twice, so nothing
 * swapped in between can redirect it. Bind sources are cloned (open_tree) and given their flags
 * (mount_setattr, recursively: `ro` holds for sub-mounts too) before they are attached.
 */
#define _GNU_SOURCE
#include "mounts.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <unistd.h>

static void fail(const char *step, const char *path) {
  fprintf(stderr, "conductor-init: mount %s: %s: %s\n", path, step, strerror(errno));
  exit(125);
}

int mounts_parse_arg(struct mounts_spec *s, int argc, char **argv, int *i) {
  if (strcmp(argv[*i], "--read-only") == 0) return s->read_only_root = 1;
  if (strcmp(argv[*i], "--mount") != 0) return 0;
  if (*i + 4 >= argc || s->n == MAX_MOUNTS) {
    fprintf(stderr, "conductor-init: bad --mount (want KIND SRC DST FLAGS)\n");
    exit(125);
  }
  struct mount_req *m = &s->m[s->n++];
  const char *kind = argv[*i + 1], *flags = argv[*i + 4];
  m->src = argv[*i + 2];
  m->dst = argv[*i + 3];
  *i += 4;
  if (strcmp(kind, "tmpfs") == 0) m->tmpfs = 1;
  else if (strcmp(kind, "bind") != 0 || !*m->src) {
    fprintf(stderr, "conductor-init: bad --mount kind \"%s\"\n", kind);
    exit(125);
  }
  if (m->dst[0] != '/') {
    fprintf(stderr, "conductor-init: --mount target \"%s\" is not absolute\n", m->dst);
    exit(125);
  }
  char buf[256];
  if (snprintf(buf, sizeof buf, "%s", flags) >= (int)sizeof buf) flags = "";
  for (char *f = strtok(buf, ","); f; f = strtok(NULL, ",")) {
    if (strcmp(f, "ro") == 0) m->ro = 1;
    else if (strcmp(f, "rw") == 0) m->ro = 0;
    else if (strcmp(f, "noexec") == 0) m->noexec = 1;
    else if (strcmp(f, "copyup") == 0) m->copyup = 1;
    else {
      fprintf(stderr, "conductor-init: bad --mount flag \"%s\"\n", f);
      exit(125);
    }
  }
  return 1;
}

static int in_root(int rootfd, const char *path, int flags) {
  struct open_how how = { .flags = (unsigned)(flags | O_CLOEXEC), .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };
  return (int)syscall(SYS_openat2, rootfd, path, &how, sizeof how);
}

/*
 * An O_PATH fd on DST (absolute, inside ROOTFD), created if missing: directories, and the last
 * component as an empty file when `file`. A component that is a symlink is followed inside the
 * root only; one whose target is missing (a dangling link) is refused rather than guessed at.
 */
static int make_target(int rootfd, const char *dst, int file) {
  char path[4096];
  if (snprintf(path, sizeof path, "%s", dst) >= (int)sizeof path) return errno = ENAMETOOLONG, -1;
  int parent = in_root(rootfd, "/", O_PATH | O_DIRECTORY);
  if (parent < 0) return -1;
  for (char *p = path + 1;;) {
    while (*p == '/') p++;
    if (!*p) return parent; /* trailing slash */
    char *end = strchr(p, '/');
    int last = !end || !end[strspn(end, "/")];
    if (end) *end = '\0';
    if (strcmp(p, "..") == 0 || strcmp(p, ".") == 0) return close(parent), errno = EINVAL, -1;
    int fd = in_root(rootfd, path, O_PATH | (last ? 0 : O_DIRECTORY));
    if (fd < 0 && errno == ENOENT) {
      /* mkdirat()/openat(O_EXCL) never follow a symlink in the last component: EEXIST then
       * means a dangling link, which we refuse. */
      int r = last && file ? openat(parent, p, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644) : mkdirat(parent, p, 0755);
      if (r < 0 && errno == EEXIST) {
        fprintf(stderr, "conductor-init: mount %s: \"%s\" is a symlink to a missing path; refused\n", dst, path);
        exit(125);
      }
      if (r < 0) return close(parent), -1;
      if (last && file) close(r);
      fd = in_root(rootfd, path, O_PATH | (last ? 0 : O_DIRECTORY));
    }
    close(parent);
    if (fd < 0 || last) return fd;
    parent = fd;
    *end = '/';
    p = end + 1;
  }
}

static int is_empty_dir(int dfd) {
  int fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  DIR *d = fd < 0 ? NULL : fdopendir(fd);
  if (!d) return 0;
  struct dirent *e;
  int empty = 1;
  while ((e = readdir(d)))
    if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) { empty = 0; break; }
  closedir(d);
  return empty;
}

static void copy_attrs(int fd, const struct stat *st, const char *what) {
  /* chown first: it clears set-id bits, which fchmod then puts back. */
  if (fchown(fd, st->st_uid, st->st_gid) < 0 || fchmod(fd, st->st_mode & 07777) < 0) fail("copy-up attributes", what);
  struct timespec t[2] = { st->st_atim, st->st_mtim };
  futimens(fd, t);
}

/*
 * Docker's copy-up: the image's directory FROM (inside the root, opened by fd) into the empty
 * volume TO. Every step is fd-relative with O_NOFOLLOW, so a symlink in the image is copied as a
 * symlink, never followed; device nodes, fifos and sockets are not copied (the volume lives on
 * the host, and is nodev inside anyway).
 */
static void copy_tree(int from, int to, const char *what, int depth) {
  if (depth > 256) { errno = ELOOP; fail("copy-up", what); }
  int dfd = openat(from, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  DIR *d = dfd < 0 ? NULL : fdopendir(dfd);
  if (!d) fail("copy-up open", what);
  struct dirent *e;
  while ((e = readdir(d))) {
    const char *n = e->d_name;
    if (!strcmp(n, ".") || !strcmp(n, "..")) continue;
    struct stat st;
    if (fstatat(from, n, &st, AT_SYMLINK_NOFOLLOW) < 0) fail("copy-up stat", n);
    if (S_ISDIR(st.st_mode)) {
      if (mkdirat(to, n, 0700) < 0) fail("copy-up mkdir", n);
      int s = openat(from, n, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      int t = openat(to, n, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (s < 0 || t < 0) fail("copy-up open", n);
      copy_tree(s, t, n, depth + 1);
      copy_attrs(t, &st, n);
      close(s);
      close(t);
    } else if (S_ISREG(st.st_mode)) {
      int s = openat(from, n, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
      int t = openat(to, n, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
      if (s < 0 || t < 0) fail("copy-up open", n);
      char buf[65536];
      ssize_t r;
      while ((r = read(s, buf, sizeof buf)) > 0)
        for (ssize_t off = 0; off < r;) {
          ssize_t w = write(t, buf + off, (size_t)(r - off));
          if (w < 0) fail("copy-up write", n);
          off += w;
        }
      if (r < 0) fail("copy-up read", n);
      copy_attrs(t, &st, n);
      close(s);
      close(t);
    } else if (S_ISLNK(st.st_mode)) {
      char link[4096];
      ssize_t len = readlinkat(from, n, link, sizeof link - 1);
      if (len < 0) fail("copy-up readlink", n);
      link[len] = '\0';
      if (symlinkat(link, to, n) < 0 || fchownat(to, n, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0) fail("copy-up symlink", n);
    }
  }
  closedir(d);
}

static void copy_up(int target, const char *src, const char *dst) {
  int vol = open(src, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (vol < 0) fail("open volume", src);
  struct stat st;
  if (fstat(target, &st) < 0) fail("stat", dst);
  if (S_ISDIR(st.st_mode) && is_empty_dir(vol) && !is_empty_dir(target)) {
    copy_tree(target, vol, dst, 0);
    copy_attrs(vol, &st, dst);
  }
  close(vol);
}

static void mount_one(int rootfd, const struct mount_req *m) {
  unsigned attrs = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | (m->ro ? MOUNT_ATTR_RDONLY : 0) | (m->noexec ? MOUNT_ATTR_NOEXEC : 0);
  int tree;
  int file = 0;
  if (m->tmpfs) {
    int fs = fsopen("tmpfs", FSOPEN_CLOEXEC);
    if (fs < 0) fail("fsopen(tmpfs)", m->dst);
    char buf[1024];
    if (snprintf(buf, sizeof buf, "%s", m->src) >= (int)sizeof buf) { errno = E2BIG; fail("tmpfs options", m->dst); }
    for (char *o = strtok(buf, ","); o; o = strtok(NULL, ",")) {
      char *eq = strchr(o, '=');
      if (eq) *eq = '\0';
      if (fsconfig(fs, eq ? FSCONFIG_SET_STRING : FSCONFIG_SET_FLAG, o, eq ? eq + 1 : NULL, 0) < 0) fail(o, m->dst);
    }
    if (fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0) fail("tmpfs create", m->dst);
    tree = fsmount(fs, FSMOUNT_CLOEXEC, attrs);
    if (tree < 0) fail("fsmount", m->dst);
    close(fs);
  } else {
    struct stat st;
    if (stat(m->src, &st) < 0) fail("source", m->src);
    file = !S_ISDIR(st.st_mode);
    tree = open_tree(AT_FDCWD, m->src, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
    if (tree < 0) fail("open_tree", m->src);
    struct mount_attr attr = { .attr_set = attrs };
    /* AT_RECURSIVE: a read-only bind is read-only in every sub-mount it carries along. */
    if (mount_setattr(tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) < 0) fail("mount_setattr", m->dst);
  }
  int target = make_target(rootfd, m->dst, file);
  if (target < 0) fail("resolve target inside the container", m->dst);
  struct stat ts;
  if (fstat(target, &ts) < 0) fail("stat", m->dst);
  if (file == S_ISDIR(ts.st_mode)) {
    errno = file ? EISDIR : ENOTDIR;
    fail("target type differs from the source's", m->dst);
  }
  if (m->copyup) copy_up(target, m->src, m->dst);
  if (move_mount(tree, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0) fail("move_mount", m->dst);
  close(tree);
  close(target);
}

void setup_mounts(const struct mounts_spec *s, const char *root) {
  if (s->n == 0 && !s->read_only_root) return;
  int rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0) fail("open root", root);
  for (int i = 0; i < s->n; i++) mount_one(rootfd, &s->m[i]);
  /* Only the overlay itself: the mounts above (and /dev, /etc/hosts...) keep their own flags. A
   * bind remount changes per-mount flags only; MS_NODEV must be restated or it would be cleared. */
  if (s->read_only_root && mount(NULL, root, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NODEV, NULL) < 0) fail("remount read-only", root);
  close(rootfd);
}
