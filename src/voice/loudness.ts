/**
 * Volume for TTS: the request's `volume` as a gain (applied with the loudness target's gain, by
 * media/loudness.ts's limiter, so it never clips).
 *
 * Clients of the hosted service send either a gain (0–3, 1 = normal) or a percentage (100 =
 * normal, 400 = four times the amplitude); a value above 3 can only be a percentage.
 */
import { badParams } from '../errors/app-error.js';

export const volumeLimits = { maxGain: 3, maxPercent: 1000 } as const;

/** The gain a request's volume asks for (1 when absent); out of range is a 3333 on `volume`. */
export function volumeGain(volume: number | undefined): number {
  if (volume === undefined) return 1;
  if (!Number.isFinite(volume) || volume < 0 || volume > volumeLimits.maxPercent) {
    const problem = `must be 0 to ${volumeLimits.maxGain} (a gain, 1 = normal) or up to ${volumeLimits.maxPercent} (percent, 100 = normal)`;
    throw badParams([{ field: 'volume', problem }]);
  }
  return volume <= volumeLimits.maxGain ? volume : volume / 100;
}
