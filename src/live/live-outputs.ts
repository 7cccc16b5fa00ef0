/**
 * The outputs a running session fans its one encode out to, as the session uses them: WebRTC
 * viewers (webrtc.output.ts), an RTMP push with reconnect (rtmp-relay.ts), and which HLS files
 * may be served (hls-serve.ts).
 */
import { hlsContentType, hlsFileKind } from './hls-serve.js';
import { RtmpRelay, type RelayState } from './rtmp-relay.js';
import type { LiveOutputFactories } from './running-live.js';
import { WebrtcOutput } from './webrtc.output.js';

export const liveOutputs: LiveOutputFactories = {
  openWebRtc: () => WebrtcOutput.open(),
  startRtmp(url, onState) {
    const relay = new RtmpRelay({ url, onState: (state: RelayState) => onState(state) });
    return {
      get state() {
        return relay.state;
      },
      write: (chunk) => relay.write(chunk),
      describe: () => ({
        state: relay.state,
        ...relay.stats(),
        ...(relay.lastFailure ? { lastFailure: relay.lastFailure } : {}),
      }),
      close: () => relay.close(),
    };
  },
  hlsType(name) {
    const kind = hlsFileKind(name);
    return kind ? hlsContentType(kind) : undefined;
  },
};
