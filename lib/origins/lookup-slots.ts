/** What a queued lookup settles with when it never got a slot: refused as "resolver busy", not cached. */
export const BUSY = 'busy';

/** Gives a slot back; called once the resolver's call settles (later calls do nothing). */
export type ReleaseSlot = () => void;

/** A lookup waiting for a slot, in arrival order. */
interface Waiter {
  readonly start: () => void;
  readonly timer: ReturnType<typeof setTimeout>;
}

/**
 * The `resolverMaxInFlight` slots of one resolver, and the bounded FIFO queue of lookups
 * waiting for one (`resolverMaxQueued`), each for at most `waitMs` (`resolverTimeoutMs`).
 * First come, first served: a flood of made-up origins queued ahead of an honest one delays it,
 * and past `waitMs` the honest one is refused as busy too; cached answers never queue.
 */
export class LookupSlots {
  private running = 0;
  // A Set keeps insertion order and deletes a timed-out waiter in O(1).
  private readonly waiting = new Set<Waiter>();

  constructor(
    private readonly maxInFlight: number,
    private readonly maxQueued: number,
    private readonly waitMs: number,
  ) {}

  /** Calls of the resolver not settled yet. */
  get inFlight(): number {
    return this.running;
  }

  /** Lookups waiting for a slot. */
  get queued(): number {
    return this.waiting.size;
  }

  /**
   * Runs `call` now if a slot is free (synchronously, as before the queue existed), else once
   * one is (first come, first served); `BUSY` when the wait outlasts `waitMs`. `undefined` when
   * the queue is full: refuse at once. `call` must call `release` when the resolver's call settles.
   */
  run<T>(call: (release: ReleaseSlot) => Promise<T>): Promise<T | typeof BUSY> | undefined {
    if (this.running < this.maxInFlight) return this.start(call);
    if (this.waiting.size >= this.maxQueued) return undefined;
    return new Promise((resolve) => {
      const waiter: Waiter = {
        start: () => resolve(this.start(call)),
        timer: setTimeout(() => {
          this.waiting.delete(waiter);
          resolve(BUSY);
        }, this.waitMs),
      };
      // A queued wait must not keep the process alive on shutdown.
      waiter.timer.unref();
      this.waiting.add(waiter);
    });
  }

  /** Runs `call` on a slot of its own; a call that throws at once gives the slot back. */
  private start<T>(call: (release: ReleaseSlot) => Promise<T>): Promise<T> {
    const release = this.take();
    try {
      return call(release);
    } catch (error) {
      release();
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  /** Takes a slot; its release starts the first waiter, which inherits the slot's place. */
  private take(): ReleaseSlot {
    this.running++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.running--;
      const next = this.waiting.values().next();
      if (next.done === true) return;
      this.waiting.delete(next.value);
      clearTimeout(next.value.timer);
      next.value.start();
    };
  }
}
