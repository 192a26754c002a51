/** Plans as shell text, for `--dry-run` and debug logs. */
import type { Step } from './plan.ts';

function quote(a: string): string {
  return /^[A-Za-z0-9_./:=,@%+-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`;
}

function heredoc(cmd: string, input: string): string[] {
  return [`${cmd} <<'EOF'`, ...input.replace(/\n$/, '').split('\n'), 'EOF'];
}

/** One step or undo as shell: in-process operations are shown as their shell equivalents. */
export function describeCommand(s: { argv: string[]; input?: string }): string[] {
  const [op, ...args] = s.argv;
  switch (op) {
    case '@sysctl':
      return [`sysctl -qw ${args[0]}=${args[1]}`];
    case '@ip-forward':
      if (args[0] === 'hold') return ['true   # placeholder: its undo releases ip_forward after the rules are deleted'];
      return args[0] === 'on'
        ? ['sysctl -qw net.ipv4.ip_forward=1   # only if 0; remembered so conductor can restore it (and guarded, see firewall.ts)']
        : [`sysctl -qw net.ipv4.ip_forward=0   # only if conductor set it, no rule but ${args[1]}'s needs it and no other tool routes`];
    case '@write':
      return heredoc(`cat > ${quote(args[0]!)}`, s.input ?? '').map((l, i) => (i === 0 ? `${l}   # in place` : l));
    case '@hosts':
      return args[0] === 'add'
        ? [`grep -qxF ${quote(`${args[2]} ${args[3]}`)} ${quote(args[1]!)} || echo ${quote(`${args[2]} ${args[3]}`)} >> ${quote(args[1]!)}`]
        : [`# remove the line ${quote(`${args[2]} ${args[3]}`)} from ${quote(args[1]!)}, rewriting it in place (same inode)`];
    default:
      return s.input !== undefined ? heredoc(s.argv.map(quote).join(' '), s.input) : [s.argv.map(quote).join(' ')];
  }
}

/**
 * The exact commands a plan runs, for `--dry-run`.
 * @example for (const line of describePlan(steps)) console.log(line)
 */
export function describePlan(steps: Step[]): string[] {
  return steps.flatMap((s) => [`# ${s.about}`, ...describeCommand(s)]);
}
