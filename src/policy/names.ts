/**
 * Name tricks: a tool whose name uses non-ASCII characters (confusables such as Cyrillic `е` for
 * Latin `e`), differs from another tool only by case or delimiters (`Read_File` vs `read-file`),
 * or wears another upstream's prefix (`docs.search` offered by upstream `evil`) is refused: hidden
 * from lists and not callable. The first tool with a given folded name keeps it.
 */
import type { RouteTable } from '../mcp/federation/route-table.js';

const DELIMS = /[._-]+/g;

/** Case and delimiters folded away: what a reader would take as "the same name". */
export function foldName(name: string): string {
  return name.toLowerCase().replace(DELIMS, '.');
}

/** Federated tool name → why it is refused. Empty when no name is suspect. */
export function screenToolNames(routes: RouteTable, upstreams: readonly string[]): Map<string, string> {
  const problems = new Map<string, string>();
  const firstOf = new Map<string, string>();
  const names = new Set(upstreams);
  for (const t of routes.tools) {
    const u = routes.tool(String(t.name))?.upstream.name;
    if (u) names.add(u);
  }
  const prefixes = [...names].map((u) => ({ upstream: u, folded: `${foldName(u)}.` }));
  for (const t of routes.tools) {
    const name = String(t.name);
    const route = routes.tool(name);
    const own = route?.name ?? name;
    if (/[^\x20-\x7e]/.test(own)) {
      problems.set(name, 'its name contains non-ASCII characters, which can imitate other names');
      continue;
    }
    const folded = foldName(name);
    const other = prefixes.find((p) => p.upstream !== route?.upstream.name && folded.startsWith(p.folded));
    if (other && !folded.startsWith(`${foldName(route?.upstream.name ?? '')}.`)) {
      problems.set(name, `its name imitates the prefix of upstream "${other.upstream}"`);
      continue;
    }
    const first = firstOf.get(folded);
    if (first !== undefined) {
      problems.set(name, `its name differs from tool ${first} only by case or delimiters`);
      continue;
    }
    firstOf.set(folded, name);
  }
  return problems;
}
