/*
 * conductor-devices: the cgroup v2 device allow list. cgroup v2 has no devices.allow file; the
 * kernel instead runs a BPF_PROG_TYPE_CGROUP_DEVICE program on every open(2) and mknod(2) of a
 * device node by a member of the cgroup (as runc and crun do). This helper compiles a rule list
 * into such a program and attaches it to one cgroup directory, with raw bpf(2) calls (no libbpf).
 *
 *   conductor-devices CGROUP_DIR [RULE]...
 *     RULE: "TYPE MAJOR:MINOR ACCESS", the syntax of cgroup v1's devices.allow:
 *           TYPE c or b, MAJOR and MINOR a number or *, ACCESS a non-empty subset of rwm.
 *
 * Everything not allowed is denied. The attachment holds the only reference to the program, so it
 * lives exactly as long as the cgroup: rmdir releases it. Runs on the host only, before any
 * process joins the cgroup. Exit 0, or 1 with one line on stderr.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* 4 loads, then at most 6 instructions per rule, then the final deny. */
#define MAX_RULES 256
#define MAX_INSNS (6 + 6 * MAX_RULES + 2)
/* Linux device numbers: 12-bit majors, 20-bit minors (kdev_t.h). Keeping them below 2^31 also
 * keeps BPF_JMP's sign-extended 64-bit immediate compare exact. */
#define MAX_MAJOR 0xfff
#define MAX_MINOR 0xfffff
#define ANY (-1)

static void fail(const char *what, const char *arg) {
  fprintf(stderr, "conductor-devices: %s%s%s%s\n", what, arg ? " \"" : "", arg ? arg : "", arg ? "\"" : "");
  exit(1);
}

struct rule {
  int type; /* BPF_DEVCG_DEV_CHAR or BPF_DEVCG_DEV_BLOCK */
  long major, minor; /* ANY = wildcard */
  int access; /* BPF_DEVCG_ACC_* bits */
};

static long number_or_any(const char *s, const char *end, long max) {
  if (end - s == 1 && *s == '*') return ANY;
  if (s == end || end - s > 7) return -2;
  long n = 0;
  for (const char *p = s; p < end; p++) {
    if (*p < '0' || *p > '9') return -2;
    n = n * 10 + (*p - '0');
  }
  return n <= max ? n : -2;
}

static struct rule parse_rule(const char *s) {
  struct rule r = { 0 };
  const char *colon = strchr(s, ':'), *sp2 = colon ? strchr(colon, ' ') : NULL;
  if ((s[0] != 'c' && s[0] != 'b') || s[1] != ' ' || !colon || !sp2) fail("bad rule (want e.g. \"c 1:3 rwm\")", s);
  r.type = s[0] == 'c' ? BPF_DEVCG_DEV_CHAR : BPF_DEVCG_DEV_BLOCK;
  r.major = number_or_any(s + 2, colon, MAX_MAJOR);
  r.minor = number_or_any(colon + 1, sp2, MAX_MINOR);
  if (r.major == -2 || r.minor == -2) fail("bad device number in rule", s);
  for (const char *p = sp2 + 1; *p; p++) {
    int bit = *p == 'r' ? BPF_DEVCG_ACC_READ : *p == 'w' ? BPF_DEVCG_ACC_WRITE : *p == 'm' ? BPF_DEVCG_ACC_MKNOD : 0;
    if (!bit || (r.access & bit)) fail("bad access in rule (want a subset of rwm)", s);
    r.access |= bit;
  }
  if (!r.access) fail("bad access in rule (want a subset of rwm)", s);
  return r;
}

static struct bpf_insn prog[MAX_INSNS];
static int n;

static void emit(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm) {
  prog[n++] = (struct bpf_insn){ .code = code, .dst_reg = dst, .src_reg = src, .off = off, .imm = imm };
}

/*
 * struct bpf_cgroup_dev_ctx { u32 access_type; u32 major; u32 minor; }, access_type being
 * (BPF_DEVCG_ACC_* << 16) | BPF_DEVCG_DEV_*. Registers: r2 type, r3 access, r4 major, r5 minor.
 * Each rule is one block that falls through to the next on any mismatch and returns 1 (allow)
 * at its end; past the last block, 0 (deny). The access test, like cgroup v1's, is "what is
 * asked for is a subset of what the rule grants": (r3 & granted) == r3.
 */
