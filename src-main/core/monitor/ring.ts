/** A bounded list that forgets its oldest items: the kernel log and sample history a device monitor keeps. */
export class Ring<T> {
  private items: T[] = [];

  constructor(readonly capacity: number) {}

  push(...values: T[]): void {
    this.items.push(...values);
    // Trim in chunks so a steady flood does not shift the array on every push.
    if (this.items.length > this.capacity + Math.max(64, this.capacity >> 3))
      this.items = this.items.slice(this.items.length - this.capacity);
  }

  toArray(): T[] {
    return this.items.length > this.capacity ? this.items.slice(-this.capacity) : [...this.items];
  }

  last(): T | undefined {
    return this.items.at(-1);
  }

  get size(): number {
    return Math.min(this.items.length, this.capacity);
  }
}
