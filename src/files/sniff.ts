import { fileTypeFromFile } from 'file-type';

export type MediaClass = 'video' | 'audio' | 'image' | 'zip';

export interface Sniffed {
  readonly mimeType: string;
  readonly ext: string;
  readonly mediaClass: MediaClass;
}

/** What a file is, read from its first bytes; the name and the client's Content-Type are not trusted. */
export async function sniffFile(file: string): Promise<Sniffed | { readonly unknown: string }> {
  const type = await fileTypeFromFile(file);
  if (!type) return { unknown: 'unknown (not a media file)' };
  // file-type names MPEG program streams by their pack type; players know them as video/mpeg.
  const raw = type.mime.toLowerCase();
  const mime = raw === 'video/mp1s' || raw === 'video/mp2p' ? 'video/mpeg' : raw;
  if (mime === 'application/zip') return { mimeType: mime, ext: type.ext, mediaClass: 'zip' };
  if (mime === 'application/ogg')
    return { mimeType: 'audio/ogg', ext: type.ext, mediaClass: 'audio' };
  const top = mime.split('/')[0];
  if (top === 'video' || top === 'audio' || top === 'image') {
    return { mimeType: mime, ext: type.ext, mediaClass: top };
  }
  return { unknown: mime };
}
