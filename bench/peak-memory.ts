/**
 * This process's peak resident memory, MB. Linux's VmHWM belongs to the process's own address
 * space; getrusage's maxRSS is not to be trusted in a benchmark's child, because it carries over
 * the parent's resident size at the fork into the child's figure across exec.
 */
import fs from 'node:fs';

export function peakRssMb(): number {
  try {
    const match = /^VmHWM:\s+(\d+) kB/m.exec(fs.readFileSync('/proc/self/status', 'utf8'));
    if (match?.[1]) return Number(match[1]) / 1024;
  } catch {
    // Not Linux: fall back below.
  }
  return process.resourceUsage().maxRSS / 1024;
}
