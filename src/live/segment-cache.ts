/**
 * HLS files an instance fetched from the one running a session, kept a little while for the next
 * viewer asking it: a segment never changes once listed, so viewers watching through the same API
 * instance cost the worker and Redis one fetch per segment, not one each. Viewers asking at the
 * same moment share one fetch. Bounded in entries (the oldest go first) and in age.
 */
export class SegmentCache<T> {
  private readonly entries = new Map<string, { readonly value: Promise<T>; readonly at: number }>();

  constructor(
    private readonly maxEntries = 64,
    private readonly maxAgeMs = 30_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** The value kept for `key`, or `load`'s (kept unless it fails). */
  get(key: string, load: () => Promise<T>): Promise<T> {
    const kept = this.entries.get(key);
    if (kept && this.now() - kept.at <= this.maxAgeMs) return kept.value;
    const value = load();
    this.entries.delete(key);
    this.entries.set(key, { value, at: this.now() });
    value.catch(() => {
      if (this.entries.get(key)?.value === value) this.entries.delete(key);
    });
    for (const oldest of this.entries.keys()) {
      if (this.entries.size <= this.maxEntries) break;
      this.entries.delete(oldest);
    }
    return value;
  }

  get size(): number {
    return this.entries.size;
  }
}
