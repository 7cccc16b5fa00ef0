/**
 * The page at /live/<sessionId>?token=<token>: plays the session by WebRTC (WHEP), falls back to
 * HLS, shows the session's status and pushes text to it. One self-contained HTML document (inline
 * CSS and script, nothing from a CDN, no build step); hls.js is fetched from our own server only
 * when HLS is needed.
 */

export interface LivePageInput {
  readonly sessionId: string;
  readonly token: string;
}

/** Session `state`s after which nothing more will play: the page says so and stops. */
export const liveEndedStates = ['ended', 'closed', 'failed'] as const;

/** How long WebRTC may take to show a first picture before the page turns to HLS. */
const webrtcFirstPictureMs = 5000;
const statusPollMs = 2000;

/**
 * A value as JavaScript source safe inside a <script> element: JSON with `<` (and the two line
 * separators older parsers rejected) escaped, so no string can close the element.
 */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

const style = `
  :root { color-scheme: dark; font-family: system-ui, sans-serif; }
  body { margin: 0; background: #111; color: #eee; }
  main { max-width: 960px; margin: 0 auto; padding: 12px; display: grid; gap: 12px; }
  .stage { position: relative; background: #000; aspect-ratio: 16 / 9; }
  video { width: 100%; height: 100%; display: block; background: #000; }
  #unmute { position: absolute; left: 12px; bottom: 12px; }
  #ended { position: absolute; inset: 0; display: none; place-items: center; font-size: 1.5em;
    background: rgba(0, 0, 0, 0.7); }
  .bar { display: flex; gap: 12px; flex-wrap: wrap; font-size: 0.9em; color: #bbb; }
  .bar b { color: #eee; font-weight: 600; }
  textarea { width: 100%; min-height: 4em; box-sizing: border-box; font: inherit; }
  .push { display: grid; gap: 8px; }
  .row { display: flex; gap: 12px; align-items: center; }
  .error { color: #f88; }
  button { font: inherit; padding: 4px 14px; }
`;

const body = `
<main>
  <div class="stage">
    <video id="video" autoplay muted playsinline></video>
    <button id="unmute" type="button">Unmute</button>
    <div id="ended">This live session has ended.</div>
  </div>
  <div class="bar">
    <span>Playing: <b id="mode">…</b></span>
    <span>Status: <b id="status">…</b></span>
    <span>Scene: <b id="scene">–</b></span>
    <span>Uptime: <b id="uptime">–</b></span>
    <span>Frames sent / late / repeated: <b id="frames">–</b></span>
    <span>Viewers: <b id="viewers">–</b></span>
  </div>
  <div id="statusError" class="error"></div>
  <form class="push" id="push">
    <textarea id="text" placeholder="Text for the avatar to say"></textarea>
    <div class="row">
      <label><input type="checkbox" id="interrupt"> Interrupt</label>
      <button type="submit" id="say">Say</button>
      <button type="button" id="stop">Stop</button>
      <span id="pushAnswer"></span>
    </div>
  </form>
</main>
`;

