// Builds dist/: the compiled runtime beside the editor files Node-RED looks for next to each node's .js
// (<type>.html, locales/<lang>/, icons/).
import { execFileSync } from "node:child_process";
import { cpSync, rmSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
rmSync("dist", { recursive: true, force: true });
execFileSync(process.execPath, [require.resolve("typescript/bin/tsc"), "-p", "tsconfig.build.json"], {
  stdio: "inherit",
});
cpSync("nodes", "dist/nodes", { recursive: true });
cpSync("icons", "dist/nodes/icons", { recursive: true });
