/**
 * What every sub-command reads the same way: `--name value` / `--name=value` flags against the
 * command's own flag names, and the files they name. Every problem is a UsageError of one line.
 */
import * as fs from 'node:fs';
import { UsageError } from './errors';

export interface FlagNames {
  /** Flags that take a value. */
  values: ReadonlySet<string>;
  /** Flags that take none (e.g. json, help). */
  booleans: ReadonlySet<string>;
}

/** The flags given, by name (a boolean flag maps to 'true'); values are trimmed. */
export function parseFlags(argv: readonly string[], names: FlagNames): Map<string, string> {
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) throw new UsageError(`unexpected argument '${arg}'`);
    const eq = arg.indexOf('=');
    const name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
    if (names.booleans.has(name)) {
      if (eq >= 0) throw new UsageError(`--${name} takes no value`);
      flags.set(name, 'true');
      continue;
    }
    if (!names.values.has(name)) throw new UsageError(`unknown flag --${name}`);
    if (flags.has(name)) throw new UsageError(`--${name} given twice`);
    let value: string | undefined;
    if (eq >= 0) value = arg.slice(eq + 1);
    else if (i + 1 < argv.length && !argv[i + 1].startsWith('--')) value = argv[++i];
    if (value === undefined || value.trim() === '') throw new UsageError(`--${name} needs a value`);
    flags.set(name, value.trim());
  }
  return flags;
}

/** The text of a file a flag names; a UsageError saying why it cannot be read. */
export function readText(file: string, flag: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : code;
    throw new UsageError(`cannot read ${flag} ${file}: ${why ?? (error as Error).message}`);
  }
}
