/**
 * Free space on the data directory's disk, checked before work that will fill it (an upload of a
 * known length, a render, an avatar build), so a full disk is a clear refusal at the start rather
 * than a failure half-way through that leaves partial files behind.
 */
import fs from 'node:fs/promises';
import { AppError } from '../errors/app-error.js';

export interface DiskReserve {
  /** The data directory: its disk is the one checked. */
  readonly dataDir: string;
  /** Bytes that must stay free after the work (ANIMA_DISK_RESERVE). */
  readonly diskReserveBytes: number;
}

const megabytes = (bytes: number) => Math.ceil(bytes / (1024 * 1024));

/** Bytes free to this process on the disk that holds `dir`. */
export async function freeBytes(dir: string): Promise<number> {
  const stats = await fs.statfs(dir);
  return stats.bavail * stats.bsize;
}

/**
 * Refuses (5002, HTTP 507) when `neededBytes` would leave less than the reserve free. A disk
 * that cannot be asked (statfs unsupported) is not refused: the write itself will say.
 */
export async function requireFreeSpace(reserve: DiskReserve, neededBytes: number): Promise<void> {
  let free: number;
  try {
    free = await freeBytes(reserve.dataDir);
  } catch {
    return;
  }
  const needed = Math.max(0, neededBytes);
  if (free - needed >= reserve.diskReserveBytes) return;
  throw new AppError('diskSpaceLow', {
    freeMB: Math.floor(free / (1024 * 1024)),
    neededMB: megabytes(needed),
    reserveMB: megabytes(reserve.diskReserveBytes),
    shortMB: megabytes(needed + reserve.diskReserveBytes - free),
  });
}
