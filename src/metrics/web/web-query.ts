import * as z from 'zod';
import { durationField, jsonPathField } from '../../config/fields.ts';

/** A GET that returns JSON, and where the number is inside it. */
export const webQuerySchema = z
  .object({
    kind: z.literal('web'),
    url: z
      .string()
      .min(1)
      .describe('${color}, ${version}, ${app}, ${window} (URL-encoded) and ${targetUrl} are substituted'),
    path: jsonPathField("where the number is, e.g. data.errorRate or $.series[0]['p99']; default: the whole body").optional(),
    headers: z.record(z.string(), z.string()).optional(),
    timeout: durationField('default 5s').optional(),
  })
  .strict();

export type WebQuery = z.infer<typeof webQuerySchema>;
