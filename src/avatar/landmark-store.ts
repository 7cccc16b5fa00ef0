/**
 * Every tracked frame's landmarks, kept out of the heap: a long clip's 468 points a frame would
 * otherwise grow memory with the clip's length (5.6 kB a frame, 17 MB for two minutes). Frames are
 * appended in order and read back by index; on disk in the task's work directory, or in memory
 * for short work (tests, one photo).
 */
import fs from 'node:fs';

const floatsPerFrame = 468 * 3;
const bytesPerFrame = floatsPerFrame * 4;

export class LandmarkStore {
  private readonly memory: Float32Array[] = [];
  private count = 0;

  private constructor(private readonly fd?: number) {}

  static inMemory(): LandmarkStore {
    return new LandmarkStore();
  }

  /** A store in `file` (created or emptied); close() releases it, the caller removes it. */
  static onDisk(file: string): LandmarkStore {
    return new LandmarkStore(fs.openSync(file, 'w+'));
  }

  get length(): number {
    return this.count;
  }

  append(points: Float32Array): void {
    if (points.length !== floatsPerFrame) {
      throw new Error(`a frame has ${floatsPerFrame} landmark values, not ${points.length}`);
    }
    if (this.fd === undefined) this.memory.push(Float32Array.from(points));
    else {
      fs.writeSync(
        this.fd,
        new Uint8Array(points.buffer, points.byteOffset, points.byteLength),
        0,
        bytesPerFrame,
        this.count * bytesPerFrame,
      );
    }
    this.count++;
  }

  read(index: number): Float32Array {
    if (!Number.isInteger(index) || index < 0 || index >= this.count) {
      throw new RangeError(`no landmarks for frame ${index} (${this.count} frames)`);
    }
    if (this.fd === undefined) return this.memory[index] as Float32Array;
    const points = new Float32Array(floatsPerFrame);
    fs.readSync(this.fd, new Uint8Array(points.buffer), 0, bytesPerFrame, index * bytesPerFrame);
    return points;
  }

  close(): void {
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.memory.length = 0;
  }
}
