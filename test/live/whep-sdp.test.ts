import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  parseWhepOffer,
  WhepOfferError,
  withoutHostnameCandidates,
} from '../../src/live/whep.sdp.js';

/** A recvonly offer shaped as chromium writes one, trimmed to the lines that matter here. */
function offer(video: string[], audio: string[]): string {
  return [
    'v=0',
    'o=- 1 2 IN IP4 127.0.0.1',
    's=-',
    't=0 0',
    'a=group:BUNDLE 0 1',
    ...video,
    ...audio,
    '',
  ].join('\r\n');
}

const h264Video = [
  'm=video 9 UDP/TLS/RTP/SAVPF 96 102 104 106 108',
  'c=IN IP4 0.0.0.0',
  'a=mid:0',
  'a=recvonly',
  'a=rtpmap:96 VP8/90000',
  'a=rtpmap:102 H264/90000',
  'a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f',
  'a=rtpmap:104 H264/90000',
  'a=fmtp:104 level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=42e01f',
  'a=rtpmap:106 H264/90000',
  'a=fmtp:106 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42E01F',
  'a=rtpmap:108 H264/90000',
  'a=fmtp:108 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f',
];
const opusAudio = [
  'm=audio 9 UDP/TLS/RTP/SAVPF 111 9 0',
  'a=mid:1',
  'a=recvonly',
  'a=rtpmap:111 opus/48000/2',
  'a=fmtp:111 minptime=10;useinbandfec=1',
  'a=rtpmap:9 G722/8000',
  'a=rtpmap:0 PCMU/8000',
];

test('the first H.264 the browser lists with packetization-mode 1 and profile 42e01f, and Opus', () => {
  assert.deepEqual(parseWhepOffer(offer(h264Video, opusAudio)), {
    video: { mid: '0', payloadType: 106 },
    audio: { mid: '1', payloadType: 111 },
  });
});

function problem(sdp: string): string {
  try {
    parseWhepOffer(sdp);
  } catch (error) {
    assert.ok(error instanceof WhepOfferError);
    return `${error.problem}: ${error.message}`;
  }
  assert.fail('expected a refusal');
}

test('an offer without H.264 as we send it, without Opus, or missing a kind, is refused and says why', () => {
  const wrongH264 = h264Video.filter((line) => !/^a=\w+:(106|108) /.test(line));
  assert.match(problem(offer(wrongH264, opusAudio)), /^noH264: .*does not accept H\.264/);
  const noOpus = opusAudio.filter((line) => !line.startsWith('a=rtpmap:111'));
  assert.match(problem(offer(h264Video, noOpus)), /^noOpus: .*Opus/);
  assert.match(problem(offer([], opusAudio)), /^noVideo: /);
  assert.match(problem(offer(h264Video, [])), /^noAudio: /);
  assert.match(problem('not an sdp'), /^noVideo: /);
});

test('candidates named by mDNS host name are dropped, IP candidates and other lines kept', () => {
  const lines = [
    'a=mid:0',
    'a=candidate:1 1 udp 2113937151 3f2a1c9e-1111-2222-3333-444455556666.local 54321 typ host',
    'a=candidate:2 1 udp 2113937151 127.0.0.1 54322 typ host',
    'a=candidate:3 1 udp 2113939711 fd00::2 54323 typ host',
    'a=end-of-candidates',
    '',
  ];
  assert.equal(
    withoutHostnameCandidates(lines.join('\r\n')),
    [lines[0], lines[2], lines[3], lines[4], ''].join('\r\n'),
  );
});
