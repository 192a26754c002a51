/** A small, strict argv parser: options anywhere before `--`, everything after it untouched. */

export interface OptionSpec {
  long: string;
  short?: string;
  /** Takes a value (`--env K=V`, `--env=K=V`, `-e K=V`). */
  value?: boolean;
  repeat?: boolean;
  help: string;
  metavar?: string;
}

export interface ParsedArgs {
  positionals: string[];
  options: Record<string, string | string[] | boolean>;
  /** After `--` (or after `commandAfter` positionals when there is no `--`), byte for byte. */
  rest: string[] | null;
}

export class UsageError extends Error {}

/**
 * @param commandAfter when there is no `--`, the positional index from which the remaining argv is
 * the command (`exec c ls -la`): options are only looked for before it.
 */
export function parseArgs(argv: string[], specs: OptionSpec[], commandAfter?: number): ParsedArgs {
  const positionals: string[] = [];
  const options: ParsedArgs['options'] = {};
  let rest: string[] | null = null;
  const byLong = new Map(specs.map((s) => [s.long, s]));
  const byShort = new Map(specs.filter((s) => s.short).map((s) => [s.short!, s]));
  const set = (spec: OptionSpec, v: string | true) => {
    if (spec.repeat) ((options[spec.long] as string[] | undefined) ?? (options[spec.long] = [])).push(v as string);
    else options[spec.long] = v;
  };
  const hasDashDash = argv.includes('--');
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      rest = argv.slice(i + 1);
      break;
    }
    if (!hasDashDash && commandAfter !== undefined && positionals.length >= commandAfter) {
      rest = argv.slice(i);
      break;
    }
    if (a.startsWith('--') && a.length > 2) {
      const eq = a.indexOf('=');
      const name = eq < 0 ? a.slice(2) : a.slice(2, eq);
      const spec = byLong.get(name);
      if (!spec) throw new UsageError(`unknown option "--${name}"`);
      if (spec.value) {
        const v = eq >= 0 ? a.slice(eq + 1) : argv[++i];
        if (v === undefined || (eq < 0 && v === '--')) throw new UsageError(`option "--${name}" needs a value`);
        set(spec, v);
      } else {
        if (eq >= 0) throw new UsageError(`option "--${name}" takes no value`);
        set(spec, true);
      }
    } else if (a.startsWith('-') && a.length > 1 && !/^-\d/.test(a)) {
      // Bundled short flags (-it), the last one may take a value (-e K=V).
      for (let j = 1; j < a.length; j++) {
        const spec = byShort.get(a[j]!);
        if (!spec) throw new UsageError(`unknown option "-${a[j]}"`);
        if (spec.value) {
          const v = j < a.length - 1 ? a.slice(j + 1) : argv[++i];
          if (v === undefined) throw new UsageError(`option "-${a[j]}" needs a value`);
          set(spec, v);
          break;
        }
        set(spec, true);
      }
    } else {
      positionals.push(a);
    }
  }
  return { positionals, options, rest };
}

export const str = (o: ParsedArgs['options'], k: string): string | undefined =>
  typeof o[k] === 'string' ? (o[k] as string) : undefined;
export const list = (o: ParsedArgs['options'], k: string): string[] => (Array.isArray(o[k]) ? (o[k] as string[]) : []);
export const flag = (o: ParsedArgs['options'], k: string): boolean => o[k] === true;
