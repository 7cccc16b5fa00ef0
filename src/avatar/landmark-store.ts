/**
 * Every tracked frame's landmarks, kept out of the heap: a long clip's 468 points a frame would
 * otherwise grow memory with the clip's length (5.6 kB a frame, 17 MB for two minutes). Frames are
 * appended in order and read back by index; on disk in the task's work directory, or in memory
 * for short work (tests, one photo).
 */
import { RecordFile } from '../util/record-file.js';

const floatsPerFrame = 468 * 3;

export class LandmarkStore {
  private constructor(private readonly records: RecordFile) {}

  static inMemory(): LandmarkStore {
    return new LandmarkStore(RecordFile.inMemory(floatsPerFrame * 4));
  }

  /** A store in `file` (created or emptied); close() releases it, the caller removes it. */
  static onDisk(file: string): LandmarkStore {
    return new LandmarkStore(RecordFile.onDisk(file, floatsPerFrame * 4));
  }

  get length(): number {
    return this.records.length;
  }

  append(points: Float32Array): void {
    this.records.append(new Uint8Array(points.buffer, points.byteOffset, points.byteLength));
  }

  read(index: number): Float32Array {
    return new Float32Array(this.records.read(index).buffer);
  }

  close(): void {
    this.records.close();
  }
}
