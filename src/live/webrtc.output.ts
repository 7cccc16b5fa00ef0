import { randomInt, randomUUID } from 'node:crypto';
import dgram from 'node:dgram';
import {
  Audio,
  PeerConnection,
  RtcpNackResponder,
  RtcpSrReporter,
  RtpPacketizationConfig,
  Video,
  type Track,
} from 'node-datachannel';
import { isRtp, rewriteRtp, startsH264Keyframe } from './rtp.js';
import {
  h264ProfileLevelId,
  parseWhepOffer,
  withoutHostnameCandidates,
  type NegotiatedMedia,
} from './whep.sdp.js';

/** The payload types and clocks the session's encoder sends on the two ports. */
export const rtpIn = {
  video: { payloadType: 96, clockRate: 90_000 },
  audio: { payloadType: 97, clockRate: 48_000 },
} as const;

export interface WebrtcOutputOptions {
  /**
   * The one address ICE gathers host candidates on ('127.0.0.1' in tests); every interface when
   * unset. No STUN or TURN server is ever asked: viewers reach us on our own addresses.
   */
  readonly bindAddress?: string;
  /** UDP ports the peer connections may use, for a firewall to open; any when unset. */
  readonly portRange?: { readonly begin: number; readonly end: number };
  /** How long an answer may wait for ICE gathering before the viewer is refused. */
  readonly gatherTimeoutMs?: number;
  /** How long a viewer may stay 'disconnected' (ICE consent lost) before it is removed. */
  readonly disconnectGraceMs?: number;
  /** Called with the new count whenever a viewer joins or leaves. */
  readonly onViewers?: (count: number) => void;
}

/** One sending track of one viewer: what it was negotiated to, and where its packets go. */
interface Sender {
  readonly track: Track;
  readonly payloadType: number;
  readonly ssrc: number;
  /** Video waits for a keyframe before its first packet; audio starts at once. */
  started: boolean;
}

interface Viewer {
  readonly id: string;
  readonly pc: PeerConnection;
  readonly video: Sender;
  readonly audio: Sender;
  readonly closed: Promise<void>;
  graceTimer?: NodeJS.Timeout;
}

const cname = 'anima';
/** One msid for both tracks, so the browser puts them in one stream and keeps lips in sync. */
const streamId = 'anima-live';
/** How many ended viewers' ids are remembered for a DELETE that comes after the end. */
const ENDED_REMEMBERED = 256;

function bindLoopback(): Promise<dgram.Socket> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket('udp4');
    socket.once('error', reject);
    socket.bind({ address: '127.0.0.1', port: 0 }, () => {
      socket.off('error', reject);
      // An IDR frame arrives as a burst of packets: room for several beats the 208 KiB default.
      try {
        socket.setRecvBufferSize(4 * 1024 * 1024);
      } catch {
        // capped by net.core.rmem_max; the default still holds a 720p keyframe
      }
      resolve(socket);
    });
  });
}

function closeSocket(socket: dgram.Socket): Promise<void> {
  return new Promise((resolve) => socket.close(() => resolve()));
}

function videoMedia(media: NegotiatedMedia): Video {
  const video = new Video(media.mid, 'SendOnly');
  video.addH264Codec(
    media.payloadType,
    `profile-level-id=${h264ProfileLevelId};packetization-mode=1;level-asymmetry-allowed=1`,
  );
  return video;
}

function audioMedia(media: NegotiatedMedia): Audio {
  const audio = new Audio(media.mid, 'SendOnly');
  audio.addOpusCodec(media.payloadType, 'minptime=10;useinbandfec=1');
  return audio;
}

/** The send-only media of an answer, matching the offer's mid and chosen payload type. */
function addSender(pc: PeerConnection, kind: 'video' | 'audio', media: NegotiatedMedia): Sender {
  const ssrc = randomInt(1, 2 ** 32 - 1);
  const description = kind === 'video' ? videoMedia(media) : audioMedia(media);
  description.addSSRC(ssrc, cname, streamId, kind);
  const track = pc.addTrack(description);
  // node-datachannel frees a track's native callback (which keeps Node running) only from its
  // 'closed' handler, and installs that handler only when one is set: without this line the
  // process may not exit after close() until the garbage collector happens to run.
  track.onClosed(() => undefined);
  // Sender reports map RTP time to wall time (lip sync); the NACK responder resends lost packets.
  const config = new RtpPacketizationConfig(ssrc, cname, media.payloadType, rtpIn[kind].clockRate);
  const reporter = new RtcpSrReporter(config);
  reporter.addToChain(new RtcpNackResponder());
  track.setMediaHandler(reporter);
  return { track, payloadType: media.payloadType, ssrc, started: kind === 'audio' };
}

function send(sender: Sender, packet: Buffer, isVideo: boolean): void {
  if (!sender.track.isOpen()) return;
  if (!sender.started) {
    if (!isVideo || !startsH264Keyframe(packet)) return;
    sender.started = true;
  }
  try {
    sender.track.sendMessageBinary(rewriteRtp(packet, sender.payloadType, sender.ssrc));
  } catch {
    // the track closed between the check and the send; the state handler removes the viewer
  }
}

/**
 * WebRTC out of one live session: the session's encoder sends H.264 and Opus as RTP to `ports`
 * on loopback, and every viewer who asks by WHEP gets those packets as they are (no second
 * encode), with its own payload types and SSRCs.
 */
export class WebrtcOutput {
  private readonly viewers = new Map<string, Viewer>();
  /** Ids of viewers that have ended, oldest first, so a late DELETE still finds its viewer. */
  private readonly ended = new Set<string>();
  private closing = false;

