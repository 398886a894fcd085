type TypedArray = Uint32Array | Int32Array | Float64Array | Uint8Array;
type TypedArrayConstructor<T extends TypedArray> = new (length: number) => T;

/** An append-only typed array that doubles its capacity; `finish()` returns the filled view. */
export class Growable<T extends TypedArray> {
  private data: T;
  length = 0;

  constructor(
    private readonly ctor: TypedArrayConstructor<T>,
    capacity = 64,
  ) {
    this.data = new ctor(Math.max(capacity, 4));
  }

  push(value: number): void {
    if (this.length === this.data.length) this.grow(this.length + 1);
    this.data[this.length++] = value;
  }

  get(i: number): number {
    return this.data[i]!;
  }

  set(i: number, value: number): void {
    this.data[i] = value;
  }

  add(i: number, value: number): void {
    this.data[i] = this.data[i]! + value;
  }

  /** Grows to at least `capacity` elements, keeping the contents. */
  grow(capacity: number): void {
    if (capacity <= this.data.length) return;
    const next = new this.ctor(Math.max(capacity, this.data.length * 2));
    next.set(this.data as never);
    this.data = next;
  }

  /** A right-sized copy of the contents. */
  finish(): T {
    return this.data.slice(0, this.length) as T;
  }
}
