/**
 * The table in docs/compatibility.md: what each server offered the direct client and which
 * requests the suite compared. Built from what the suite saw, in the order of SERVERS, so the
 * same servers give the same text; the suite fails when the committed copy differs.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ListKind } from './harness.js';
import type { Check, ServerSpec } from './servers.js';

export const DOC = fileURLToPath(new URL('../../docs/compatibility.md', import.meta.url));
const START = '<!-- compat-table:start (written by test/compat: npm run compat:doc) -->';
const END = '<!-- compat-table:end -->';

export interface Row {
  spec: ServerSpec;
  version: string;
  counts: Record<ListKind, number>;
  /** Lists the server declares but answers with an error (read as empty). */
  listErrors: string[];
  /** What the gateway reports it tolerated of this server (/readyz `tolerated`). */
  tolerated: string[];
  checks: Check[];
}

function describeCheck(c: Check): string {
  if ('tool' in c) return `\`${c.tool}\``;
  if ('prompt' in c) return `prompt \`${c.prompt}\``;
  return `read \`${c.resource}\``;
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

export function renderTable(rows: readonly Row[]): string {
  const lines = [
    '| server | package | transport | tools | prompts | resources | templates | requests compared | notes |',
    '| --- | --- | --- | --: | --: | --: | --: | --- | --- |',
  ];
  for (const r of rows) {
    const notes = [
      ...r.listErrors.map(
        (e) => `Answers \`${e.split(':')[0]}\` with an error (${e.slice(e.indexOf(':') + 2)}).`,
      ),
      r.tolerated.length
        ? `The gateway reports (\`/readyz\` \`tolerated\`): ${r.tolerated.map((t) => `"${t}"`).join(', ')}.`
        : '',
      r.spec.notes,
    ].filter(Boolean);
    lines.push(
      `| ${[
        r.spec.name,
        `\`${r.spec.package}@${r.version}\``,
        r.spec.transport,
        r.counts.tools,
        r.counts.prompts,
        r.counts.resources,
        r.counts.resourceTemplates,
        r.checks.length ? r.checks.map(describeCheck).join(', ') : '—',
        notes.join(' '),
      ]
        .map((v) => cell(String(v)))
        .join(' | ')} |`,
    );
  }
  return lines.join('\n');
}

/**
 * docs/compatibility.md with this table in it, formatted as `npm run lint` wants it (Prettier
 * aligns the columns), and the file as committed.
 */
export async function docWithTable(table: string): Promise<{ expected: string; committed: string }> {
  const committed = readFileSync(DOC, 'utf8');
  const start = committed.indexOf(START);
  const end = committed.indexOf(END);
  if (start < 0 || end < start) throw new Error(`${DOC} has no ${START} … ${END} block`);
  const raw = `${committed.slice(0, start + START.length)}\n\n${table}\n\n${committed.slice(end)}`;
  const prettier = await import('prettier');
  const options = await prettier.resolveConfig(DOC);
  return { expected: await prettier.format(raw, { ...options, filepath: DOC }), committed };
}

export function writeDoc(text: string): void {
  writeFileSync(DOC, text);
}
