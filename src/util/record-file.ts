/**
 * Fixed-size records (a frame's landmarks, a frame's pixels) appended in order and read back by
 * index, kept out of the heap: on disk in a work directory, or in memory for short work.
 */
import fs from 'node:fs';

export class RecordFile {
  private readonly memory: Uint8Array[] = [];
  private count = 0;

  private constructor(
    readonly recordBytes: number,
    private readonly fd?: number,
  ) {}

  static inMemory(recordBytes: number): RecordFile {
    return new RecordFile(recordBytes);
  }

  /** Records in `file` (created or emptied); close() releases it, the caller removes it. */
  static onDisk(file: string, recordBytes: number): RecordFile {
    return new RecordFile(recordBytes, fs.openSync(file, 'w+'));
  }

  get length(): number {
    return this.count;
  }

  append(record: Uint8Array): void {
    if (record.byteLength !== this.recordBytes) {
      throw new Error(`a record is ${this.recordBytes} bytes, not ${record.byteLength}`);
    }
    if (this.fd === undefined) this.memory.push(Uint8Array.from(record));
    else fs.writeSync(this.fd, record, 0, this.recordBytes, this.count * this.recordBytes);
    this.count++;
  }

  /** Record `index`, into `target` when given (reused between reads), else a new array. */
  read(index: number, target?: Uint8Array): Uint8Array {
    if (!Number.isInteger(index) || index < 0 || index >= this.count) {
      throw new RangeError(`no record ${index} (${this.count} records)`);
    }
    const out = target ?? new Uint8Array(this.recordBytes);
    if (this.fd === undefined) out.set(this.memory[index] as Uint8Array);
    else fs.readSync(this.fd, out, 0, this.recordBytes, index * this.recordBytes);
    return out;
  }

  close(): void {
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.memory.length = 0;
  }
}
