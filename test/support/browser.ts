/**
 * A real browser for tests of what a web page can do to the gateway: Debian's Chromium, driven by
 * playwright-core. Host names can be pointed at loopback (`--host-resolver-rules`), so a page can
 * come from a foreign origin (`http://evil.test:…`) without any network.
 *
 * Without Chromium the browser tests skip with a message (CI installs it: `.ci/run`).
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = process.env.SWITCHYARD_CHROMIUM ?? '/usr/bin/chromium';

export const haveChromium = existsSync(CHROMIUM);

if (!haveChromium) {
  if (process.env.CI) throw new Error(`CI needs Chromium at ${CHROMIUM} (apt-get install -y chromium)`);
  console.warn(
    `\n[switchyard tests] no Chromium at ${CHROMIUM}: browser tests are skipped ` +
      '(apt-get install -y chromium, or set SWITCHYARD_CHROMIUM).\n',
  );
}

/**
 * Launch headless Chromium; `hosts` are resolved to 127.0.0.1. Chromium's own Local Network Access
 * checks are off: the gateway must hold without them (other browsers have none), and a test must
 * see the gateway's answer, not the browser's.
 */
export function launchBrowser(hosts: readonly string[] = []): Promise<Browser> {
  const rules = hosts.map((h) => `MAP ${h} 127.0.0.1`).join(', ');
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-gpu',
      '--disable-features=LocalNetworkAccessChecks,BlockInsecurePrivateNetworkRequests,PrivateNetworkAccessSendPreflights',
      ...(rules ? [`--host-resolver-rules=${rules}`] : []),
    ],
  });
}
