import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ts from 'typescript';

const SRC = path.resolve(__dirname, '../src');
/** Where the compiled copy finds its dependencies. */
export const NODE_PATH = path.resolve(__dirname, '../../../node_modules');

/**
 * Compiles the kit's sources into a temp dir so child processes can run the
 * real code without depending on an earlier `tsc --build`.
 */
export function compileSrc(): { dir: string; remove(): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mmm-platform-'));
  const walk = (from: string) => {
    for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
      const full = path.join(from, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) {
        const out = path.join(dir, path.relative(SRC, full)).replace(/\.ts$/, '.js');
        fs.mkdirSync(path.dirname(out), { recursive: true });
        const { outputText } = ts.transpileModule(fs.readFileSync(full, 'utf8'), {
          compilerOptions: {
            module: ts.ModuleKind.CommonJS,
            target: ts.ScriptTarget.ES2022,
            esModuleInterop: true,
          },
        });
        fs.writeFileSync(out, outputText);
      }
    }
  };
  walk(SRC);
  return { dir, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}
