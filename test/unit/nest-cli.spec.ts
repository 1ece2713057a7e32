import { existsSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

/**
 * `nest-cli.json` describes the sample, so that `npx @nestjs/cli start` runs what `npm start` runs:
 * its files must exist, and the file the CLI starts must be the one `npm start` starts.
 */
const root = resolve(import.meta.dirname, '../..');
const readJson = (path: string) => JSON.parse(readFileSync(join(root, path), 'utf8')) as Record<string, unknown>;

describe('nest-cli.json', () => {
  const cli = readJson('nest-cli.json') as {
    sourceRoot: string;
    entryFile: string;
    compilerOptions: { tsConfigPath: string; builder: string };
  };

  it('points at the sample: its entry file and its tsconfig exist', () => {
    expect(existsSync(join(root, cli.sourceRoot, `${cli.entryFile}.ts`))).toBe(true);
    expect(existsSync(join(root, cli.compilerOptions.tsConfigPath))).toBe(true);
    expect(cli.compilerOptions.builder).toBe('tsc');
  });

  it('starts the file that npm start runs (outDir/sourceRoot/entryFile.js, as the CLI computes it)', () => {
    const tsconfigPath = join(root, cli.compilerOptions.tsConfigPath);
    const outDir = (JSON.parse(readFileSync(tsconfigPath, 'utf8')) as { compilerOptions: { outDir: string } }).compilerOptions.outDir;
    const started = relative(root, join(resolve(tsconfigPath, '..', outDir), cli.sourceRoot, `${cli.entryFile}.js`));
    const { scripts } = readJson('package.json') as { scripts: { start: string } };
    expect(scripts.start).toMatch(new RegExp(`node ${started.replace(/[.]/g, '\\.')}$`));
  });
});
