import { CutoverError } from '../../core/errors.ts';
import { isProbeToken } from '../../router/probe-token.ts';
import { PROBE_TOKEN_ENV, type KeeperMessage, type WorkerMessage } from './listener-keeper.ts';

/**
 * The daemon worker's side of its IPC channel to the listener keeper (listener-keeper.ts).
 * Only a process started by a keeper has one.
 */
export class KeeperLink {
  #onRetire: (() => Promise<void>) | null = null;
  #onRestartFailed: ((detail: string) => void) | null = null;
  /** The switch probes' token the keeper gives every worker; undefined from an older keeper. */
  readonly probeToken: string | undefined;

  private constructor(probeToken: string | undefined) {
    this.probeToken = probeToken;
    process.on('message', (message: KeeperMessage) => {
      if (message?.type === 'retire') void this.#retire();
      else if (message?.type === 'restart-failed') this.#onRestartFailed?.(message.detail);
    });
    // The keeper is the daemon as far as anyone can tell (daemon.pid names it): when it is
    // gone, so is this worker, at once, as after a kill -9 (replicas stay for the next `up`).
    process.on('disconnect', () => process.exit(1));
  }

  /** The link of this process, or null when it was not started by a keeper. */
  static fromProcess(isWorker: boolean): KeeperLink | null {
    if (!isWorker || typeof process.send !== 'function') return null;
    return new KeeperLink(takeProbeToken());
  }

  /** The pid of the keeper: the daemon's pid for `daemon.pid`, `status` and `down`. */
  get keeperPid(): number {
    return process.ppid;
  }

  /** This worker restored its state and accepts on the listeners. */
  ready(): void {
    this.#send({ type: 'ready' });
  }

  /** Asks for a new worker to take over; the answer is a `retire` (or `restart-failed`). */
  requestRestart(): void {
    this.#send({ type: 'restart' });
  }

  /** `handler` hands over and finishes; the process exits after it. */
  onRetire(handler: () => Promise<void>): void {
    this.#onRetire = handler;
  }

  onRestartFailed(handler: (detail: string) => void): void {
    this.#onRestartFailed = handler;
  }

  async #retire(): Promise<void> {
    try {
      await this.#onRetire?.();
    } finally {
      process.exit(0);
    }
  }

  #send(message: WorkerMessage): void {
    if (process.connected) process.send!(message, undefined, {}, () => {});
  }
}

/**
 * The keeper's probe token, taken out of this process's environment: the replicas and HAProxy
 * the daemon starts inherit that environment, and the token is for the control plane alone.
 * @throws CutoverError('internal') for a value the keeper cannot have made.
 */
function takeProbeToken(): string | undefined {
  const token = process.env[PROBE_TOKEN_ENV];
  delete process.env[PROBE_TOKEN_ENV];
  if (token !== undefined && !isProbeToken(token)) throw new CutoverError('internal', `${PROBE_TOKEN_ENV} from the keeper is not 64 hex digits`);
  return token;
}
