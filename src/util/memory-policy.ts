/**
 * The server's memory policy. A render keeps a few frame writes in flight, and V8 reads their
 * survival as a reason to grow the young generation, step by step, for as long as the render runs:
 * measured, a 10-minute video's process ended ~20 MB above a 30 s one's. Capping the young
 * generation at 1 MB keeps the peak flat in the video's length; scavenges stay short and the
 * render's speed did not change (measured with bench/video-render).
 */
import v8 from 'node:v8';

export function capYoungGeneration(): void {
  v8.setFlagsFromString('--max-semi-space-size=1');
}
