'use strict';
// Copies protos/lait/v1/lait.proto (the repository's single source of truth) into dist/protos so
// that the built package is self-contained: the client loads it from there at run time.
const fs = require('node:fs');
const path = require('node:path');

const source = path.resolve(__dirname, '..', '..', '..', 'protos', 'lait', 'v1', 'lait.proto');
const target = path.resolve(__dirname, '..', 'dist', 'protos', 'lait', 'v1', 'lait.proto');
if (!fs.existsSync(source)) {
  console.error(`copy-protos: ${source} is missing (build from a LaitGrpc checkout)`);
  process.exit(1);
}
fs.mkdirSync(path.dirname(target), { recursive: true });
fs.copyFileSync(source, target);
