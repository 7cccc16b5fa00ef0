/**
 * Run as its own process by webrtc-exit.test: a WebrtcOutput answers a node-datachannel viewer,
 * which connects and leaves; then the output closes, nothing else is done, and the process must
 * end by itself (no global cleanup(), no process.exit).
 */
import { Audio, PeerConnection, Video } from 'node-datachannel';
import { WebrtcOutput } from '../../src/live/webrtc.output.js';

const output = await WebrtcOutput.open({ bindAddress: '127.0.0.1' });
const viewer = new PeerConnection('viewer', { iceServers: [], bindAddress: '127.0.0.1' });
const connected = new Promise<void>((resolve) =>
  viewer.onStateChange((state) => state === 'connected' && resolve()),
);
const gathered = new Promise<void>((resolve) =>
  viewer.onGatheringStateChange((state) => state === 'complete' && resolve()),
);
const video = new Video('0', 'RecvOnly');
video.addH264Codec(102, 'profile-level-id=42e01f;packetization-mode=1;level-asymmetry-allowed=1');
const audio = new Audio('1', 'RecvOnly');
audio.addOpusCodec(111);
for (const track of [viewer.addTrack(video), viewer.addTrack(audio)])
  track.onClosed(() => undefined);
viewer.setLocalDescription();
await gathered;
const { answerSdp } = await output.addViewer(viewer.localDescription()?.sdp ?? '');
viewer.setRemoteDescription(answerSdp, 'answer');
await connected;
console.log(`connected, viewers: ${output.viewerCount}`);
viewer.close();
await output.close();
console.log(`closed, viewers: ${output.viewerCount}`);
