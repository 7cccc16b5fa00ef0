/**
 * What a WHEP offer asks for, read as text: the browser's m-lines, and the payload types it gave
 * the two codecs our encoder sends. Pure, so every refusal is tested without a peer connection.
 */

/** The H.264 our encoder makes: constrained baseline, level 3.1, fragmented NAL units allowed. */
export const h264ProfileLevelId = '42e01f';

/** Why an offer was refused; the HTTP layer maps each to its answer (a 4xx: the viewer's fault). */
export type WhepOfferProblem = 'noVideo' | 'noAudio' | 'noH264' | 'noOpus';

const problemText: Readonly<Record<WhepOfferProblem, string>> = {
  noVideo: 'the offer has no video m-line to receive the stream on',
  noAudio: 'the offer has no audio m-line to receive the stream on',
  noH264: `the offer does not accept H.264 (profile-level-id=${h264ProfileLevelId}, packetization-mode=1), the only video this stream sends`,
  noOpus: 'the offer does not accept Opus (48 kHz), the only audio this stream sends',
};

/** An offer this output cannot answer; not worth retrying with the same browser. */
export class WhepOfferError extends Error {
  /** What is wrong, in words for the viewer's developer. */
  readonly text: string;

  constructor(readonly problem: WhepOfferProblem) {
    super(`WHEP offer refused: ${problemText[problem]}`);
    this.text = problemText[problem];
    this.name = 'WhepOfferError';
  }
}

/** One m-line of the answer to be: its mid and the payload type chosen from the offer's. */
export interface NegotiatedMedia {
  readonly mid: string;
  readonly payloadType: number;
}

export interface WhepOffer {
  readonly video: NegotiatedMedia;
  readonly audio: NegotiatedMedia;
}

interface MediaSection {
  readonly kind: string;
  readonly mid: string | undefined;
  readonly payloadTypes: readonly number[];
  /** rtpmap per payload type, lower-cased: 'h264/90000'. */
  readonly rtpmap: ReadonlyMap<number, string>;
  /** fmtp parameters per payload type, keys lower-cased. */
  readonly fmtp: ReadonlyMap<number, ReadonlyMap<string, string>>;
}

interface SectionBuilder {
  kind: string;
  mid: string | undefined;
  payloadTypes: number[];
  rtpmap: Map<number, string>;
  fmtp: Map<number, Map<string, string>>;
}

function parseFmtp(value: string): Map<string, string> {
  const params = new Map<string, string>();
  for (const pair of value.split(';')) {
    const [key, ...rest] = pair.trim().split('=');
    if (key) params.set(key.toLowerCase(), rest.join('=').trim());
  }
  return params;
}

/** The m-sections of an SDP, with what this module needs of each. */
export function parseMediaSections(sdp: string): MediaSection[] {
  const sections: SectionBuilder[] = [];
  let current: SectionBuilder | undefined;
  for (const raw of sdp.split(/\r?\n/)) {
    const line = raw.trim();
    const media = /^m=(\w+) \S+ \S+ ?(.*)$/.exec(line);
    if (media) {
      const payloadTypes = (media[2] ?? '').split(' ').filter(Boolean).map(Number);
      current = {
        kind: media[1] ?? '',
        mid: undefined,
        payloadTypes,
        rtpmap: new Map(),
        fmtp: new Map(),
      };
      sections.push(current);
      continue;
    }
    if (!current) continue;
    const attribute = /^a=(mid|rtpmap|fmtp):(\S+)\s*(.*)$/.exec(line);
    if (!attribute) continue;
    const [, name, first = '', rest = ''] = attribute;
    if (name === 'mid') current.mid = first;
    else if (name === 'rtpmap') current.rtpmap.set(Number(first), rest.toLowerCase());
    else current.fmtp.set(Number(first), parseFmtp(rest));
  }
  return sections;
}

/** The first payload type the browser listed (its preference) that carries our H.264 as sent. */
function chooseH264(section: MediaSection): number | undefined {
  return section.payloadTypes.find((pt) => {
    if (section.rtpmap.get(pt) !== 'h264/90000') return false;
    const fmtp = section.fmtp.get(pt);
    return (
      fmtp?.get('packetization-mode') === '1' &&
      fmtp.get('profile-level-id')?.toLowerCase() === h264ProfileLevelId
    );
  });
}

function chooseOpus(section: MediaSection): number | undefined {
  return section.payloadTypes.find((pt) => section.rtpmap.get(pt)?.startsWith('opus/48000'));
}

/**
 * Reads a WHEP offer: the first video and first audio m-lines (a browser's recvonly
 * transceivers) and the payload types to send on them. Throws `WhepOfferError` when either is
 * missing or accepts nothing we send: forwarding cannot transcode.
 */
export function parseWhepOffer(sdp: string): WhepOffer {
  const sections = parseMediaSections(sdp);
  const video = sections.find((s) => s.kind === 'video' && s.mid !== undefined);
  const audio = sections.find((s) => s.kind === 'audio' && s.mid !== undefined);
  if (!video?.mid) throw new WhepOfferError('noVideo');
  if (!audio?.mid) throw new WhepOfferError('noAudio');
  const videoPt = chooseH264(video);
  if (videoPt === undefined) throw new WhepOfferError('noH264');
  const audioPt = chooseOpus(audio);
  if (audioPt === undefined) throw new WhepOfferError('noOpus');
  return {
    video: { mid: video.mid, payloadType: videoPt },
    audio: { mid: audio.mid, payloadType: audioPt },
  };
}

/** An IPv4 or IPv6 literal, as a candidate's connection address may be. */
const ipLiteral = /^(\d{1,3}(\.\d{1,3}){3}|[0-9a-f:]*:[0-9a-f:.]*)$/i;

/**
 * The offer without candidates named by host name: browsers hide their addresses behind mDNS
 * names (`<uuid>.local`), which the ICE agent would try to resolve by DNS, a query that leaves the
 * machine and may hang. Without them, ICE still finds the browser as a peer-reflexive candidate
 * when its checks arrive at the addresses in our answer.
 */
export function withoutHostnameCandidates(sdp: string): string {
  return sdp
    .split(/(?<=\n)/)
    .filter((line) => {
      const candidate = /^a=candidate:\S+ \d+ \S+ \d+ (\S+) /i.exec(line);
      return !candidate || ipLiteral.test(candidate[1] ?? '');
    })
    .join('');
}
