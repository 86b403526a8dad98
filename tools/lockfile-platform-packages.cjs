// chdb lists prebuilt engine packages for four platforms as optional dependencies, but only the
// linux-x64 one is published. npm cannot record the others, and `npm ci` then refuses the lock file
// ("Missing: @chdb/lib-darwin-arm64 from lock file"). This adds platform-guarded entries for them
// (npm skips them by os/cpu, nothing is downloaded). Run after `npm install` changes the lock file.
const fs = require('node:fs');
const path = require('node:path');

const file = path.join(__dirname, '..', 'package-lock.json');
const lock = JSON.parse(fs.readFileSync(file, 'utf8'));
const chdb = lock.packages['node_modules/chdb'];
if (!chdb) throw new Error('chdb is not in package-lock.json');
const version = lock.packages['node_modules/@chdb/lib-linux-x64-gnu']?.version;
if (!version) throw new Error('@chdb/lib-linux-x64-gnu is not in package-lock.json');
const platforms = {
  'lib-darwin-arm64': { os: ['darwin'], cpu: ['arm64'] },
  'lib-darwin-x64': { os: ['darwin'], cpu: ['x64'] },
  'lib-linux-arm64-gnu': { os: ['linux'], cpu: ['arm64'], libc: ['glibc'] },
};
let changed = false;
for (const [name, guard] of Object.entries(platforms)) {
  const key = `node_modules/@chdb/${name}`;
  if (lock.packages[key]) continue;
  lock.packages[key] = { version, license: 'Apache-2.0', optional: true, ...guard };
  changed = true;
}
if (changed) {
  const [rootEntry, ...rest] = Object.entries(lock.packages);
  lock.packages = Object.fromEntries([rootEntry, ...rest.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))]);
  fs.writeFileSync(file, `${JSON.stringify(lock, null, 2)}\n`);
}
process.stdout.write(
  changed ? 'package-lock.json: added chdb platform entries\n' : 'package-lock.json: ok\n',
);
