/**
 * A bounded space of cached answers of one kind (allowed, or refused): origin → expiry time.
 * Oldest first out: a `Map` keeps insertion order, and an answer stored again moves to the end.
 * The cache keeps allowed and refused answers in two of these, each bounded by `maxEntries`,
 * so that a flood of refused origins only ever evicts other refusals.
 */
export class BoundedAnswers {
  private readonly expiries = new Map<string, number>();

  constructor(readonly maxEntries: number) {}

  get size(): number {
    return this.expiries.size;
  }

  /** Whether an answer for `origin` is held and has not expired at `now`; an expired one is dropped. */
  has(origin: string, now: number): boolean {
    const expiresAt = this.expiries.get(origin);
    if (expiresAt === undefined) return false;
    if (expiresAt > now) return true;
    this.expiries.delete(origin);
    return false;
  }

  /** Stores an answer valid until `expiresAt` as the newest one, evicting the oldest beyond `maxEntries`. */
  add(origin: string, expiresAt: number): void {
    this.expiries.delete(origin);
    this.expiries.set(origin, expiresAt);
    if (this.expiries.size > this.maxEntries) {
      const oldest = this.expiries.keys().next();
      if (oldest.done !== true) this.expiries.delete(oldest.value);
    }
  }

  delete(origin: string): void {
    this.expiries.delete(origin);
  }

  /** Drops every answer whose key `matches`. */
  deleteWhere(matches: (key: string) => boolean): void {
    for (const key of [...this.expiries.keys()]) if (matches(key)) this.expiries.delete(key);
  }

  clear(): void {
    this.expiries.clear();
  }
}
