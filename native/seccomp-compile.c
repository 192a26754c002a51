/*
 * seccomp-compile: turns conductor's seccomp rule list into a raw BPF program with libseccomp,
 * so neither conductor nor the init helper ever hand-writes BPF (arch checks, x32, the
 * socketcall/ipc multiplexers and the binary-tree layout are libseccomp's job).
 *
 * The rule list is produced by sdk/security/seccomp/rules.ts from a Docker-format JSON profile, already
 * reduced to one architecture set and one capability set: this program only resolves syscall
 * names and calls libseccomp. Input on stdin, one directive per line:
 *
 *   conductor-seccomp 1
 *   default ACTION
 *   arch NAME                      libseccomp's name: x86_64, x86, x32, aarch64, arm, ...
 *   rule ACTION SYSCALL [aN OP VALUE VALUE2]...
 *
 *   ACTION: allow | errno N | trace N | trap | log | kill_thread | kill_process
 *   OP:     ne lt le eq ge gt masked_eq      (masked_eq: (arg & VALUE) == VALUE2)
 *
 * Output: the struct sock_filter array on stdout, as seccomp_export_bpf writes it.
 * Exit codes: 0 ok; 2 the input names something libseccomp does not know (message on stderr,
 * starting "unknown syscall" / "unknown architecture" / "bad input"); 1 libseccomp failed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_WORDS (3 + 4 * 6 + 1)

static int lineno;

static void bad(const char *what, const char *word) {
  fprintf(stderr, "seccomp-compile: bad input (line %d): %s \"%s\"\n", lineno, what, word ? word : "");
  exit(2);
}

static uint64_t number(const char *s) {
  char *end;
  errno = 0;
  if (!s || !*s || *s == '-') bad("not a number", s);
  unsigned long long v = strtoull(s, &end, 10);
  if (errno || *end) bad("not a number", s);
  return (uint64_t)v;
}

/* Parses ACTION at w[*i] (advancing past its operand, if any). */
static uint32_t action(char **w, int n, int *i) {
  const char *a = w[*i];
  if (!a) bad("missing action", "");
  if (strcmp(a, "allow") == 0) return SCMP_ACT_ALLOW;
  if (strcmp(a, "trap") == 0) return SCMP_ACT_TRAP;
  if (strcmp(a, "log") == 0) return SCMP_ACT_LOG;
  if (strcmp(a, "kill_thread") == 0) return SCMP_ACT_KILL;
  if (strcmp(a, "kill_process") == 0) return SCMP_ACT_KILL_PROCESS;
  if (strcmp(a, "errno") == 0 || strcmp(a, "trace") == 0) {
    if (*i + 1 >= n) bad("missing return value for", a);
    uint64_t v = number(w[++*i]);
    /* The kernel keeps 16 bits of SECCOMP_RET_DATA; errno beyond 4095 is not an errno. */
    if (v > (a[0] == 'e' ? 4095 : 65535)) bad("return value out of range", w[*i]);
    return a[0] == 'e' ? SCMP_ACT_ERRNO((uint16_t)v) : SCMP_ACT_TRACE((uint16_t)v);
  }
  bad("unknown action", a);
  return 0;
}

static enum scmp_compare op(const char *s) {
  static const struct { const char *name; enum scmp_compare op; } ops[] = {
    { "ne", SCMP_CMP_NE }, { "lt", SCMP_CMP_LT }, { "le", SCMP_CMP_LE }, { "eq", SCMP_CMP_EQ },
    { "ge", SCMP_CMP_GE }, { "gt", SCMP_CMP_GT }, { "masked_eq", SCMP_CMP_MASKED_EQ },
  };
  for (size_t i = 0; i < sizeof ops / sizeof *ops; i++)
    if (strcmp(s, ops[i].name) == 0) return ops[i].op;
  bad("unknown operator", s);
  return _SCMP_CMP_MIN;
}

