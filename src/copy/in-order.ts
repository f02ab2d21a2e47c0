/**
 * `fn` over every item, at most `width` at a time, started in the items' order; results in that
 * order. Each item's work is started when a slot frees: nothing is created per item beforehand
 * (a promise and a closure per item held from the start to the end of a run: 10,000 images, or
 * 30,000 blobs of a bundle to verify).
 */
export async function inOrder<T, R>(items: readonly T[], width: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
  return results;
}
