import { randomBytes } from 'node:crypto';
import { CutoverError } from '../errors.ts';
import type { Clock, CoreDeps } from '../deps.ts';
import { systemClock } from '../deps.ts';
import type { TrafficBaselineRecorder } from '../guardrails/traffic-baseline.ts';
import type { TrafficBaseline } from '../guardrails/traffic-signals.ts';
import type { OperationSignal } from '../signals.ts';
import type { HeldLock } from '../store.ts';
import type { HookReport } from '../lifecycle-hooks.ts';
import { LivePhaseEvidence } from './live-phase-evidence.ts';
import { assertColorMove, assertPhaseMove } from '../transitions.ts';
import { emptyState, type AppState, type Color, type ColorState, type Operation, type OperationKind, type OperationOptions, type Outcome, type PhaseName, type PhaseRecord, type PhaseStatus } from '../types.ts';

const SIGNAL_POLL_MS = 250;

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function seededState(deps: CoreDeps): AppState {
  const state = emptyState(deps.settings.app);
  state.flags = { blue: { ...deps.settings.defaultFlags }, green: { ...deps.settings.defaultFlags } };
  return state;
}

/**
 * One operation's bookkeeping: the lock, the state record saved after every transition, the
 * history, and requests from other processes (abort, promote, finalize, rollback).
 */
export class OperationContext {
  readonly deps: CoreDeps;
  readonly clock: Clock;
  state: AppState;
  readonly lock: HeldLock;
  /** Aborted when someone runs `cutover abort` (or the process is interrupted). */
  readonly abort = new AbortController();
  private readonly seen = new Set<OperationSignal>();
  /** Ends the poll for signals (`abort`, `promote`) when the operation closes. */
  private readonly signalWatch = new AbortController();
  private watchingSignals = false;
  private current: PhaseRecord | null = null;
  private currentStarted = 0;
  /** Hook reports waiting to be merged into the evidence of the running or next phase. */
  private hookReports: HookReport[] = [];
  /** After adopting an interrupted operation, the first phase may re-enter an earlier one. */
  private resumed = false;
  /** Reads the old color's live traffic from provision to the switch (in memory: a resume has none). */
  baselineRecorder: TrafficBaselineRecorder | null = null;
  /** What the old color's traffic did just before the switch, for the bake window's comparison. */
  trafficBaseline: TrafficBaseline | null = null;
  /** Saves run one after another, so a live-evidence save never lands after a later save. */
  private saving: Promise<void> = Promise.resolve();
  private readonly live: LivePhaseEvidence;

  private constructor(deps: CoreDeps, state: AppState, lock: HeldLock) {
    this.deps = deps;
    this.clock = deps.clock ?? systemClock;
    this.state = state;
    this.lock = lock;
    this.live = new LivePhaseEvidence(() => this.save(), this.clock);
  }

  get op(): Operation {
    if (!this.state.operation) throw new CutoverError('internal', 'no operation in progress');
    return this.state.operation;
  }

  /** Takes the lock and loads the state. @throws CutoverError('locked') */
  static async open(deps: CoreDeps, command: string): Promise<OperationContext> {
    const lock = await deps.store.acquireLock({ ...deps.holder, command, since: new Date().toISOString() });
    try {
      const state = (await deps.store.load()) ?? seededState(deps);
      return new OperationContext(deps, state, lock);
    } catch (err) {
      await lock.release();
      throw err;
    }
  }

