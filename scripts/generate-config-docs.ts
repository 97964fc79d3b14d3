/** `npm run generate`: write the artifacts derived from the config schema and error catalogue. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { renderConfigDoc, renderErrorsDoc, renderJsonSchema } from '../src/config/reference.js';

mkdirSync('schema', { recursive: true });
mkdirSync('docs', { recursive: true });
writeFileSync('schema/switchyard.schema.json', renderJsonSchema());
writeFileSync('docs/config.md', renderConfigDoc());
writeFileSync('docs/errors.md', renderErrorsDoc());
console.log('wrote schema/switchyard.schema.json, docs/config.md, docs/errors.md');
