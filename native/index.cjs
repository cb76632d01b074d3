'use strict';
// The built addon, or null with the reason when it was not built (no oneDNN headers at install).
const path = require('node:path');
let addon = null;
let reason = null;
try {
  addon = require(path.join(__dirname, 'build', 'Release', 'segfusion_dnnl.node'));
} catch (err) {
  reason = err && err.code === 'MODULE_NOT_FOUND' ? 'the oneDNN addon was not built (install libdnnl-dev, then npm ci)' : String(err && err.message);
}
module.exports = { addon, reason };
