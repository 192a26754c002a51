#!/bin/bash
# A/B of two checkouts' CLIs in one hyperfine run (run --rm, exec, cached build, ps; AB_RUNS runs each, default 20), e.g. before and after a change:
#   bash bench/ab-cli.sh /path/to/old-checkout /path/to/new-checkout   (both built: dist/ and native/; as root)
# hyperfine times each command's runs together; for a change of a millisecond or less, bench/ab-pair.ts (paired, interleaved) instead.
set -euo pipefail
OLD=${1:?old checkout}; NEW=${2:?new checkout}
command -v hyperfine >/dev/null || { echo "ab-cli.sh: hyperfine is missing: apt-get install hyperfine" >&2; exit 2; }
T=$(mktemp -d /tmp/conductor-ab-XXXXXX)
# The command line of side old|new: its checkout's CLI on a state root of its own under $T.
cli() { local d=$OLD; [ "$1" = new ] && d=$NEW; echo "env CONDUCTOR_ROOT=$T/root-$1 node $d/dist/conductor.cjs"; }
# Whatever stops the script: the containers and images first (their state is under $T), then $T.
cleanup() {
  for v in old new; do
    [ -d "$T/root-$v" ] || continue
    $(cli $v) stop --all -t 0 >/dev/null 2>&1 || true
    $(cli $v) rmi abimg >/dev/null 2>&1 || true
  done
  rm -rf "$T"
}
trap cleanup EXIT
export CONDUCTOR_CACHE=${CONDUCTOR_CACHE:-$NEW/.cache}
unset NODE_EXTRA_CA_CERTS
printf 'FROM debian:bookworm\nRUN true\n' > $T/Conductorfile
for v in old new; do
  mkdir -p $T/root-$v
  $(cli $v) build abimg $T/Conductorfile --context $T >/dev/null 2>&1
  $(cli $v) run -d abimg abx -- sleep infinity >/dev/null
done
B=$(cli old)
M=$(cli new)
hyperfine -N -w 3 -r ${AB_RUNS:-20} --export-markdown $T/ab.md \
  -n "old run --rm" "$B run --rm abimg abr -- /bin/true" -n "new run --rm" "$M run --rm abimg abr -- /bin/true" \
  -n "old exec" "$B exec abx /bin/true" -n "new exec" "$M exec abx /bin/true" \
  -n "old build (cached)" "$B build abimg $T/Conductorfile --context $T" -n "new build (cached)" "$M build abimg $T/Conductorfile --context $T" \
  -n "old ps" "$B ps" -n "new ps" "$M ps"
cat $T/ab.md
