import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { hlsContentType, hlsFileKind, withToken } from '../../src/live/hls-serve.js';
import { renderLivePage } from '../../src/live/live-page.js';
import type { WebrtcOutput } from '../../src/live/webrtc.output.js';
import { WhepOfferError } from '../../src/live/whep.sdp.js';

export const sessionId = 's-live-1';
export const token = 'tok-"</script>-1';

/** What the test server was asked, in order: 'POST 201', 'DELETE 204 <id>', … */
export interface WhepLog {
  readonly requests: string[];
  readonly refusals: string[];
  /** Bodies of pushes, as parsed. */
  readonly pushes: unknown[];
  /** The session state the query answers with; a test sets 'ended'. */
  state: string;
}

function readBody(request: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => (text += chunk));
    request.on('end', () => resolve(text));
    request.on('error', reject);
  });
}

async function handleWhep(
  output: WebrtcOutput,
  log: WhepLog,
  request: http.IncomingMessage,
  response: http.ServerResponse,
): Promise<void> {
  const whep = `/live/${sessionId}/whep`;
  const url = new URL(request.url ?? '/', 'http://x');
  if (request.method === 'POST' && url.pathname === whep) {
    try {
      const { id, answerSdp } = await output.addViewer(await readBody(request));
      log.requests.push('POST 201');
      response.writeHead(201, { 'Content-Type': 'application/sdp', Location: `${whep}/${id}` });
      response.end(answerSdp);
    } catch (error) {
      if (!(error instanceof WhepOfferError)) throw error;
      log.requests.push('POST 400');
      log.refusals.push(error.problem);
      response.writeHead(400, { 'Content-Type': 'text/plain' }).end(error.message);
    }
  } else if (request.method === 'DELETE' && url.pathname.startsWith(`${whep}/`)) {
    const id = url.pathname.slice(whep.length + 1);
    const found = await output.removeViewer(id);
    log.requests.push(`DELETE ${found ? 204 : 404} ${id}`);
    response.writeHead(found ? 204 : 404).end();
  } else {
    response.writeHead(404).end();
  }
}

/** hls.js and a session's HLS files (token in the query, as players fetch them), when asked. */
function serveHls(hlsDir: string, url: URL, response: http.ServerResponse): boolean {
  if (url.pathname === '/live/assets/hls.min.js') {
    response.writeHead(200, { 'Content-Type': 'text/javascript' });
    response.end(fs.readFileSync(path.resolve('node_modules/hls.js/dist/hls.min.js')));
    return true;
  }
  const prefix = `/live/${sessionId}/hls/`;
  if (!url.pathname.startsWith(prefix) || url.searchParams.get('token') !== token) return false;
  const name = url.pathname.slice(prefix.length);
  const kind = hlsFileKind(name);
  const file = path.join(hlsDir, name);
  if (!kind || !fs.existsSync(file)) {
    response.writeHead(404).end();
    return true;
  }
  const bytes = fs.readFileSync(file);
  response.writeHead(200, { 'Content-Type': hlsContentType(kind), 'Cache-Control': 'no-cache' });
  response.end(kind === 'playlist' ? withToken(bytes.toString('utf8'), token) : bytes);
  return true;
}

/**
 * The routes the lead's server will have, reduced to what the page needs: the page, WHEP POST and
 * DELETE on a real WebrtcOutput (Bearer token checked) and a session query. HLS only when given a
 * directory (the live bench): otherwise a page that fell back would find nothing, so a test sees it.
 */
export async function startWhepServer(
  output: WebrtcOutput,
  hlsDir?: string,
): Promise<{ origin: string; log: WhepLog; close: () => Promise<void> }> {
  const log: WhepLog = { requests: [], refusals: [], pushes: [], state: 'running' };
  const server = http.createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://x');
    if (request.method === 'GET' && url.pathname === `/live/${sessionId}`) {
      response.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
      response.end(renderLivePage({ sessionId, token }));
      return;
    }
    if (hlsDir && request.method === 'GET' && serveHls(hlsDir, url, response)) return;
    if (request.headers.authorization !== `Bearer ${token}`) {
      response.writeHead(401).end();
      return;
    }
    if (url.pathname.endsWith('/live/channel/query')) {
      response.writeHead(200, { 'Content-Type': 'application/json' });
      const data = { sessionId, status: 35, state: log.state, scene: 0, uptimeMs: 1000 };
      const frames = { sent: 25, late: 0, repeated: 0 };
      response.end(
        JSON.stringify({
          code: 0,
          data: { ...data, frames, viewers: output.viewerCount, outputs: ['webrtc'] },
        }),
      );
      return;
    }
    if (url.pathname.endsWith('/live/channel/push')) {
      void readBody(request).then((text) => {
        const body = JSON.parse(text) as { text?: string };
        log.pushes.push(body);
        const refused = body.text === 'refuse me';
        response.writeHead(200, { 'Content-Type': 'application/json' });
        response.end(
          JSON.stringify(refused ? { code: 3333, message: 'bad text' } : { code: 0, data: true }),
        );
      });
      return;
    }
    handleWhep(output, log, request, response).catch((error: unknown) => {
      response.writeHead(500).end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    log,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * A stand-in for the session's encoder, sending what the real one sends: H.264 constrained
 * baseline (an IDR with SPS/PPS every second) and mono Opus, as RTP with payload types 96 and 97.
 * `videoInput` is ffmpeg's first input (lavfi's testsrc2 unless given), so a measurement can feed
 * frames of its own.
 */
export function buildRtpSourceArgs(
  ports: { readonly video: number; readonly audio: number },
  videoInput: readonly string[] = ['-re', '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=25'],
): string[] {
  const rtp = (port: number) => `rtp://127.0.0.1:${port}?pkt_size=1200`;
  return [
    ...videoInput,
    ...['-re', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000'],
    ...['-map', '0:v', '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency'],
    ...['-profile:v', 'baseline', '-level:v', '3.1', '-pix_fmt', 'yuv420p'],
    ...['-g', '25', '-keyint_min', '25', '-sc_threshold', '0', '-b:v', '800k'],
    ...['-payload_type', '96', '-f', 'rtp', rtp(ports.video)],
    ...['-map', '1:a', '-c:a', 'libopus', '-ac', '1', '-b:a', '48k'],
    ...['-payload_type', '97', '-f', 'rtp', rtp(ports.audio)],
  ];
}
