import { readdirSync, readFileSync, existsSync } from 'fs';
import * as path from 'path';

/** The repository root, three folders above this one. */
export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');

/** One ```ts block of a README. */
export interface ReadmeBlock {
  /** The README, relative to the repository root (`packages/core/README.md`). */
  readonly readme: string;
  /** 1-based, in the order the README shows them. */
  readonly index: number;
  /** The line of the opening fence. */
  readonly line: number;
  readonly source: string;
}

/** The root README and every package's, in a stable order. */
export function readmeFiles(root = REPO_ROOT): string[] {
  const packages = readdirSync(path.join(root, 'packages'))
    .map((name) => path.join('packages', name, 'README.md'))
    .filter((file) => existsSync(path.join(root, file)))
    .sort();
  return ['README.md', ...packages];
}

/** The TypeScript blocks (```ts, ```typescript, with or without rosetta's annotations) of one README. */
export function typescriptBlocks(readme: string, root = REPO_ROOT): ReadmeBlock[] {
  const lines = readFileSync(path.join(root, readme), 'utf-8').split('\n');
  const blocks: ReadmeBlock[] = [];
  let open: { line: number; body: string[] } | undefined;
  lines.forEach((text, i) => {
    if (!open && /^\s*```(ts|typescript)\b/.test(text)) {
      open = { line: i + 1, body: [] };
    } else if (open && /^\s*```\s*$/.test(text)) {
      blocks.push({ readme, index: blocks.length + 1, line: open.line, source: open.body.join('\n') + '\n' });
      open = undefined;
    } else if (open) {
      open.body.push(text);
    }
  });
  if (open) throw new Error(`${readme}:${open.line}: a \`\`\`ts block is never closed`);
  return blocks;
}

/**
 * The stacks an example declares at the top of its app: `new Stack(app, 'Id', ...)`
 * (or `new MyStack(app, 'Id')`). These are the artifact ids its cloud assembly must hold.
 */
export function declaredStacks(source: string): string[] {
  const stacks = [...source.matchAll(/new\s+\w*Stack\(\s*app\s*,\s*['"]([^'"]+)['"]/g)].map((m) => m[1]);
  return [...new Set(stacks)].sort();
}

/** The `## ` section of its README a block sits in (the nearest level-2 heading above its fence). */
export function sectionOf(block: ReadmeBlock, root = REPO_ROOT): string | undefined {
  const lines = readFileSync(path.join(root, block.readme), 'utf-8').split('\n').slice(0, block.line - 1);
  const heading = lines.reverse().find((line) => /^## /.test(line));
  return heading?.replace(/^## /, '').trim();
}