  private constructor(
    private readonly videoSocket: dgram.Socket,
    private readonly audioSocket: dgram.Socket,
    private readonly options: WebrtcOutputOptions,
  ) {
    videoSocket.on('message', (packet) => this.forward(packet, true));
    audioSocket.on('message', (packet) => this.forward(packet, false));
  }

  /** Binds the two loopback ports the encoder sends to. */
  static async open(options: WebrtcOutputOptions = {}): Promise<WebrtcOutput> {
    const video = await bindLoopback();
    const audio = await bindLoopback().catch(async (error: unknown) => {
      await closeSocket(video);
      throw error;
    });
    return new WebrtcOutput(video, audio, options);
  }

  /** Where the encoder sends: `rtp://127.0.0.1:<port>` for each stream. */
  get ports(): { readonly video: number; readonly audio: number } {
    return { video: this.videoSocket.address().port, audio: this.audioSocket.address().port };
  }

  get viewerCount(): number {
    return this.viewers.size;
  }

  private forward(packet: Buffer, isVideo: boolean): void {
    if (!isRtp(packet)) return;
    for (const viewer of this.viewers.values()) {
      send(isVideo ? viewer.video : viewer.audio, packet, isVideo);
    }
  }

  /**
   * Answers a WHEP offer (non-trickle: once ICE gathering is complete, every candidate is in the
   * answer). Throws `WhepOfferError` for an offer without H.264 or Opus as we send them.
   */
  async addViewer(offerSdp: string): Promise<{ id: string; answerSdp: string }> {
    if (this.closing) throw new Error('the WebRTC output is closed');
    const offer = parseWhepOffer(offerSdp);
    const id = randomUUID();
    const pc = new PeerConnection(id, this.rtcConfig());
    // Watched from the start, so a close at any point below is seen and awaited.
    const closed = new Promise<void>((resolve) => {
      pc.onStateChange((state) => {
        if (state === 'closed') resolve();
        this.onState(id, state);
      });
    });
    let viewer: Viewer;
    try {
      const video = addSender(pc, 'video', offer.video);
      const audio = addSender(pc, 'audio', offer.audio);
      pc.setRemoteDescription(withoutHostnameCandidates(offerSdp), 'offer');
      pc.setLocalDescription('answer');
      // State callbacks reach JS on a later turn, so listening now misses none.
      await this.gathered(pc);
      if (this.closing) throw new Error('the WebRTC output is closed');
      viewer = { id, pc, video, audio, closed };
    } catch (error) {
      pc.close();
      await closed;
      throw error;
    }
    const answerSdp = pc.localDescription()?.sdp ?? '';
    this.viewers.set(id, viewer);
    this.options.onViewers?.(this.viewers.size);
    return { id, answerSdp };
  }

  /**
   * Ends one viewer (WHEP DELETE); false when there was none by that id. A viewer that already
   * ended on its own (its browser closed DTLS as it left, before its DELETE came) still counts,
   * so a leaving client's DELETE is answered 204 whichever arrives first.
   */
  async removeViewer(id: string): Promise<boolean> {
    const viewer = this.viewers.get(id);
    if (!viewer) return this.ended.has(id);
    this.viewers.delete(id);
    this.ended.add(id);
    if (this.ended.size > ENDED_REMEMBERED) {
      this.ended.delete(this.ended.values().next().value as string);
    }
    clearTimeout(viewer.graceTimer);
    viewer.pc.close();
    this.options.onViewers?.(this.viewers.size);
    await viewer.closed;
    return true;
  }

  /** Closes every viewer's connection and both ports; resolves once all are gone. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    await Promise.all([...this.viewers.keys()].map((id) => this.removeViewer(id)));
    await Promise.all([closeSocket(this.videoSocket), closeSocket(this.audioSocket)]);
  }

  private rtcConfig(): ConstructorParameters<typeof PeerConnection>[1] {
    const { bindAddress, portRange } = this.options;
    return {
      iceServers: [],
      // The answer is made once, by addViewer, after both tracks are in place.
      disableAutoNegotiation: true,
      ...(bindAddress === undefined ? {} : { bindAddress }),
      ...(portRange === undefined
        ? {}
        : { portRangeBegin: portRange.begin, portRangeEnd: portRange.end }),
    };
  }

  private gathered(pc: PeerConnection): Promise<void> {
    const timeoutMs = this.options.gatherTimeoutMs ?? 5000;
    return new Promise((resolve, reject) => {
      if (pc.gatheringState() === 'complete') return resolve();
      const timer = setTimeout(
        () => reject(new Error(`ICE gathering did not complete within ${timeoutMs} ms`)),
        timeoutMs,
      );
      pc.onGatheringStateChange((state) => {
        if (state !== 'complete') return;
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /**
   * A viewer whose browser left (DTLS closed), failed, or stayed out of touch past the grace
   * period removes itself; a short 'disconnected' spell (a network change) is forgiven.
   */
  private onState(id: string, state: string): void {
    const viewer = this.viewers.get(id);
    if (!viewer) return;
    clearTimeout(viewer.graceTimer);
    viewer.graceTimer = undefined;
    if (state === 'failed' || state === 'closed') {
      void this.removeViewer(id);
    } else if (state === 'disconnected') {
      viewer.graceTimer = setTimeout(
        () => void this.removeViewer(id),
        this.options.disconnectGraceMs ?? 5000,
      );
    }
  }
}
