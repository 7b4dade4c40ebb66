/**
 * A bounded ring of items in arrival order. Plain (not reactive): a flood of kernel lines must not make Svelte
 * track tens of thousands of objects. Readers watch a version counter instead.
 */
export class Ring<T> {
  private readonly slots: (T | undefined)[];
  private head = 0;
  private size = 0;
  /** How many items were ever pushed, evicted ones included. */
  total = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new Error(`Ring capacity must be ≥ 1, got ${capacity}`);
    this.slots = new Array<T | undefined>(capacity);
  }

  get length(): number {
    return this.size;
  }

  /** The i-th kept item, oldest first. */
  at(i: number): T | undefined {
    if (i < 0 || i >= this.size) return undefined;
    return this.slots[(this.head + i) % this.capacity];
  }

  first(): T | undefined {
    return this.at(0);
  }

  last(): T | undefined {
    return this.at(this.size - 1);
  }

  push(item: T): void {
    const tail = (this.head + this.size) % this.capacity;
    this.slots[tail] = item;
    if (this.size < this.capacity) this.size++;
    else this.head = (this.head + 1) % this.capacity;
    this.total++;
  }

  pushAll(items: readonly T[]): void {
    // Only the last `capacity` of a huge batch can survive; skip the rest without copying.
    const skip = Math.max(0, items.length - this.capacity);
    this.total += skip;
    for (let i = skip; i < items.length; i++) this.push(items[i] as T);
  }

  clear(): void {
    this.slots.fill(undefined);
    this.head = 0;
    this.size = 0;
  }

  toArray(): T[] {
    const out: T[] = new Array<T>(this.size);
    for (let i = 0; i < this.size; i++) out[i] = this.slots[(this.head + i) % this.capacity] as T;
    return out;
  }
}
