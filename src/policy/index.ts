/**
 * Identity and policy: who is asking (authn: API keys, the admin token, JWT), what they may do
 * (authz rules), and whether a tool is still the one that was approved (pinning).
 */
export { Authenticator } from './authn.js';
export { ApiKeyVerifier, createKey, describeKey, hashKey, keyId } from './keys.js';
export { credentialFromHeader, isAdmin, type Credential, type Principal } from './principal.js';
