'use strict';
// Copies protos/lait/v1/lait.proto (the repository's single source of truth) and the
// google/api/*.proto files it imports (its JSON routes) into dist/protos so that the built package
// is self-contained: the client loads them from there at run time.
const fs = require('node:fs');
const path = require('node:path');

const protos = path.resolve(__dirname, '..', '..', '..', 'protos');
const target = path.resolve(__dirname, '..', 'dist', 'protos');
for (const file of ['lait/v1/lait.proto', 'google/api/annotations.proto', 'google/api/http.proto']) {
  const source = path.join(protos, file);
  if (!fs.existsSync(source)) {
    console.error(`copy-protos: ${source} is missing (build from a LaitGrpc checkout)`);
    process.exit(1);
  }
  fs.mkdirSync(path.dirname(path.join(target, file)), { recursive: true });
  fs.copyFileSync(source, path.join(target, file));
}
