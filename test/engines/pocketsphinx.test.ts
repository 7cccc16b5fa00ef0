import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { PocketSphinxEngine } from '../../src/engines/asr/pocketsphinx.engine.js';
import { pcmOfWav } from '../../src/media/pcm.js';
import { samplesDir } from '../../src/util/paths.js';

const engine = new PocketSphinxEngine();
after(() => engine.close());
const clip = (() => {
  const wav = fs.readFileSync(
    path.join(samplesDir, 'audio', 'librivox_en_sense_and_sensibility_0870.wav'),
  );
  return pcmOfWav(wav);
})();
const transcript =
  'And Mister John Dashwood had then leisure to consider how much there might be prudently in his power to do for them.';

test('forced alignment times every word and phoneme of a known transcript', async () => {
  const aligned = await engine.align(clip, transcript);
  assert.equal(aligned.words.length, 22);
  assert.deepEqual(
    aligned.words.slice(0, 4).map((word) => word.text),
    ['and', 'mister', 'john', 'dashwood'],
  );
  const dashwood = aligned.words[3];
  // Independently heard: "Dashwood" is spoken at about 1.0-1.6 s of the clip.
  assert.ok(dashwood && dashwood.beginMs > 850 && dashwood.beginMs < 1150, `${dashwood?.beginMs}`);
  assert.ok(dashwood.endMs > 1400 && dashwood.endMs < 1750, `${dashwood.endMs}`);
  assert.ok(aligned.phonemes.length > 60);
  assert.deepEqual(
    aligned.phonemes.slice(0, 3).map((phoneme) => phoneme.symbol),
    ['AE', 'N', 'D'],
  );
  for (let i = 1; i < aligned.phonemes.length; i++) {
    assert.ok((aligned.phonemes[i]?.beginMs ?? 0) >= (aligned.phonemes[i - 1]?.beginMs ?? 0));
  }
  assert.ok((aligned.words.at(-1)?.endMs ?? 0) <= 7150);
});

test('a word missing from the dictionary is named in the error', async () => {
  await assert.rejects(
    engine.align(clip, 'and mister zzqxv'),
    /not in the pronouncing dictionary: zzqxv/,
  );
});

test('recognition streams chunk by chunk and times its words; an aborted stream frees its decoder', async () => {
  const abandoned = engine.start();
  abandoned.write(clip.subarray(0, 32000));
  abandoned.abort();
  const stream = engine.start();
  for (let at = 0; at < clip.length; at += 1280) stream.write(clip.subarray(at, at + 1280));
  const partial = await stream.partial();
  assert.match(partial, /leisure to consider/);
  const result = await stream.finish();
  assert.match(result.text, /john .*leisure to consider .*much there might be/);
  assert.equal(result.words.map((word) => word.text).join(' '), result.text);
  await assert.rejects(stream.finish(), /cancelled/);
});

/** Streams a clip in 40 ms chunks, as the socket does, and returns what was heard. */
function recognise(pcm: Buffer) {
  const stream = engine.start();
  for (let at = 0; at < pcm.length; at += 1280) stream.write(pcm.subarray(at, at + 1280));
  return stream.finish();
}

test('the same clip gives the same words and times on either pooled decoder, whatever it heard before', async () => {
  const other = pcmOfWav(
    fs.readFileSync(path.join(samplesDir, 'audio', 'librivox_en_sense_and_sensibility_0920.wav')),
  );
  // Loud noise drags a running cepstral mean far from speech.
  const noise = Buffer.alloc(3 * 32000);
  let seed = 7;
  for (let i = 0; i < noise.length; i += 2) {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    noise.writeInt16LE((seed % 40000) - 20000, i);
  }
  // Two streams at once hold both decoders of the pool; the next two swap them.
  const [first, firstOther] = await Promise.all([recognise(clip), recognise(other)]);
  const [swapped, swappedOther] = await Promise.all([recognise(clip), recognise(other)]);
  await recognise(noise);
  const afterNoise = await recognise(clip);
  assert.match(first.text, /leisure to consider/);
  assert.deepEqual(swapped, first);
  assert.deepEqual(afterNoise, first);
  assert.deepEqual(swappedOther, firstOther);
});