  /** Starts a new operation record. @throws CutoverError('locked') if an unfinished one exists. */
  async begin(kind: OperationKind, version: string | null, target: Color, options: OperationOptions): Promise<void> {
    const existing = this.state.operation;
    if (existing) {
      const waiting = existing.phases.at(-1)?.status === 'waiting';
      const next = waiting ? 'run `cutover promote` to switch or `cutover abort` to drop it' : 'run `cutover resume` to finish it or `cutover abort` to undo it';
      throw new CutoverError('locked', `an unfinished ${existing.kind} of ${existing.version ?? '-'} (${existing.id}) is ${waiting ? 'waiting at the gate' : `at phase ${existing.phase}`}; ${next}`, { details: { operation: existing.id, phase: existing.phase } });
    }
    const now = new Date(this.clock.now()).toISOString();
    this.state.operation = {
      id: `${kind}-${now.replace(/[-:.TZ]/g, '').slice(0, 14)}-${randomBytes(2).toString('hex')}`,
      kind,
      version,
      target,
      from: this.state.live,
      phase: 'preflight',
      phases: [],
      startedAt: now,
      holder: this.lock.holder,
      options,
    };
    await this.save();
    await this.history({ event: 'started', message: `${kind} ${version ?? ''} to ${target}`.trim() });
    this.deps.notify?.({ type: 'operation-started', app: this.state.app, operationId: this.op.id, kind, version });
    this.watchSignals();
  }

  /** Continues an operation found in the state (resume, promote, abort of an orphan). */
  adopt(): void {
    this.op.holder = this.lock.holder;
    this.resumed = true;
    this.watchSignals();
  }

  private watchSignals(): void {
    if (this.watchingSignals) return;
    this.watchingSignals = true;
    const stop = this.signalWatch.signal;
    void (async () => {
      while (!stop.aborted) {
        try {
          const signals = await this.deps.store.signals(this.op.id);
          for (const s of signals) this.seen.add(s);
          if (signals.has('abort') && !this.abort.signal.aborted) this.abort.abort();
        } catch { /* a missed poll is retried */ }
        await this.clock.sleep(SIGNAL_POLL_MS, stop);
      }
    })();
  }

  hasSignal(signal: OperationSignal): boolean {
    return this.seen.has(signal);
  }

  /**
   * Forgets a signal already acted on (e.g. the promote that released the gate), so a later wait
   * needs a fresh one. Waits out one poll so a read in flight cannot bring it back.
   */
  async forgetSignal(signal: OperationSignal): Promise<void> {
    if (!this.seen.has(signal)) return;
    this.seen.delete(signal);
    await this.deps.store.clearSignals(this.op.id).catch(() => {});
    await this.clock.sleep(SIGNAL_POLL_MS + 50);
    this.seen.delete(signal);
  }

  async save(): Promise<void> {
    const next = this.saving.catch(() => {}).then(() => {
      this.state.updatedAt = new Date(this.clock.now()).toISOString();
      return this.deps.store.save(this.state);
    });
    this.saving = next;
    await next;
  }

  /**
   * A callback that shows evidence gathered so far (e.g. analysis measurements) as `data[key]`
   * of the running phase's record, saved through the store at most about once a second, so
   * `status` and the dashboard see it before the phase ends. Calls after the phase ended are ignored.
   */
  liveEvidence(key: string): (value: unknown) => void {
    const record = this.current;
    return (value) => {
      if (record && this.current === record && record.status === 'running') this.live.set(record, key, value);
    };
  }

  async history(entry: { event: 'started' | 'phase' | 'finished'; phase?: PhaseRecord; outcome?: Outcome; message?: string; kind?: OperationKind }): Promise<void> {
    const op = this.state.operation;
    await this.deps.store.appendHistory({
      at: new Date(this.clock.now()).toISOString(),
      operationId: op?.id ?? 'none',
      version: op?.version ?? null,
      live: { color: this.state.live, version: this.state.live ? this.state.colors[this.state.live].version : null },
      ...entry,
      kind: entry.kind ?? op?.kind ?? 'deploy',
    });
  }

  /** Records the start of a phase (checking the move is legal) and persists it. */
  async beginPhase(name: PhaseName, description: string): Promise<void> {
    const op = this.op;
    const from = op.phases.length === 0 ? 'start' : op.phase;
    if (this.resumed) this.resumed = false;
    else assertPhaseMove(from, name);
    op.phase = name;
    this.currentStarted = this.clock.now();
    this.current = { name, status: 'running', startedAt: new Date(this.currentStarted).toISOString(), durationMs: 0, detail: description };
    op.phases.push(this.current);
    await this.save();
    this.deps.reporter.phaseStarted(name, description);
  }