static void compile(const struct rule *rules, int nrules) {
  emit(BPF_LDX | BPF_MEM | BPF_W, BPF_REG_2, BPF_REG_1, 0, 0);
  emit(BPF_ALU | BPF_AND | BPF_K, BPF_REG_2, 0, 0, 0xffff);
  emit(BPF_LDX | BPF_MEM | BPF_W, BPF_REG_3, BPF_REG_1, 0, 0);
  emit(BPF_ALU | BPF_RSH | BPF_K, BPF_REG_3, 0, 0, 16);
  emit(BPF_LDX | BPF_MEM | BPF_W, BPF_REG_4, BPF_REG_1, 4, 0);
  emit(BPF_LDX | BPF_MEM | BPF_W, BPF_REG_5, BPF_REG_1, 8, 0);
  for (int i = 0; i < nrules; i++) {
    const struct rule *r = &rules[i];
    int all = BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE | BPF_DEVCG_ACC_MKNOD;
    /* Length of the tests of this block; each jumps over what follows it plus the 2-insn accept. */
    int tests = 1 + (r->access != all ? 3 : 0) + (r->major != ANY) + (r->minor != ANY);
    int left = tests;
    emit(BPF_JMP | BPF_JNE | BPF_K, BPF_REG_2, 0, (int16_t)(--left + 2), r->type);
    if (r->access != all) {
      emit(BPF_ALU | BPF_MOV | BPF_X, BPF_REG_1, BPF_REG_3, 0, 0);
      left--;
      emit(BPF_ALU | BPF_AND | BPF_K, BPF_REG_1, 0, 0, r->access);
      left--;
      emit(BPF_JMP | BPF_JNE | BPF_X, BPF_REG_1, BPF_REG_3, (int16_t)(--left + 2), 0);
    }
    if (r->major != ANY) emit(BPF_JMP | BPF_JNE | BPF_K, BPF_REG_4, 0, (int16_t)(--left + 2), (int32_t)r->major);
    if (r->minor != ANY) emit(BPF_JMP | BPF_JNE | BPF_K, BPF_REG_5, 0, (int16_t)(--left + 2), (int32_t)r->minor);
    emit(BPF_ALU | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 1);
    emit(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
  }
  emit(BPF_ALU | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0);
  emit(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
}

static int bpf(int cmd, union bpf_attr *attr) {
  return (int)syscall(SYS_bpf, cmd, attr, sizeof *attr);
}

static int load(void) {
  static char log[65536];
  union bpf_attr a;
  memset(&a, 0, sizeof a);
  a.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  a.insns = (uint64_t)(uintptr_t)prog;
  a.insn_cnt = (uint32_t)n;
  a.license = (uint64_t)(uintptr_t)"Apache";
  int fd = bpf(BPF_PROG_LOAD, &a);
  if (fd >= 0 || errno != EINVAL) return fd;
  /* Rejected by the verifier: load again with its log, to say why. */
  a.log_buf = (uint64_t)(uintptr_t)log;
  a.log_size = sizeof log;
  a.log_level = 1;
  fd = bpf(BPF_PROG_LOAD, &a);
  if (fd < 0) fprintf(stderr, "conductor-devices: verifier: %s\n", log);
  errno = EINVAL;
  return fd;
}

int main(int argc, char **argv) {
  static struct rule rules[MAX_RULES];
  if (argc < 2 || argv[1][0] != '/') fail("usage: conductor-devices /CGROUP/DIR [\"c 1:3 rwm\"]...", NULL);
  if (argc - 2 > MAX_RULES) fail("too many rules", NULL);
  for (int i = 2; i < argc; i++) rules[i - 2] = parse_rule(argv[i]);
  compile(rules, argc - 2);

  int dir = open(argv[1], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) {
    fprintf(stderr, "conductor-devices: open \"%s\": %s\n", argv[1], strerror(errno));
    return 1;
  }
  int fd = load();
  if (fd < 0) {
    fprintf(stderr, "conductor-devices: load the device filter: %s\n", strerror(errno));
    return 1;
  }
  union bpf_attr a;
  memset(&a, 0, sizeof a);
  a.target_fd = (uint32_t)dir;
  a.attach_bpf_fd = (uint32_t)fd;
  a.attach_type = BPF_CGROUP_DEVICE;
  /* ALLOW_MULTI, as runc: programs on the ancestors (systemd's) still run, and every one of them
   * must allow an access; without it an ancestor's program would refuse the attach. */
  a.attach_flags = BPF_F_ALLOW_MULTI;
  if (bpf(BPF_PROG_ATTACH, &a) < 0) {
    fprintf(stderr, "conductor-devices: attach to \"%s\": %s\n", argv[1], strerror(errno));
    return 1;
  }
  return 0;
}
