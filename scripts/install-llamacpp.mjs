/**
 * Installs the embedded llama.cpp engine, node-llama-cpp, with only the CPU prebuilt binary for
 * this platform (`npm run engine:install`). Developers and CI run it to test the embedded engine.
 *
 * node-llama-cpp is an optional peer dependency, so `npm ci` leaves it out. Installing it the plain
 * way does not fit:
 * - its optional dependencies include every GPU build that matches the platform (on linux-x64:
 *   CUDA, CUDA-ext and Vulkan, about 620 MB unpacked next to the 29 MB CPU build);
 * - `npm install --omit=optional` also deletes the project's own platform binaries (esbuild,
 *   rolldown for vitest);
 * - `npm install --no-save node-llama-cpp` does nothing while the root lists it as an optional peer.
 * So the engine is installed in a staging folder of its own with `--omit=optional`, naming the CPU
 * package explicitly, and moved into node_modules/node-llama-cpp with its dependencies nested
 * inside it. package.json and package-lock.json are not touched; `npm ci` (or any npm command that
 * prunes) removes the engine again, and `npm ls` lists it as extraneous.
 *
 * Scripts are ignored: the engine's postinstall would probe GPU builds and, when none loads,
 * download and compile llama.cpp. The gateway asks for prebuilt binaries only.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const modules = join(root, 'node_modules');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const version = pkg.peerDependencies?.['node-llama-cpp'];
if (!version) throw new Error('package.json has no peerDependencies["node-llama-cpp"]');

// node-llama-cpp's names for the CPU (or Metal, on Apple silicon) prebuilt of each platform.
const prebuilts = {
  'linux-x64': 'linux-x64',
  'linux-arm64': 'linux-arm64',
  'linux-arm': 'linux-armv7l',
  'linux-riscv64': 'linux-riscv64',
  'darwin-arm64': 'mac-arm64-metal',
  'darwin-x64': 'mac-x64',
  'win32-x64': 'win-x64',
  'win32-arm64': 'win-arm64',
};
const platform = `${process.platform}-${process.arch}`;
const prebuilt = prebuilts[platform];
if (!prebuilt) {
  console.error(`node-llama-cpp ships no prebuilt binary for ${platform}`);
  process.exit(1);
}
if (!existsSync(modules)) {
  console.error('node_modules is missing: run npm ci first');
  process.exit(1);
}

const npm = (args, cwd) =>
  execFileSync('npm', args, { cwd, stdio: 'inherit', shell: process.platform === 'win32' });

// Staged inside node_modules so the final moves are renames on one file system.
const staging = mkdtempSync(join(modules, '.engine-'));
try {
  writeFileSync(join(staging, 'package.json'), '{ "private": true }\n');
  npm(
    [
      'install',
      '--ignore-scripts',
      '--omit=optional',
      '--no-package-lock',
      '--no-audit',
      '--no-fund',
      `node-llama-cpp@${version}`,
      `@node-llama-cpp/${prebuilt}@${version}`,
    ],
    staging,
  );
  const target = join(modules, 'node-llama-cpp');
  rmSync(target, { recursive: true, force: true });
  renameSync(join(staging, 'node_modules', 'node-llama-cpp'), target);
  for (const meta of ['.bin', '.package-lock.json']) {
    rmSync(join(staging, 'node_modules', meta), { recursive: true, force: true });
  }
  renameSync(join(staging, 'node_modules'), join(target, 'node_modules'));
} finally {
  rmSync(staging, { recursive: true, force: true });
}

// Load the binary the way the gateway does: prebuilt only, CPU, nothing built or downloaded. (The
// engine forks a test process with this process's execArgv, so no `--input-type` flag here.)
const check = `
import('node-llama-cpp').then(async ({ getLlama }) => {
  const llama = await getLlama({ gpu: false, build: 'never', progressLogs: false });
  console.log('node-llama-cpp ${version}: ' + llama.buildType + ' binary loaded (CPU)');
  await llama.dispose();
});`;
execFileSync(process.execPath, ['-e', check], { cwd: root, stdio: 'inherit' });
