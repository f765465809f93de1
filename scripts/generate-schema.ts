// Regenerates schema/cutover.schema.json from the zod schema. `npm run schema`.
import { writeFileSync } from 'node:fs';
import { configJsonSchemaText } from '../src/config/json-schema.ts';

const path = new URL('../schema/cutover.schema.json', import.meta.url);
writeFileSync(path, configJsonSchemaText());
console.log(`wrote ${path.pathname}`);
