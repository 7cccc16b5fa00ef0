import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The project's root folder, from the built file's place in dist/src/util/. */
export const packageRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** The bundled sample media (see fixtures/ATTRIBUTION.md). */
export const samplesDir = path.join(packageRoot, 'fixtures');