/** The page's behaviour; `config` is defined before it. Plain ES2020, no template literals. */
const script = `
'use strict';
const base = '/live/' + encodeURIComponent(config.sessionId);
const auth = { Authorization: 'Bearer ' + config.token };
const video = document.getElementById('video');
const el = (id) => document.getElementById(id);
const state = { mode: null, pc: null, whepUrl: null, hls: null, ended: false, fallbackTimer: 0 };

function setMode(mode) {
  state.mode = mode;
  el('mode').textContent = mode === 'webrtc' ? 'WebRTC' : 'HLS';
}

function quality() {
  const q = video.getVideoPlaybackQuality ? video.getVideoPlaybackQuality() : null;
  return q ? { decoded: q.totalVideoFrames, dropped: q.droppedVideoFrames } : { decoded: 0, dropped: 0 };
}

window.animaStats = () => {
  const q = quality();
  return {
    mode: state.mode, decodedFrames: q.decoded, droppedFrames: q.dropped,
    width: video.videoWidth, height: video.videoHeight, currentTime: video.currentTime,
    playing: !video.paused && !video.ended && video.readyState >= 2,
  };
};

function play() {
  video.play().catch(() => undefined); // muted autoplay is allowed; a refusal shows the button
}

function gathered(pc, ms) {
  if (pc.iceGatheringState === 'complete') return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => { if (pc.iceGatheringState === 'complete') resolve(); };
    pc.addEventListener('icegatheringstatechange', done);
    setTimeout(resolve, ms); // non-trickle: send what we have; the server finds the rest
  });
}

async function startWebrtc() {
  setMode('webrtc');
  const pc = new RTCPeerConnection({ iceServers: [] });
  state.pc = pc;
  pc.addTransceiver('video', { direction: 'recvonly' });
  pc.addTransceiver('audio', { direction: 'recvonly' });
  const stream = new MediaStream();
  pc.ontrack = (event) => {
    // Play as soon as a frame can be: the stream is paced at its source, little jitter to absorb.
    if ('jitterBufferTarget' in event.receiver) event.receiver.jitterBufferTarget = 0;
    else if ('playoutDelayHint' in event.receiver) event.receiver.playoutDelayHint = 0;
    stream.addTrack(event.track);
    if (video.srcObject !== stream) video.srcObject = stream;
    play();
  };
  pc.onconnectionstatechange = () => {
    if (pc.connectionState === 'failed' && state.pc === pc) startHls('WebRTC connection failed');
  };
  await pc.setLocalDescription(await pc.createOffer());
  await gathered(pc, 2000);
  const answer = await fetch(base + '/whep', {
    method: 'POST',
    headers: Object.assign({ 'Content-Type': 'application/sdp' }, auth),
    body: pc.localDescription.sdp,
  });
  const sdp = await answer.text();
  if (answer.status !== 201) throw new Error('WHEP answered ' + answer.status + ': ' + sdp);
  const location = answer.headers.get('Location');
  if (location) state.whepUrl = new URL(location, window.location.href).href;
  await pc.setRemoteDescription({ type: 'answer', sdp: sdp });
}

/** DELETE the WHEP resource; keepalive lets it go out while the page unloads. */
function stopWebrtc() {
  if (state.whepUrl) {
    fetch(state.whepUrl, { method: 'DELETE', headers: auth, keepalive: true }).catch(() => undefined);
    state.whepUrl = null;
  }
  if (state.pc) { state.pc.close(); state.pc = null; }
  clearTimeout(state.fallbackTimer);
}

function loadHlsJs() {
  if (window.Hls) return Promise.resolve(window.Hls);
  return new Promise((resolve, reject) => {
    const tag = document.createElement('script');
    tag.src = '/live/assets/hls.min.js';
    tag.onload = () => resolve(window.Hls);
    tag.onerror = () => reject(new Error('hls.js could not be loaded'));
    document.head.appendChild(tag);
  });
}

async function startHls(why) {
  if (state.ended || state.mode === 'hls') return;
  stopWebrtc();
  setMode('hls');
  if (why) el('statusError').textContent = why + '; playing HLS instead.';
  video.srcObject = null;
  const src = base + '/hls/index.m3u8?token=' + encodeURIComponent(config.token);
  const Hls = await loadHlsJs().catch(() => null);
  if (Hls && Hls.isSupported()) {
    // 1 s segments, no partial segments: stay two behind the live edge, catch up when late.
    const hls = new Hls({
      liveSyncDurationCount: 2, liveMaxLatencyDurationCount: 4, maxLiveSyncPlaybackRate: 1.2,
      // The first segment is written a second or two after the stream is up.
      manifestLoadingMaxRetry: 10, manifestLoadingRetryDelay: 500,
      backBufferLength: 4, maxBufferLength: 4,
      xhrSetup: (xhr) => xhr.setRequestHeader('Authorization', auth.Authorization),
    });
    state.hls = hls;
    hls.loadSource(src);
    hls.attachMedia(video);
    hls.on(Hls.Events.MANIFEST_PARSED, play);
  } else if (video.canPlayType('application/vnd.apple.mpegurl')) {
    video.src = src; // Safari plays HLS itself
    play();
  } else {
    el('statusError').textContent = 'This browser can play neither WebRTC nor HLS.';
  }
}

function stopAll() {
  stopWebrtc();
  if (state.hls) { state.hls.destroy(); state.hls = null; }
  video.pause();
  video.removeAttribute('src');
  video.srcObject = null;
}

/** The JSON envelope of an answer; an answer that is not JSON is reported by its HTTP status. */
async function envelope(answer) {
  try {
    return await answer.json();
  } catch {
    throw new Error('HTTP ' + answer.status);
  }
}

function showEnded() {
  state.ended = true;
  stopAll();
  el('ended').style.display = 'grid';
  el('say').disabled = true;
  el('stop').disabled = true;
}

function formatUptime(ms) {
  const s = Math.floor(ms / 1000);
  return Math.floor(s / 60) + ':' + String(s % 60).padStart(2, '0');
}

async function pollStatus() {
  try {
    const answer = await fetch('/api/2dvh/v1/material/live/channel/query?sessionId=' +
      encodeURIComponent(config.sessionId), { headers: auth });
    const json = await envelope(answer);
    if (json.code !== 0) {
      el('statusError').textContent = 'Status: ' + json.code + ' ' + (json.message || '');
      return;
    }
    const d = json.data;
    el('statusError').textContent = '';
    el('status').textContent = d.state + ' (' + d.status + ')';
    el('scene').textContent = String(d.scene);
    el('uptime').textContent = formatUptime(d.uptimeMs || 0);
    const f = d.frames || {};
    el('frames').textContent = f.sent + ' / ' + f.late + ' / ' + f.repeated;
    el('viewers').textContent = d.viewers.webrtc + ' WebRTC, ' + d.viewers.hls + ' HLS';
    if (endedStates.indexOf(d.state) >= 0) showEnded();
    return d;
  } catch (error) {
    el('statusError').textContent = 'Status unavailable: ' + error.message;
  }
}

/** Until the stream is up (status 35): a page opened as the session starts waits for it. */
async function whenLive() {
  for (;;) {
    const d = await pollStatus();
    if (state.ended) return false;
    if (d && d.status === 35) return true;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

async function push(text, interrupt) {
  el('pushAnswer').textContent = '…';
  el('pushAnswer').className = '';
  try {
    const body = { sessionId: config.sessionId, interrupt: interrupt };
    if (text) body.text = text;
    const answer = await fetch('/api/2dvh/v1/material/live/channel/push', {
      method: 'POST',
      headers: Object.assign({ 'Content-Type': 'application/json' }, auth),
      body: JSON.stringify(body),
    });
    const json = await envelope(answer);
    if (json.code === 0) el('pushAnswer').textContent = 'Sent' + (json.data ? ': ' + JSON.stringify(json.data) : '');
    else throw new Error(json.code + ' ' + (json.message || ''));
  } catch (error) {
    el('pushAnswer').textContent = 'Refused: ' + error.message;
    el('pushAnswer').className = 'error';
  }
}

el('push').addEventListener('submit', (event) => {
  event.preventDefault();
  const text = el('text').value.trim();
  if (text) push(text, el('interrupt').checked);
});
el('stop').addEventListener('click', () => push('', true));
el('unmute').addEventListener('click', () => {
  video.muted = false;
  play();
  el('unmute').style.display = 'none';
});
window.addEventListener('pagehide', stopWebrtc);

async function start() {
  if (!(await whenLive())) return;
  if (new URLSearchParams(window.location.search).get('mode') === 'hls' || !window.RTCPeerConnection) {
    startHls('');
  } else {
    startWebrtc().catch((error) => startHls('WebRTC unavailable (' + error.message + ')'));
    state.fallbackTimer = setTimeout(() => {
      if (state.mode === 'webrtc' && quality().decoded === 0) startHls('No WebRTC picture');
    }, ${webrtcFirstPictureMs});
  }
  setInterval(() => { if (!state.ended) pollStatus(); }, ${statusPollMs});
}
start();
`;

/** The whole page for one session; the id and token are data in the script, never markup. */
export function renderLivePage(input: LivePageInput): string {
  const config = scriptJson({ sessionId: input.sessionId, token: input.token });
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Anima live</title>
<style>${style}</style>
</head>
<body>${body}
<script>
const config = ${config};
const endedStates = ${scriptJson(liveEndedStates)};
${script}
</script>
</body>
</html>
`;
}
