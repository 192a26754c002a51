/** The raw floors: /bin/true, Node's start, the CLI bundle, unshare + chroot, module imports. */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { GroupDef } from '../lib/context.ts';
import { cmdline, interleaved } from '../lib/proc.ts';

export const floorsGroup: GroupDef = {
  id: 'floors',
  title: 'Raw floors',
  unit: 'ms',
  estimateMs: 25_000,
  async body(ctx, g) {
    const { base: R, scratch, envCa, caLabel, conductor, env, repo, shown, row, shared } = ctx;
    const overlayScript = [
      `D=$(mktemp -d ${scratch}/ov.XXXXXX)`,
      'mkdir $D/u $D/w $D/m',
      `mount -t overlay overlay -o lowerdir=${R},upperdir=$D/u,workdir=$D/w $D/m`,
      'mount -t proc proc $D/m/proc',
      'chroot $D/m /bin/true',
      'umount -R $D/m',
      'rm -rf $D',
    ].join('; ');
    const cmds: [string, string, number, NodeJS.ProcessEnv?][] = [
      ['/bin/true', '/bin/true', 30],
      ['node -e 0', 'node -e 0', 30],
      ...(envCa
        ? [[`node -e 0, ${caLabel}`, 'node -e 0', 30, envCa] as [string, string, number, NodeJS.ProcessEnv]]
        : []),
      ['conductor --help (node + the CLI bundle)', cmdline(conductor('--help')), 30],
      [
        'unshare (5 namespaces) + chroot, /bin/true',
        `unshare --uts --pid --net --mount --ipc --fork --mount-proc=${R}/proc chroot ${R} /bin/true`,
        30,
      ],
      [
        'the same + overlay mount, umount, rm',
        cmdline(['unshare', '--uts', '--pid', '--net', '--mount', '--ipc', '--fork', 'sh', '-c', overlayScript]),
        30,
      ],
    ];
    for (const [label, mod] of [
      ["node: import('globby')", 'globby/index.js'],
      ["node: import('zx/core')", 'zx/build/core.js'],
    ] as const) {
      const file = path.join(repo, 'node_modules', mod);
      if (existsSync(file))
        cmds.push([label, cmdline(['node', '--input-type=module', '-e', `await import(${JSON.stringify(file)})`]), 20]);
    }
    const times = await interleaved(
      cmds.map(([, command, runs, e]) => ({ command, runs, warmup: 3, env: e ?? env })),
      5,
      ctx.hfTimeout(180_000),
    );
    cmds.forEach(([label, cmd], k) => {
      const s = times[k]!;
      if (label === 'node -e 0') shared.nodeE0 = s;
      if (label.startsWith('conductor --help')) shared.help = s;
      g.rows.push(row(label, s, { command: shown(cmd) }));
    });
    g.notes.push(ctx.interleavedNote);
    g.notes.push(
      'R = the debootstrap base rootfs (shared cache). ' +
        "Every extra process costs a few ms; Node's start-up is the floor of any Node CLI. " +
        'The import rows are the cost of loading a module at all (compare with node -e 0).',
    );
  },
};