static void add_rule(scmp_filter_ctx ctx, char **w, int n) {
  int i = 1;
  uint32_t act = action(w, n, &i);
  if (++i >= n) bad("missing syscall", "");
  const char *name = w[i++];
  /* A name libseccomp resolves for some architecture but not this filter's is a negative
   * pseudo-number that libseccomp skips per architecture (the profiles list every arch's
   * names); only a name it knows nowhere is an error, most likely a typo in a deny rule. */
  int nr = seccomp_syscall_resolve_name(name);
  if (nr == __NR_SCMP_ERROR) {
    fprintf(stderr, "seccomp-compile: unknown syscall \"%s\"\n", name);
    exit(2);
  }
  struct scmp_arg_cmp args[6];
  unsigned nargs = 0;
  for (; i < n; i += 4) {
    if (i + 3 >= n || w[i][0] != 'a' || w[i][1] < '0' || w[i][1] > '5' || w[i][2] || nargs == 6)
      bad("bad argument condition at", w[i]);
    args[nargs++] = (struct scmp_arg_cmp){ (unsigned)(w[i][1] - '0'), op(w[i + 1]), number(w[i + 2]), number(w[i + 3]) };
  }
  int rc = seccomp_rule_add_array(ctx, act, nr, nargs, args);
  if (rc < 0) {
    fprintf(stderr, "seccomp-compile: libseccomp refused the rule for \"%s\" (line %d): %s\n", name, lineno, strerror(-rc));
    exit(1);
  }
}

int main(void) {
  char line[4096], *w[MAX_WORDS];
  scmp_filter_ctx ctx = NULL;

  while (fgets(line, sizeof line, stdin)) {
    lineno++;
    if (!strchr(line, '\n') && !feof(stdin)) bad("line too long", "");
    int n = 0;
    for (char *save = NULL, *t = strtok_r(line, " \t\r\n", &save); t; t = strtok_r(NULL, " \t\r\n", &save)) {
      if (n == MAX_WORDS) bad("too many words", t);
      w[n++] = t;
    }
    if (n == 0) continue;
    if (lineno == 1) {
      if (n != 2 || strcmp(w[0], "conductor-seccomp") != 0 || strcmp(w[1], "1") != 0) bad("not conductor-seccomp 1 input", w[0]);
    } else if (strcmp(w[0], "default") == 0) {
      int i = 1;
      if (ctx) bad("second default", w[0]);
      uint32_t act = action(w, n, &i);
      if (i + 1 != n) bad("trailing words after", w[0]);
      if (!(ctx = seccomp_init(act))) {
        fprintf(stderr, "seccomp-compile: seccomp_init failed\n");
        return 1;
      }
      /* A binary tree of syscalls instead of a linear chain: a few hundred rules otherwise cost
       * every allowed syscall up to ~300 comparisons (runc enables it for the same reason). */
      if (seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2) < 0) { /* older libseccomp: linear is still correct */ }
    } else if (!ctx) {
      bad("\"default\" must come before", w[0]);
    } else if (strcmp(w[0], "arch") == 0) {
      if (n != 2) bad("want: arch NAME", w[0]);
      uint32_t arch = seccomp_arch_resolve_name(w[1]);
      if (arch == 0) {
        fprintf(stderr, "seccomp-compile: unknown architecture \"%s\"\n", w[1]);
        return 2;
      }
      int rc = seccomp_arch_add(ctx, arch);
      if (rc < 0 && rc != -EEXIST) {
        fprintf(stderr, "seccomp-compile: seccomp_arch_add(%s): %s\n", w[1], strerror(-rc));
        return 1;
      }
    } else if (strcmp(w[0], "rule") == 0) {
      add_rule(ctx, w, n);
    } else {
      bad("unknown directive", w[0]);
    }
  }
  if (ferror(stdin)) {
    perror("seccomp-compile: stdin");
    return 1;
  }
  if (!ctx) bad("no \"default\" line", "");
  int rc = seccomp_export_bpf(ctx, 1);
  if (rc < 0) {
    fprintf(stderr, "seccomp-compile: seccomp_export_bpf: %s\n", strerror(-rc));
    return 1;
  }
  seccomp_release(ctx);
  return 0;
}
