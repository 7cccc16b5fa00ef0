import { Type } from 'typebox';
import type { FastifyRequest } from 'fastify';
import { AppError, badParams, isAppError } from '../../errors/app-error.js';
import type { StoredFile } from '../../files/file.repository.js';
import type { FileService } from '../../files/file.service.js';
import { requireFreeSpace, type DiskReserve } from '../../media/disk-space.js';
import { ok } from '../envelope.js';
import type { Server } from '../types.js';

export function fileAnswer(files: FileService, file: StoredFile) {
  return {
    fileId: file.id,
    url: files.signedUrl(file),
    name: file.name,
    size: file.size,
    mimeType: file.mimeType,
    sha256: file.sha256,
    expiresAt: file.expiresAt,
  };
}

/** Parses a single `bytes=a-b` range; undefined for none, 'bad' for an unsatisfiable one. */
export function parseRange(
  header: string | undefined,
  size: number,
): { start: number; end: number } | 'bad' | undefined {
  if (!header) return undefined;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match || (match[1] === '' && match[2] === '')) return undefined; // malformed or multi-range: send it all
  let start: number;
  let end: number;
  if (match[1] === '') {
    const suffix = Number(match[2]);
    if (suffix === 0) return 'bad';
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(match[1]);
    end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
  }
  if (start >= size || start > end) return 'bad';
  return { start, end };
}

/**
 * What a body that could not be read as multipart means to the client: cut short (the client went
 * away mid-body), or not multipart/form-data as its Content-Type says (a wrong boundary, bad part
 * headers). The parser's own errors (too many parts, too large) are mapped by the envelope.
 */
function bodyFault(request: FastifyRequest, error: unknown): unknown {
  if (isAppError(error) || (error as { statusCode?: unknown } | null)?.statusCode !== undefined) {
    return error;
  }
  if (!request.raw.complete && (request.raw.errored || request.raw.destroyed)) {
    request.log.info('upload cut short by the client');
    return new AppError('uploadIncomplete');
  }
  return badParams([
    {
      field: 'body',
      problem:
        'is not a valid multipart/form-data body (check the boundary in Content-Type and the part headers)',
    },
  ]);
}

export function registerFileRoutes(app: Server, files: FileService, disk: DiskReserve): void {
  app.post(
    '/api/2dvh/v1/material/file/upload',
    {
      schema: {
        tags: ['files'],
        summary: 'Upload a media file (multipart/form-data, one part named "file")',
        consumes: ['multipart/form-data'],
      },
    },
    async (request) => {
      if (!request.isMultipart()) {
        throw new AppError(
          'badParams',
          {},
          { detail: [{ field: 'Content-Type', problem: 'must be multipart/form-data' }] },
        );
      }
      // The length is known before a byte is read: a disk that cannot take it says so now.
      const declared = Number(request.headers['content-length']);
      if (Number.isFinite(declared)) await requireFreeSpace(disk, declared);
      const part = await request.file().catch((error: unknown) => {
        throw bodyFault(request, error);
      });
      if (!part) throw new AppError('uploadMissingFile');
      if (part.fieldname !== 'file') {
        part.file.resume();
        throw new AppError('uploadMissingFile');
      }
      const stored = await files.saveUpload(part.file, part.filename, request.appId, (error) =>
        bodyFault(request, error),
      );
      return ok(fileAnswer(files, stored));
    },
  );

  app.get(
    '/api/2dvh/v1/material/file/:fileId',
    {
      schema: {
        tags: ['files'],
        summary: 'A file of this app, with a fresh download link',
        params: Type.Object({ fileId: Type.String() }),
      },
    },
    async (request) => ok(fileAnswer(files, await files.get(request.params.fileId, request.appId))),
  );

  app.get(
    '/api/files/v1/:fileId/:name',
    {
      config: { public: true },
      schema: {
        tags: ['files'],
        summary: 'Download through a signed link (supports HTTP Range)',
        params: Type.Object({ fileId: Type.String(), name: Type.String() }),
        querystring: Type.Object({ expires: Type.String(), signature: Type.String() }),
      },
    },
    async (request, reply) => {
      const file = await files.verifyLink(
        request.params.fileId,
        request.query.expires,
        request.query.signature,
      );
      const range = parseRange(request.headers.range, file.size);
      if (range === 'bad') {
        void reply.header('content-range', `bytes */${file.size}`);
        throw new AppError('rangeNotSatisfiable', { size: file.size });
      }
      const start = range?.start ?? 0;
      const end = range?.end ?? file.size - 1;
      void reply
        .header('accept-ranges', 'bytes')
        .header('content-type', file.mimeType)
        .header('content-length', String(file.size === 0 ? 0 : end - start + 1))
        .header('content-disposition', `inline; filename*=UTF-8''${encodeURIComponent(file.name)}`)
        .header('cache-control', 'private, max-age=3600');
      if (range) void reply.code(206).header('content-range', `bytes ${start}-${end}/${file.size}`);
      if (file.size === 0) return reply.send('');
      return reply.send(await files.read(file, { start, end }));
    },
  );
}
