/** A polyline's y at x (points in any order, sorted by x here), flat beyond its ends. */
export function yAlong(points: readonly (readonly [number, number])[], x: number): number {
  const sorted = [...points].sort((a, b) => a[0] - b[0]);
  const first = sorted[0] ?? [0, 0];
  if (x <= first[0]) return first[1];
  for (let i = 1; i < sorted.length; i++) {
    const a = sorted[i - 1] ?? first;
    const b = sorted[i] ?? first;
    if (x <= b[0]) return a[1] + ((b[1] - a[1]) * (x - a[0])) / (b[0] - a[0] || 1);
  }
  return (sorted[sorted.length - 1] ?? first)[1];
}
