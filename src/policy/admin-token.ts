/**
 * The admin API's own credential. No caller is an admin for where it connects from (a web page
 * in the user's browser is a loopback client too): the admin API takes the admin token or a
 * principal listed in `auth.admins`. Unless `admin.token` is configured, the gateway generates
 * the token on first start and keeps it in `admin.tokenFile` (default: `<SQLite file>.admin-token`), where `switchyard admin token` finds it again.
 */
import { resolve } from 'node:path';
import type { Config } from '../config/schema.js';
import { randomBytes } from 'node:crypto';
import { besideStore, readOrCreateSecret } from '../store/secret-file.js';

export interface AdminToken {
  /** The bearer that makes a caller an admin (none: only `auth.admins` principals are). */
  token?: string;
  /** Where a generated token is kept. */
  file?: string;
  /** The file was written by this call (first start): tell the user where it is, once. */
  created?: boolean;
  /** The file is readable by other users than its owner. */
  exposed?: boolean;
}

export function adminTokenFile(config: Config): string | undefined {
  if (config.admin.tokenFile) return resolve(config.admin.tokenFile);
  return besideStore(config.store, 'admin-token');
}

/** The configured token, or the one kept in (or, the first time, created in) the token file. */
export function loadAdminToken(config: Config): AdminToken {
  if (config.admin.token) return { token: config.admin.token };
  if (!config.admin.enabled) return {};
  const file = adminTokenFile(config);
  if (!file) return {};
  const secret = readOrCreateSecret(file, () => `swy_admin_${randomBytes(32).toString('base64url')}`);
  return { token: secret.value, file, created: secret.created, exposed: secret.exposed };
}
