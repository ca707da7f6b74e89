/** One thing that happens at a simulated time. */
export interface ClockEvent {
  readonly time: number;
  /** Orders events at the same time (lower first), then insertion order. */
  readonly priority: number;
  readonly label: string;
  readonly run: () => Promise<void> | void;
}

/**
 * The replay's clock: time moves only from one event to the next, never by
 * sleeping. Events at the same time run by priority, then in the order they
 * were scheduled; an event may schedule more (at its time or later).
 */
export class SimulatedClock {
  private queue: (ClockEvent & { seq: number })[] = [];
  private seq = 0;
  private current: number;

  constructor(start: number, public readonly end: number) {
    this.current = start;
  }

  get now(): number {
    return this.current;
  }

  at(time: number, label: string, run: ClockEvent['run'], priority = 50): void {
    if (time < this.current) throw new Error(`Cannot schedule ${label} at ${new Date(time).toISOString()}: the clock is at ${new Date(this.current).toISOString()}.`);
    if (time >= this.end) return;
    this.queue.push({ time, priority, label, run, seq: this.seq++ });
  }

  /** Runs every event in time order until the end; returns how many ran. */
  async run(): Promise<number> {
    let ran = 0;
    while (this.queue.length > 0) {
      let next = 0;
      for (let i = 1; i < this.queue.length; i++) {
        const a = this.queue[i];
        const b = this.queue[next];
        if (a.time < b.time || (a.time === b.time && (a.priority < b.priority || (a.priority === b.priority && a.seq < b.seq)))) next = i;
      }
      const [event] = this.queue.splice(next, 1);
      this.current = event.time;
      await event.run();
      ran++;
    }
    this.current = this.end;
    return ran;
  }
}
