/**
 * The `mmm` command: one sub-command per task. Every failure is one line on stderr and a
 * non-zero exit: 2 for a problem in the flags or the file, 1 for anything else.
 */
import { ALLOCATE_USAGE, allocateCommand } from './allocate';
import { FIT_USAGE } from './args';
import { ATTRIBUTE_USAGE, attributeCommand } from './attribute';
import { UsageError } from './errors';
import { fitCommand, type Io } from './fit';
import { REQUEST_USAGE, requestCommand } from './request';
import { REPORT_USAGE, reportCommand } from './report';

export type Command = (argv: readonly string[], io: Io) => Promise<number>;

/** Sub-commands by name; allocation and attribution add theirs here. */
export const COMMANDS: Record<string, { usage: string; run: Command }> = {
  fit: { usage: FIT_USAGE, run: fitCommand },
  attribute: { usage: ATTRIBUTE_USAGE, run: attributeCommand },
  allocate: { usage: ALLOCATE_USAGE, run: allocateCommand },
  request: { usage: REQUEST_USAGE, run: requestCommand },
  report: { usage: REPORT_USAGE, run: reportCommand },
};

function usage(): string {
  return ['usage: mmm <command> [flags]', '', ...Object.values(COMMANDS).map((c) => c.usage)].join(
    '\n',
  );
}

function oneLine(message: string): string {
  return message.replace(/\s*\n\s*/g, ' ').trim();
}

export async function runCli(argv: readonly string[], io: Io): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    io.stdout(usage());
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    io.stderr(`mmm: unknown command '${name}' (commands: ${Object.keys(COMMANDS).join(', ')})`);
    return 2;
  }
  if (rest.includes('--help')) {
    io.stdout(command.usage);
    return 0;
  }
  try {
    return await command.run(rest, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`mmm ${name}: ${oneLine(error.message)}`);
      return 2;
    }
    io.stderr(`mmm ${name}: ${oneLine(error instanceof Error ? error.message : String(error))}`);
    return 1;
  }
}
