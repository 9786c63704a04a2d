// mermaid-parse.mjs FILE... - runs Mermaid's own parser over each file and
// prints "ok FILE" or "FAIL FILE: message"; exits 1 if any fails.  Used by
// tests/run-graph.sh when MERMAID_MODULES names a node_modules directory
// that holds mermaid (11) and jsdom (Mermaid needs a DOM even to parse).
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

const dir = process.env.MERMAID_MODULES;
const require = createRequire(path.join(dir, 'noop.js'));
const { JSDOM } = require('jsdom');
const dom = new JSDOM('<!DOCTYPE html><body></body>');
globalThis.window = dom.window;
globalThis.document = dom.window.document;
globalThis.DOMParser = dom.window.DOMParser;
const url = pathToFileURL(path.join(dir, 'mermaid', 'dist', 'mermaid.core.mjs'));
const { default: mermaid } = await import(url.href);

let failed = 0;
for (const file of process.argv.slice(2)) {
    try {
        await mermaid.parse(fs.readFileSync(file, 'utf8'));
        console.log(`ok ${file}`);
    } catch (e) {
        failed++;
        console.log(`FAIL ${file}: ${String(e.message || e)}`);
    }
}
process.exit(failed ? 1 : 0);
