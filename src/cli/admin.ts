/** `switchyard admin token`: print the admin API's bearer token (configured or generated). */
import { adminTokenFile, loadAdminToken } from '../policy/admin-token.js';
import { configPath, fail, loadOrExit } from './shared.js';

export async function adminToken(opts: { config?: string; path?: boolean }): Promise<void> {
  const config = await loadOrExit(configPath(opts.config));
  if (!config.admin.enabled) fail('the admin API is disabled (admin.enabled: false)');
  const file = adminTokenFile(config);
  if (opts.path) {
    if (config.admin.token) fail('admin.token is set in the config file; no token file is used');
    if (!file) fail(noPlace(config.store));
    process.stdout.write(`${file}\n`);
    return;
  }
  const { token } = loadAdminToken(config);
  if (!token) fail(noPlace(config.store));
  process.stdout.write(`${token}\n`);
}

function noPlace(store: string): string {
  const kind = store.startsWith('sqlite:') ? 'an in-memory store' : 'a Postgres store';
  return (
    `no admin token: with ${kind} there is no place for a generated one. Set admin.token ` +
    '(e.g. `${SWITCHYARD_ADMIN_TOKEN}`) or admin.tokenFile, or list principals in auth.admins'
  );
}
