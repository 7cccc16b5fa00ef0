import { md5Hex, safeEqual } from '../util/ids.js';

/** The hosted service's sign: lowercase hex MD5 of appId + timestamp + appKey, timestamp as sent. */
export function computeSign(appId: string, timestamp: string, appKey: string): string {
  return md5Hex(`${appId}${timestamp}${appKey}`);
}

export function verifySign(
  appId: string,
  timestamp: string,
  appKey: string,
  sign: string,
): boolean {
  return safeEqual(computeSign(appId, timestamp, appKey), sign.toLowerCase());
}

/**
 * Reads a timestamp as the FAQ sends it (seconds) or as public clients send it (milliseconds) and
 * returns milliseconds, or undefined when it is no timestamp at all.
 */
export function parseTimestampMs(timestamp: string): number | undefined {
  if (!/^\d{9,13}$/.test(timestamp)) return undefined;
  const n = Number(timestamp);
  return timestamp.length >= 12 ? n : n * 1000;
}
