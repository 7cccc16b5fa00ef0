/**
 * The avatar's picture for one output frame: its base frame (the footage played forward and back)
 * with that frame's mouth pasted in, and blinks drawn when the footage has none of its own. Both
 * drivers use it: a video task asks for frames as fast as ffmpeg takes them, a live session asks
 * by the clock.
 */
import { blinkAt, closeEyes } from '../avatar/blink.js';
import { modelFps } from '../avatar/model-writer.js';
import { baseIndex, type AvatarFrames } from './avatar-frames.js';
import { MouthMorph } from './mouth-morph.js';
import { pasteMouth } from './mouth-paste.js';
import type { MouthFrame } from './viseme-track.js';

/** A closed mouth: what the avatar shows when nothing is said. */
export const restingMouth: MouthFrame = { from: 'closed', to: 'closed', mix: 0 };

/** Pictures by output frame number: what a driver asks a look for. */
export interface FrameSource {
  /** Bytes of one frame: packed RGB at the source's own size. */
  readonly frameBytes: number;
  /** Output frame `n` with `mouth`, written into `out` (frameBytes long). */
  render(n: number, mouth: MouthFrame, out: Uint8Array): Uint8Array;
}

export class AvatarFrameSource implements FrameSource {
  private readonly morph: MouthMorph;

  /** `startFrame`: where in the base loop output frame 0 starts (digital_role.start_frame_index). */
  constructor(
    readonly avatar: AvatarFrames,
    private readonly startFrame = 0,
  ) {
    this.morph = new MouthMorph(avatar.mouthSize);
  }

  /** Bytes of one frame: packed RGB at the avatar's own size. */
  get frameBytes(): number {
    return this.avatar.width * this.avatar.height * 3;
  }

  /** Output frame `n` with `mouth`, written into `out` (frameBytes long). */
  render(n: number, mouth: MouthFrame, out: Uint8Array): Uint8Array {
    const { avatar } = this;
    const index = baseIndex(n + this.startFrame, avatar.frames.length);
    avatar.frames.read(index, out);
    const eyes = avatar.blinkLandmarks?.[index];
    if (eyes) closeEyes(out, avatar.width, avatar.height, eyes, blinkAt(n, modelFps));
    const closed = avatar.mouths.get('closed');
    const from = avatar.mouths.get(mouth.from) ?? closed;
    const to = avatar.mouths.get(mouth.to) ?? closed;
    const region = avatar.regions[index];
    if (from && to && region) {
      const pasted = this.morph.between(mouth.from, from, mouth.to, to, mouth.mix);
      pasteMouth(out, avatar.width, avatar.height, region, pasted, avatar.mouthSize, avatar.mask);
    }
    return out;
  }
}
