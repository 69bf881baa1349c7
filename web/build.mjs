// Build the demo shop page into dist/: the page (src/) plus rasa-webchat's self-contained
// bundle, copied from node_modules with its remote web-font @imports removed so that the page
// loads nothing but files from its own server. Run by `make web` after `npm ci`.
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, "dist");
rmSync(dist, { recursive: true, force: true });
mkdirSync(dist);

for (const name of readdirSync(join(here, "src"))) {
  copyFileSync(join(here, "src", name), join(dist, name));
}

const bundlePath = join(here, "node_modules", "rasa-webchat", "lib", "index.js");
const remoteImport = /@import url\(https?:\/\/[^)]*\);/g;
const bundle = readFileSync(bundlePath, "utf8").replace(remoteImport, "");
const left = bundle.match(/@import url\(https?:/g);
if (left) {
  console.error(`rasa-webchat still imports ${left.length} remote stylesheet(s)`);
  process.exit(1);
}
writeFileSync(join(dist, "rasa-webchat.js"), bundle);
console.log(`web page built in ${dist}`);
