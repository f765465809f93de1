import * as z from 'zod';
import { durationField } from '../../config/fields.ts';

/** A program whose output (or exit code) is the metric. */
export const commandQuerySchema = z
  .object({
    kind: z.literal('command'),
    run: z
      .array(z.string())
      .min(1)
      .describe('argv, no shell; ${color}, ${version}, ${app}, ${window} and ${targetUrl} are substituted'),
    value: z
      .enum(['stdout', 'exit-code'])
      .optional()
      .describe('stdout (default): the number on the last line printed; exit-code: the exit code'),
    cwd: z.string().optional().describe('relative to the config file'),
    env: z.record(z.string(), z.string()).optional(),
    timeout: durationField('default 30s; the process group is killed after it').optional(),
  })
  .strict();

export type CommandQuery = z.infer<typeof commandQuerySchema>;
