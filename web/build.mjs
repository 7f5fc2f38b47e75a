// Writes dist/: our own files from src/ and the one library we use (dagre,
// for graph layout) from node_modules, so the server needs no network.
import { cpSync, mkdirSync, rmSync, copyFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = dirname(fileURLToPath(import.meta.url));
const dist = join(root, 'dist');
// A syntax error in our own code fails the build here, not in the browser.
for (const f of readdirSync(join(root, 'src')).filter((n) => n.endsWith('.js'))) {
  execFileSync(process.execPath, ['--check', join(root, 'src', f)], { stdio: 'inherit' });
}
rmSync(dist, { recursive: true, force: true });
mkdirSync(join(dist, 'vendor'), { recursive: true });
cpSync(join(root, 'src'), dist, { recursive: true });
const dagre = join(root, 'node_modules', '@dagrejs', 'dagre');
copyFileSync(join(dagre, 'dist', 'dagre.esm.js'), join(dist, 'vendor', 'dagre.esm.js'));
copyFileSync(join(dagre, 'LICENSE'), join(dist, 'vendor', 'dagre.LICENSE'));
console.log(`web: wrote ${readdirSync(dist).length} entries to ${dist}`);
