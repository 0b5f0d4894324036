import { Heap as BinaryHeap } from 'heap-js';

/** A min-heap (heap-js) ordered by `before(a, b)`: true when `a` must come out first. */
export class Heap<T> {
  private readonly heap: BinaryHeap<T>;

  constructor(before: (a: T, b: T) => boolean) {
    this.heap = new BinaryHeap<T>((a, b) => (before(a, b) ? -1 : before(b, a) ? 1 : 0));
  }

  get size(): number {
    return this.heap.size();
  }

  peek(): T | undefined {
    return this.heap.peek();
  }

  push(item: T): void {
    this.heap.push(item);
  }

  pop(): T | undefined {
    return this.heap.pop();
  }

  /** Keeps only the items `keep` accepts (to drop entries that went stale). */
  retain(keep: (item: T) => boolean): void {
    this.heap.init(this.heap.toArray().filter(keep));
  }
}
