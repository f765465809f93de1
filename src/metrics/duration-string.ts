import { z } from 'zod';
import { isDuration } from '../config/duration.ts';

/** A duration as written in cutover.yaml (`250ms`, `1s`, `5m`); kept as text so the JSON Schema stays plain. */
export const durationString = z
  .string()
  .refine(isDuration, { message: 'expected a duration such as 250ms, 30s, 5m or 1h' })
  .describe('a duration such as 250ms, 30s, 5m or 1h');