  /** Closes the current phase with its result and evidence, persists it and tells everyone. */
  async endPhase(status: PhaseStatus, detail: string, data?: unknown): Promise<PhaseRecord> {
    const record = this.current;
    if (!record) throw new CutoverError('internal', 'endPhase without beginPhase');
    record.status = status;
    record.detail = detail;
    record.durationMs = this.clock.now() - this.currentStarted;
    this.live.settle(record);
    if (data !== undefined) record.data = data;
    if (this.hookReports.length > 0) {
      record.data = { ...(isRecord(record.data) ? record.data : record.data === undefined ? {} : { result: record.data }), hooks: this.hookReports };
      this.hookReports = [];
    }
    this.current = status === 'waiting' ? record : null;
    await this.save();
    await this.history({ event: 'phase', phase: record });
    this.deps.reporter.phaseFinished(record);
    this.deps.notify?.({ type: 'phase-finished', app: this.state.app, operationId: this.op.id, kind: this.op.kind, version: this.op.version, phase: record });
    return record;
  }

  /**
   * Keeps a hook's report as evidence: in the running phase's record when it ends, else in the
   * next phase's. `attachNow` puts it on the last phase record right away (a failed hook that
   * ends the operation before another phase starts).
   */
  async recordHook(report: HookReport, attachNow = false): Promise<void> {
    const last = this.op.phases.at(-1);
    if (!attachNow || this.inPhase || !last) {
      this.hookReports.push(report);
      return;
    }
    const data = isRecord(last.data) ? last.data : last.data === undefined ? {} : { result: last.data };
    last.data = { ...data, hooks: [...(Array.isArray(data['hooks']) ? data['hooks'] : []), report] };
    await this.save();
  }

  /** True while a phase has begun and not ended (used to close it on an unexpected error). */
  get inPhase(): boolean {
    return this.current !== null && this.current.status === 'running';
  }

  /** Tells webhooks about an analysis verdict, tagged with this operation. */
  notifyVerdict(stage: string, verdict: string, summary: string): void {
    this.deps.notify?.({ type: 'verdict', app: this.state.app, operationId: this.op.id, kind: this.op.kind, version: this.op.version, message: `${stage} analysis ${verdict}: ${summary}` });
  }

  setColor(color: Color, state: ColorState, version?: string | null): void {
    const record = this.state.colors[color];
    assertColorMove(color, record.state, state);
    record.state = state;
    if (version !== undefined) record.version = version;
    record.since = new Date(this.clock.now()).toISOString();
  }

  /** Ends the operation: clears it from the state, records the outcome, releases the lock. */
  async finish(outcome: Outcome, message: string): Promise<void> {
    const op = this.op;
    assertPhaseMove(op.phase, 'done');
    this.state.lastOutcome = { operationId: op.id, kind: op.kind, outcome, at: new Date(this.clock.now()).toISOString(), message };
    await this.history({ event: 'finished', outcome, message });
    this.state.operation = null;
    await this.save();
    await this.deps.store.clearSignals(op.id).catch(() => {});
    this.deps.notify?.({ type: 'operation-finished', app: this.state.app, operationId: op.id, kind: op.kind, version: op.version, outcome, message });
    await this.close();
  }

  /** Leaves the operation in the state (e.g. waiting at the gate) and releases the lock. */
  async suspend(): Promise<void> {
    await this.save();
    await this.close();
  }

  async close(): Promise<void> {
    this.live.cancel();
    if (this.baselineRecorder) await this.baselineRecorder.stop().catch(() => null);
    this.baselineRecorder = null;
    this.signalWatch.abort();
    await this.lock.release();
  }
}
