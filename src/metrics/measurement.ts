import type { Measurement } from './provider.ts';

/** A reading that could not be taken. */
export function errorMeasurement(startedAt: number, message: string): Measurement {
  return { phase: 'error', startedAt, finishedAt: Date.now(), message };
}

/** A reading whose source answered with nothing to judge. */
export function inconclusiveMeasurement(startedAt: number, message: string): Measurement {
  return { phase: 'inconclusive', startedAt, finishedAt: Date.now(), message };
}

/** A reading with a value; `values` only when the source gave several samples. */
export function valueMeasurement(startedAt: number, value: number, extra: { values?: number[]; message?: string } = {}): Measurement {
  return { phase: 'successful', value, startedAt, finishedAt: Date.now(), ...extra };
}

/**
 * One line for why an I/O step failed, with the code a person can search for
 * (`connect ECONNREFUSED 127.0.0.1:9`, `timed out after 2s`).
 */
export function describeError(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    const causeCode = (err.cause as { code?: unknown } | undefined)?.code;
    const message = err.message || String(code ?? err.name);
    const extraCode = typeof causeCode === 'string' && !message.includes(causeCode) ? ` (${causeCode})` : '';
    if (err.cause instanceof Error && err.cause.message && !message.includes(err.cause.message)) {
      return `${message}: ${err.cause.message}${extraCode}`;
    }
    return `${message}${extraCode}`;
  }
  return String(err);
}
