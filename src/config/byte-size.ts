import { z } from 'zod';

const SIZE = /^(\d+(?:\.\d+)?)\s*(B|KB|KiB|MB|MiB|GB|GiB)?$/;
const UNITS: Readonly<Record<string, number>> = { B: 1, KB: 1_000, KiB: 1_024, MB: 1_000_000, MiB: 1_048_576, GB: 1_000_000_000, GiB: 1_073_741_824 };

/** `10MB`, `512KiB`, `1GB` or a plain number of bytes. Hand-written: one regex does not justify a dependency. */
export function parseByteSize(text: string): number | null {
  const match = SIZE.exec(text.trim());
  if (!match) return null;
  return Math.round(Number(match[1]) * UNITS[match[2] ?? 'B']!);
}

export const byteSizeField = (description: string, min: number) =>
  z.string().refine((s) => { const n = parseByteSize(s); return n !== null && n >= min; }, { message: `expected a size such as 10MB or 512KiB, at least ${min} bytes` }).describe(description);
