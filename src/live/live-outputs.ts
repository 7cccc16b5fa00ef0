/**
 * The outputs a running session fans its one encode out to, as the session uses them: WebRTC
 * viewers (webrtc.output.ts), an RTMP push with reconnect (rtmp-relay.ts), and which HLS files
 * may be served (hls-serve.ts).
 */
import type { Config } from '../config/config.js';
import { hlsContentType, hlsFileKind } from './hls-serve.js';
import { RtmpRelay, type RelayState } from './rtmp-relay.js';
import type { LiveOutputFactories } from './running-live.js';
import { WebrtcOutput } from './webrtc.output.js';

/** The UDP port range of `ANIMA_LIVE_UDP_PORTS` ("begin-end"), checked by the config. */
function portRange(text: string) {
  const [begin, end] = text.split('-').map(Number);
  return begin && end ? { portRange: { begin, end } } : {};
}

export const liveOutputs = (
  config: Pick<Config, 'liveUdpPorts' | 'liveIceAddress'>,
): LiveOutputFactories => ({
  openWebRtc: () =>
    WebrtcOutput.open({
      ...portRange(config.liveUdpPorts),
      ...(config.liveIceAddress ? { bindAddress: config.liveIceAddress } : {}),
    }),
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
});
