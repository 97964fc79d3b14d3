/**
 * Installs the MCP servers of the compatibility suite (test/compat/servers) from their lockfile,
 * without install scripts: some download browsers or binaries, which cannot work offline and are
 * not needed there. Does nothing when the installed tree was made from the same lockfile.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('../test/compat/servers/', import.meta.url));
const stamp = `${dir}node_modules/.switchyard-compat-lock`;
const hash = createHash('sha256')
  .update(readFileSync(`${dir}package.json`))
  .update(readFileSync(`${dir}package-lock.json`))
  .digest('hex');

if (existsSync(stamp) && readFileSync(stamp, 'utf8') === hash) {
  console.log('compat servers: installed from this lockfile already');
} else {
  execFileSync('npm', ['ci', '--ignore-scripts', '--no-audit', '--no-fund'], { cwd: dir, stdio: 'inherit' });
  writeFileSync(stamp, hash);
}
