/**
 * A latency histogram kept in a plain typed array and rendered as Prometheus text at scrape
 * time. prom-client's Histogram was used before: its `observe()` builds a labels object, a
 * closure result and a label-hash string on every call, which on the router's hot path cost
 * more than everything else the router does per request. This class renders the same text
 * prom-client does (`latency-histogram.test.ts` compares the two), so scrapers and the
 * builtin metric provider see no difference.
 */
export class LatencyHistogram {
  readonly #bounds: readonly number[];
  /** Observations per bucket, not cumulative; the last slot is above the highest bound. */
  readonly #counts: Float64Array;
  #sum = 0;
  #count = 0;

  /** `bounds` ascending, in seconds. */
  constructor(bounds: readonly number[]) {
    this.#bounds = bounds;
    this.#counts = new Float64Array(bounds.length + 1);
  }

  observe(seconds: number): void {
    // Binary search for the first bound >= seconds: about 5 comparisons for 30 buckets.
    const bounds = this.#bounds;
    let low = 0;
    let high = bounds.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (seconds <= bounds[mid]!) high = mid;
      else low = mid + 1;
    }
    this.#counts[low]!++;
    this.#sum += seconds;
    this.#count++;
  }

  get count(): number {
    return this.#count;
  }

  get sum(): number {
    return this.#sum;
  }

  /** Cumulative counts per bound, then the total (the `+Inf` bucket): what `_bucket` lines show. */
  cumulative(): number[] {
    const out: number[] = [];
    let cumulative = 0;
    for (let i = 0; i < this.#bounds.length; i++) out.push(cumulative += this.#counts[i]!);
    out.push(this.#count);
    return out;
  }

  /**
   * The `_bucket`, `_sum` and `_count` lines of this series, as prom-client writes them:
   * `le` first, then `labels` (already formatted, `color="blue",listener="main"`).
   */
  lines(name: string, labels: string): string[] {
    const out: string[] = [];
    let cumulative = 0;
    for (let i = 0; i < this.#bounds.length; i++) {
      cumulative += this.#counts[i]!;
      out.push(`${name}_bucket{le="${this.#bounds[i]}",${labels}} ${cumulative}`);
    }
    out.push(`${name}_bucket{le="+Inf",${labels}} ${this.#count}`);
    out.push(`${name}_sum{${labels}} ${this.#sum}`);
    out.push(`${name}_count{${labels}} ${this.#count}`);
    return out;
  }
}
