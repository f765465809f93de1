import {
  HttpMethod,
  IsomorphicFetchHttpLibrary,
  Observable,
  ResponseContext,
  type HttpLibrary,
  type RequestContext,
} from '@kubernetes/client-node';
import { systemClock } from '../../core/deps.ts';
import { apiTimeout, ApiTimeoutError, DEFAULT_API_CALL_POLICY, isRetryable, RETRY_STATUS, type ApiCallPolicy } from './api-call-policy.ts';
import { FIELD_MANAGER } from './object-names.ts';

/** A call that may be sent twice without changing the outcome: reads, and patches (merge and apply). */
const IDEMPOTENT = new Set<HttpMethod>([HttpMethod.GET, HttpMethod.HEAD, HttpMethod.PATCH, HttpMethod.OPTIONS]);
const MUTATING = new Set<HttpMethod>([HttpMethod.POST, HttpMethod.PUT, HttpMethod.PATCH]);

/**
 * The client's HTTP layer with a deadline on every call and bounded retries, plus the field
 * manager on every write. The generated client has neither: a server that accepts a
 * connection and never answers makes each call wait for the OS's TCP timeout (minutes), and
 * writes are recorded under the HTTP library's name. Retries are only for failures that came
 * back fast (refused, reset, 429/5xx) and only for calls that are safe to repeat; a timed-out
 * call is not retried, so a hung server is reported after one timeout, not several.
 */
export class BoundedHttpLibrary implements HttpLibrary {
  private readonly inner = new IsomorphicFetchHttpLibrary();
  private readonly policy: ApiCallPolicy;

  constructor(policy: ApiCallPolicy = DEFAULT_API_CALL_POLICY) {
    this.policy = policy;
  }

  send(request: RequestContext): Observable<ResponseContext> {
    return new Observable(this.sendBounded(request));
  }

  private async sendBounded(request: RequestContext): Promise<ResponseContext> {
    const method = request.getHttpMethod();
    if (MUTATING.has(method) && !new URL(request.getUrl()).searchParams.has('fieldManager')) request.setQueryParam('fieldManager', FIELD_MANAGER);
    const attempts = IDEMPOTENT.has(method) ? 1 + this.policy.retries : 1;
    for (let attempt = 1; ; attempt++) {
      try {
        const response = await this.once(request);
        if (attempt < attempts && RETRY_STATUS.has(response.httpStatusCode)) {
          await (this.policy.clock ?? systemClock).sleep(this.policy.backoffMs * attempt);
          continue;
        }
        return response;
      } catch (err) {
        if (attempt >= attempts || !isRetryable(err)) throw err;
        await (this.policy.clock ?? systemClock).sleep(this.policy.backoffMs * attempt);
      }
    }
  }

  private async once(request: RequestContext): Promise<ResponseContext> {
    const timeout = new AbortController();
    const caller = request.getSignal();
    const onAbort = () => timeout.abort(caller?.reason);
    caller?.addEventListener('abort', onAbort, { once: true });
    const timer = setTimeout(() => timeout.abort(apiTimeout(this.policy.timeoutMs)), this.policy.timeoutMs);
    request.setSignal(timeout.signal);
    try {
      const response = await this.inner.send(request).toPromise();
      // The body is read after the headers arrive; a server that stalls mid-body hits the same deadline.
      const bytes = await response.body.binary();
      return new ResponseContext(response.httpStatusCode, response.headers, { text: async () => bytes.toString('utf8'), binary: async () => bytes });
    } catch (err) {
      if (timeout.signal.aborted && timeout.signal.reason instanceof ApiTimeoutError) throw timeout.signal.reason;
      throw err;
    } finally {
      clearTimeout(timer);
      caller?.removeEventListener('abort', onAbort);
      if (caller) request.setSignal(caller);
    }
  }
}
