/** Who is asking: the result of authentication, carried by every request record. */
export interface Principal {
  readonly name: string;
  readonly groups: readonly string[];
  /** How it was established. */
  readonly via: 'api-key' | 'jwt' | 'admin-token' | 'anonymous' | 'local';
  /** The admin token: always an admin. */
  readonly admin?: boolean;
  /** OAuth scopes granted by a JWT (absent for other credentials). */
  readonly scopes?: readonly string[];
}

/** What a front extracted from the transport for authentication. */
export interface Credential {
  /** The bearer token from `Authorization: Bearer …`, if any. */
  bearer?: string;
  /** Something was sent in Authorization that is not a bearer token. */
  malformed?: boolean;
}

export function credentialFromHeader(authorization: string | undefined): Credential {
  if (authorization === undefined || authorization === '') return {};
  const m = /^Bearer +([\x21-\x7e]+) *$/i.exec(authorization);
  return m ? { bearer: m[1]! } : { malformed: true };
}

/** May this principal use the admin API? `admins` holds names and `group:NAME` entries. */
export function isAdmin(p: Principal, admins: readonly string[]): boolean {
  if (p.admin) return true;
  if (p.via === 'anonymous') return false;
  return admins.some((a) => (a.startsWith('group:') ? p.groups.includes(a.slice(6)) : a === p.name));
}
