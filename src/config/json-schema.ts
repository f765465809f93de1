import * as z from 'zod';
import { configSchema } from './schema.ts';

/** The JSON Schema of cutover.yaml, generated from the zod schema (the input side: defaults are optional). */
export function configJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return { ...schema, $id: 'https://cutover.dev/schema/cutover.schema.json', title: 'cutover.yaml' };
}

export function configJsonSchemaText(): string {
  return `${JSON.stringify(configJsonSchema(), null, 2)}\n`;
}
