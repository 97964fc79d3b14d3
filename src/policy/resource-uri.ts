/**
 * The form of a resource URI that policy decides on. One resource has many spellings —
 * `file:///srv/secret/x`, `file:///srv//secret/x`, `file:///srv/./secret/x`,
 * `file:///srv/%73ecret/x`, `file:///srv/public/../secret/x` — and a rule must see every one of
 * them as the resource it leads to. So, before matching:
 *
 * - percent-encoded unreserved characters are decoded, other escapes upper-cased (RFC 3986
 *   §6.2.2.1–2), after NFKC folding (the same folding rules get, so `．．` is `..`);
 * - repeated slashes in the path are collapsed (file systems read `//` as `/`), then dot
 *   segments removed (RFC 3986 §5.2.4);
 * - `file:` URIs take the form readers give them (`file://localhost/x`, `file:/x` → `file:///x`).
 *
 * What is left that some reader would still take as a step up — `..` behind an encoded
 * separator (`..%2F`), behind a backslash or `%5C`, encoded more than once, or `..;` — has no
 * single reading to decide on, and neither has a URI with characters URIs may not contain raw
 * (controls, which WHATWG URL parsers drop, and backslashes, which they read as `/`). Those are
 * refused: `canonicalResourceUri` returns undefined.
 *
 * Only the decision uses this form; the upstream gets the URI the client sent.
 */

/** RFC 3986 §2.3. */
const UNRESERVED = /[A-Za-z0-9\-._~]/;
/** RFC 3986 Appendix B: scheme, authority, path, query and fragment of any URI reference. */
const PARTS = /^(?:([^:/?#]+):)?(?:\/\/([^/?#]*))?([^?#]*)(.*)$/s;
/** Readers disagree on these (WHATWG URL drops tabs and newlines, reads `\` as `/`). */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const AMBIGUOUS = /[\u0000-\u001f\u007f\\]/;
/** Decoding rounds an encoded `..` is looked for behind; more layers than this is refused. */
const MAX_LAYERS = 8;

export function canonicalResourceUri(uri: string): string | undefined {
  const folded = uri.normalize('NFKC').replace(/^ +| +$/g, '');
  if (AMBIGUOUS.test(folded)) return undefined;
  const m = PARTS.exec(decodeUnreserved(folded))!;
  const scheme = m[1];
  let authority = m[2];
  let path = m[3]!;
  if (scheme?.toLowerCase() === 'file') {
    if (authority === undefined || authority.toLowerCase() === 'localhost') authority = '';
    if (!path.startsWith('/')) path = `/${path}`;
  }
  path = removeDotSegments(path.replace(/\/{2,}/g, '/'));
  if (climbs(path)) return undefined;
  return `${scheme !== undefined ? `${scheme}:` : ''}${authority !== undefined ? `//${authority}` : ''}${path}${m[4]}`;
}

/** RFC 3986 §5.2.4, on segments: `.` goes, `..` takes the segment before it (never above the root). */
function removeDotSegments(path: string): string {
  if (!path.includes('.')) return path;
  const absolute = path.startsWith('/');
  const input = (absolute ? path.slice(1) : path).split('/');
  const out: string[] = [];
  input.forEach((seg, i) => {
    const last = i === input.length - 1;
    if (seg === '.' || seg === '..') {
      if (seg === '..') out.pop();
      if (last) out.push(''); // `a/b/..` is the directory `a/`
    } else out.push(seg);
  });
  return (absolute ? '/' : '') + out.join('/');
}

/** Would a reader that decodes escapes (once or more) and splits on `/` or `\` go up a level? */
function climbs(path: string): boolean {
  let p = path;
  for (let layer = 0; layer <= MAX_LAYERS; layer++) {
    if (p.split(/[/\\]/).some((seg) => seg.split(';')[0] === '..')) return true;
    if (!p.includes('%')) return false;
    const next = decodeOnce(p);
    if (next === p) return false;
    p = next;
  }
  return true;
}

function decodeOnce(s: string): string {
  return s
    .replace(/(?:%[0-9A-Fa-f]{2})+/g, (run) => {
      try {
        return decodeURIComponent(run);
      } catch {
        // Not UTF-8: byte by byte (enough to see `.`, `/` and `\`).
        return run.replace(/%([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
      }
    })
    .normalize('NFKC');
}

/**
 * A rule's resource glob, spelled like the URIs it is matched against: unreserved characters
 * decoded and, when it starts with `scheme://authority`, repeated slashes in its path collapsed.
 */
export function canonicalResourceGlob(glob: string): string {
  const decoded = decodeUnreserved(glob);
  const m = /^([^:/?#*]+:\/\/[^/?#*]*)(.*)$/s.exec(decoded);
  return m ? m[1]! + m[2]!.replace(/\/{2,}/g, '/') : decoded;
}

/** RFC 3986 §6.2.2.1–2: `%7E` is `~`; other escapes in upper case. */
function decodeUnreserved(s: string): string {
  return s.replace(/%([0-9A-Fa-f]{2})/g, (_, hex: string) => {
    const c = String.fromCharCode(parseInt(hex, 16));
    return UNRESERVED.test(c) ? c : `%${hex.toUpperCase()}`;
  });
}
