/**
 * A polyline through `points` (any order: sorted by x once, here) as y of x: straight between its
 * points, flat beyond its ends.
 */
export function polyline(points: readonly (readonly [number, number])[]): (x: number) => number {
  const sorted = [...points].sort((a, b) => a[0] - b[0]);
  const first = sorted[0] ?? [0, 0];
  const last = sorted[sorted.length - 1] ?? first;
  return (x) => {
    if (x <= first[0]) return first[1];
    for (let i = 1; i < sorted.length; i++) {
      const a = sorted[i - 1] ?? first;
      const b = sorted[i] ?? first;
      if (x <= b[0]) return a[1] + ((b[1] - a[1]) * (x - a[0])) / (b[0] - a[0] || 1);
    }
    return last[1];
  };
}
