/**
 * What the HLS route may serve from a session's directory, decided by name alone: the playlist,
 * the init segment and media segments the encoder writes (live-encode.args.ts), nothing else.
 * The patterns admit no slash, no dot-dot and no temp file, so no other file can ever be read.
 */
import { hlsNames } from './live-encode.args.js';

export type HlsFileKind = 'playlist' | 'init' | 'segment';

/** seg-00000.m4s …: the counter has five digits and grows past them after ~27 h at 1 s. */
const segmentName = /^seg-[0-9]{5,10}\.m4s$/;

const contentTypes: Readonly<Record<HlsFileKind, string>> = {
  playlist: 'application/vnd.apple.mpegurl',
  init: 'video/mp4',
  segment: 'video/iso.segment',
};

/** The kind of a requested file name, or undefined when it must not be served. */
export function hlsFileKind(name: string): HlsFileKind | undefined {
  if (name === hlsNames.playlist) return 'playlist';
  if (name === hlsNames.init) return 'init';
  return segmentName.test(name) ? 'segment' : undefined;
}

export function hlsContentType(kind: HlsFileKind): string {
  return contentTypes[kind];
}

/** Players cache the playlist for less than a segment; segments never change once listed. */
export function hlsCacheControl(kind: HlsFileKind): string {
  return kind === 'playlist' ? 'no-cache' : 'max-age=60';
}

/**
 * The playlist with `token=<token>` added to every URI it names (segment lines and `URI="…"`
 * attributes such as `#EXT-X-MAP`), so any HLS player works from the one tokenised URL.
 */
export function withToken(playlist: string, token: string): string {
  const query = `token=${encodeURIComponent(token)}`;
  const add = (uri: string): string => `${uri}${uri.includes('?') ? '&' : '?'}${query}`;
  return playlist
    .split('\n')
    .map((line) => {
      const body = line.endsWith('\r') ? line.slice(0, -1) : line;
      const end = line.slice(body.length);
      if (body.trim() === '') return line;
      if (body.startsWith('#')) {
        return body.replace(/URI="([^"]*)"/g, (_, uri: string) => `URI="${add(uri)}"`) + end;
      }
      return add(body.trim()) + end;
    })
    .join('\n');
}
