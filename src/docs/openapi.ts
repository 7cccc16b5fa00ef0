import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../config/config.js';
import { openPlatform } from '../platform.js';
import { buildServer } from '../server/app.js';
import { productServer, wireProduct } from '../server/product.js';

/** The OpenAPI document of the product's routes, as served at /docs/json, stably formatted. */
export async function renderOpenApi(): Promise<string> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'anima-openapi-'));
  const platform = await openPlatform(loadConfig({ env: { ANIMA_DATA: dataDir } }), {
    tasks: wireProduct,
  });
  try {
    const app = await buildServer(platform, productServer);
    await app.ready();
    const document = app.swagger();
    await app.close();
    return `${JSON.stringify(document, null, 2)}\n`;
  } finally {
    await platform.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}
