/**
 * The manifest of an avatar model (models/manifest.json), checked against a schema of every field
 * the renderer reads, so a hand-made or damaged model is refused with the field named instead of
 * failing deep inside the render. Bounds on sizes and counts keep what a model costs to open
 * (its base decoded raw, its regions in memory) within reason.
 */
import { Type, type Static } from 'typebox';
import { Value } from 'typebox/value';

/** The largest side of a base video: a 4K picture. */
export const maxBaseSide = 4096;
/** Base frames a model may hold: 30 s at 25 fps (the builder keeps 8 s at most). */
export const maxBaseFrames = 750;

const ModelManifestSchema = Type.Object({
  face_feature_id: Type.Optional(Type.String()),
  base: Type.Object({
    video: Type.String({ minLength: 1 }),
    width: Type.Integer({ minimum: 2, maximum: maxBaseSide }),
    height: Type.Integer({ minimum: 2, maximum: maxBaseSide }),
    frames: Type.Optional(Type.Integer({ minimum: 1, maximum: maxBaseFrames })),
  }),
  mouth_regions: Type.Array(Type.Array(Type.Number(), { minItems: 4, maxItems: 4 }), {
    minItems: 1,
    maxItems: maxBaseFrames,
  }),
  atlas: Type.Object({
    size: Type.Integer({ minimum: 8, maximum: 1024 }),
    images: Type.Array(
      Type.Object({ viseme: Type.String(), file: Type.String({ minLength: 1 }) }),
      { minItems: 1, maxItems: 64 },
    ),
  }),
});

export type ModelManifest = Static<typeof ModelManifestSchema> & Record<string, unknown>;

/**
 * The manifest's faults in a user's words ("base.width: must be integer"), the first few; none
 * when it has every field the renderer reads and every file it names is in the package.
 */
export function manifestProblems(manifest: unknown, has: (entry: string) => boolean): string[] {
  const problems = [...Value.Errors(ModelManifestSchema, manifest)].slice(0, 3).map((error) => {
    const field = error.instancePath.replace(/^\//, '').replace(/\//g, '.');
    return field ? `${field}: ${error.message}` : error.message;
  });
  if (problems.length > 0) return problems;
  const checked = manifest as ModelManifest;
  const named = [checked.base.video, ...checked.atlas.images.map((image) => image.file)];
  return named.filter((file) => !has(file)).map((file) => `the file ${file} it names is missing`);
}
