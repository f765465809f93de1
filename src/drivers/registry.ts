import * as z from 'zod';
import { localPlatformSchema } from './local/config-schema.ts';
import { kubernetesPlatformSchema } from './kubernetes/config-schema.ts';

/**
 * Every platform driver: its config schema here, its runtime in `src/drivers/<kind>/`.
 * Adding a driver is one folder plus one line in this union.
 */
export const platformSchema = z.discriminatedUnion('kind', [localPlatformSchema, kubernetesPlatformSchema])
  .describe('Where the releases run: `local` processes behind cutover\'s router, or `kubernetes`.');

export type PlatformKind = z.output<typeof platformSchema>['kind'];
export const PLATFORM_KINDS: readonly PlatformKind[] = ['local', 'kubernetes'];
