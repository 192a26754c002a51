/** Host operations as shell text, for `--dry-run` and debug logs. */
import type { Step } from './plan.ts';
import type { HostOp } from '../types.ts';
import { displayCommand, shellWord as quote } from '../display.ts';

function heredoc(cmd: string, input: string): string[] {
  return [`${cmd} <<'EOF'`, ...input.replace(/\n$/, '').split('\n'), 'EOF'];
}

/**
 * One host operation as shell: in-process operations are shown as their shell equivalents.
 * @example
 * describeCommand({ kind: 'sysctl', key: 'net.ipv4.conf.cnd1.forwarding', value: '1' })
 * // ['sysctl -qw net.ipv4.conf.cnd1.forwarding=1']
 */
export function describeCommand(op: HostOp): string[] {
  switch (op.kind) {
    case 'sysctl':
      return [`sysctl -qw ${op.key}=${op.value}`];
    case 'forwarding-hold':
      return ['true   # placeholder: its undo releases ip_forward after the rules are deleted'];
    case 'forwarding-on':
      return [
        'sysctl -qw net.ipv4.ip_forward=1   # only if 0; remembered so conductor can restore it ' +
          '(and guarded, see chains.ts)',
      ];
    case 'forwarding-release':
      return [
        `sysctl -qw net.ipv4.ip_forward=0   # only if conductor set it, no rule but ${op.tag}'s needs it ` +
          'and no other tool routes',
      ];
    case 'write-in-place':
      return heredoc(`cat > ${quote(op.file)}`, op.content).map((l, i) => (i === 0 ? `${l}   # in place` : l));
    case 'hosts': {
      const line = quote(`${op.ip} ${op.name}`);
      return op.action === 'add'
        ? [`grep -qxF ${line} ${quote(op.file)} || echo ${line} >> ${quote(op.file)}`]
        : [`# remove the line ${line} from ${quote(op.file)}, rewriting it in place (same inode)`];
    }
    case 'exec':
      return op.input !== undefined ? heredoc(displayCommand(op.argv), op.input) : [displayCommand(op.argv)];
  }
}

/**
 * The exact commands a plan runs, for `--dry-run`.
 * @example for (const line of describePlan(steps)) console.log(line)
 */
export function describePlan(steps: Pick<Step, 'op' | 'about'>[]): string[] {
  return steps.flatMap((s) => [`# ${s.about}`, ...describeCommand(s.op)]);
}
