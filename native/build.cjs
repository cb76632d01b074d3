// Install step of @segfusion/native: builds the oneDNN addon with node-gyp when oneDNN's headers are on
// the machine (Debian: apt-get install libdnnl-dev), and otherwise says so and succeeds, so that an
// install without them gives a working SegFusion on the plain wasm backend. No -march: oneDNN picks
// its instruction set at run time. SEGFUSION_NATIVE=off skips the build.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const HEADER = ['/usr/include/oneapi/dnnl/dnnl.hpp', '/usr/local/include/oneapi/dnnl/dnnl.hpp'];
if (process.env.SEGFUSION_NATIVE === 'off') {
  console.log('@segfusion/native: SEGFUSION_NATIVE=off, not built');
  process.exit(0);
}
if (!HEADER.some((h) => fs.existsSync(h))) {
  console.log('@segfusion/native: oneDNN headers not found (apt-get install libdnnl-dev); SegFusion will train on the plain wasm backend');
  process.exit(0);
}
// npm tells install scripts where its own node-gyp is; outside npm, the one on PATH.
const gyp = process.env.npm_config_node_gyp;
const [cmd, args] = gyp ? [process.execPath, [gyp, 'rebuild']] : ['node-gyp', ['rebuild']];
const r = spawnSync(cmd, args, { cwd: __dirname, stdio: 'inherit' });
if (r.status !== 0) {
  fs.rmSync(path.join(__dirname, 'build'), { recursive: true, force: true });
  console.log(`@segfusion/native: the build failed (exit ${r.status}); SegFusion will train on the plain wasm backend`);
}
process.exit(0);
