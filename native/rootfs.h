/* The container's root filesystem, mounted inside its own mount namespace. */
#ifndef CONDUCTOR_ROOTFS_H
#define CONDUCTOR_ROOTFS_H

#define MAX_BINDS 8

struct rootfs_spec {
  const char *root;       /* empty directory to mount the overlay on */
  const char *lower;      /* overlayfs lowerdir list, top first, ':'-separated */
  const char *upper;
  const char *work;
  int nbinds;
  const char *bind_src[MAX_BINDS]; /* host files bind-mounted over ... */
  const char *bind_dst[MAX_BINDS]; /* ... these paths, relative to root (etc/hosts) */
};

/* Overlay, /sys (ro), a minimal /dev, devpts, shm, mqueue and the bind-mounted files. /proc is
 * mounted separately, by the container's PID 1. Exits 125 on any failure. */
void setup_rootfs(const struct rootfs_spec *s);

#endif
