// Builds the dashboard and the explorer into web/dist unless they are already built from the same sources:
// `npm start` and `npm test` call it, and an unchanged tree costs a hash of a few files instead of a build.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const web = path.dirname(fileURLToPath(import.meta.url));
const root = path.dirname(web);
const dist = path.join(web, 'dist');
const stampFile = path.join(dist, '.sources');

function* files(dir) {
  for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) {
      if (p !== dist) yield* files(p);
    } else yield p;
  }
}

const hash = createHash('sha256');
for (const f of [...files(web), path.join(root, 'package-lock.json')]) {
  hash.update(path.relative(root, f)).update('\0').update(fs.readFileSync(f)).update('\0');
}
const stamp = hash.digest('hex');
const force = process.argv.includes('--force');
if (!force && fs.existsSync(stampFile) && fs.readFileSync(stampFile, 'utf8') === stamp) {
  process.stdout.write('web: dashboard and explorer are up to date (web/dist)\n');
  process.exit(0);
}
const started = Date.now();
const { build } = await import('vite');
await build({ configFile: path.join(web, 'vite.config.mts') });
fs.writeFileSync(stampFile, stamp);
process.stdout.write(`web: built the dashboard and explorer into web/dist in ${Date.now() - started} ms\n`);
