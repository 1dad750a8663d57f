import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { extname, isAbsolute, join, normalize, relative, resolve } from 'node:path';
import type { Envelope } from '../contracts/errors';
import { cloudFunctions } from '../functions';
import { invoke, statusOf, type CloudFunction } from '../runtime/handler';
import type { Caller, Services } from '../runtime/services';

export interface LocalServerOptions {
  services: Services;
  /** Folder of the built H5 app to serve at `/`; functions only when absent. */
  appDir?: string;
  functions?: Record<string, CloudFunction>;
}

const MAX_BODY = 64 * 1024;
/** Dev identities look like openids: short, URL-safe. */
const DEV_OPENID = /^[A-Za-z0-9_-]{1,64}$/;
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.json': 'application/json', '.png': 'image/png', '.svg': 'image/svg+xml', '.ico': 'image/x-icon', '.woff2': 'font/woff2',
};

function send(res: ServerResponse, envelope: Envelope<unknown>, status = statusOf(envelope)): void {
  const body = JSON.stringify(envelope);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/** The body as text, or null as soon as it passes MAX_BODY (the caller answers and closes the connection: a client that never stops is not read on). */
function readBody(req: IncomingMessage): Promise<string | null> {
  return new Promise((resolveBody, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY) return void chunks.push(chunk);
      req.off('data', onData);
      req.pause();
      resolveBody(null);
    };
    req.on('data', onData);
    req.on('end', () => resolveBody(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/**
 * The dev caller is whoever a request's header names, so only pages served from this machine may
 * call: a web page whose name a DNS rebinding points at 127.0.0.1 would otherwise act as any member.
 */
const LOOPBACK_HOST = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])(?::\d{1,5})?$/i;

/** A request's path, decoded; null when it is not one (a malformed escape, not a URL). */
function pathOf(req: IncomingMessage): string | null {
  try {
    return decodeURIComponent(new URL(req.url ?? '/', 'http://local').pathname);
  } catch {
    return null;
  }
}

/** In this dev runtime only, the caller is whoever the X-WX-OPENID header says. */
function devCaller(req: IncomingMessage): Caller {
  const header = req.headers['x-wx-openid'];
  const openid = typeof header === 'string' && DEV_OPENID.test(header) ? header : null;
  return { openid, unionid: null, appid: 'dev' };
}

async function handleFunction(req: IncomingMessage, res: ServerResponse, fn: CloudFunction, services: Services): Promise<void> {
  const raw = await readBody(req);
  if (raw === null) {
    res.setHeader('connection', 'close');
    res.once('finish', () => req.destroy());
    return send(res, { ok: false, error: { code: 'INVALID_INPUT', message: 'body too large' } }, 413);
  }
  let event: unknown;
  try {
    event = JSON.parse(raw);
  } catch {
    return send(res, { ok: false, error: { code: 'INVALID_INPUT', message: 'body must be JSON' } });
  }
  send(res, await invoke(fn, event, devCaller(req), services));
}

function serveStatic(res: ServerResponse, path: string, appDir: string): void {
  const root = resolve(appDir);
  let file = normalize(join(root, path));
  // inside the app folder only: not `app-private/` beside `app/` (a decoded `..%2F` gets this far)
  const inside = relative(root, file);
  if (inside.startsWith('..') || isAbsolute(inside)) file = join(root, 'index.html');
  const missing = !existsSync(file) || statSync(file).isDirectory();
  // a page's path falls back to the app; a missing script or image is missing (HTML in its place only confuses the browser)
  if (missing && extname(path)) {
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
    res.end('not found');
    return;
  }
  if (missing) file = join(root, 'index.html');
  if (!existsSync(file)) {
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
    res.end('H5 app not built: run npm run build:h5');
    return;
  }
  const cache = file.endsWith('index.html') ? 'no-cache' : 'public, max-age=31536000, immutable';
  // headers once the file is open: one that cannot be read (its mode, removed meanwhile) is a 500, not the end of the server
  createReadStream(file)
    .once('open', function (this: NodeJS.ReadableStream) {
      res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': cache });
      this.pipe(res);
    })
    .once('error', () => {
      if (res.headersSent) return void res.destroy();
      res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('cannot read the file');
    });
}

/** The dev runtime: every cloud function at POST /cloud/NAME, and the H5 app at `/`. */
export function createLocalServer(options: LocalServerOptions): Server {
  const functions = options.functions ?? cloudFunctions;
  return createServer((req, res) => {
    const host = req.headers.host;
    if (host !== undefined && !LOOPBACK_HOST.test(host)) return send(res, { ok: false, error: { code: 'FORBIDDEN', message: 'this dev server answers pages of this machine only (open it at 127.0.0.1 or localhost)' } }, 403);
    const path = pathOf(req);
    if (path === null) return send(res, { ok: false, error: { code: 'INVALID_INPUT', message: 'not a path' } }, 400);
    const match = /^\/cloud\/([A-Za-z]+)$/.exec(path);
    if (match) {
      const fn = Object.hasOwn(functions, match[1]!) ? functions[match[1]!] : undefined;
      if (req.method !== 'POST') return send(res, { ok: false, error: { code: 'INVALID_INPUT', message: 'use POST' } }, 405);
      if (!fn) return send(res, { ok: false, error: { code: 'NOT_FOUND', message: 'no such function' } });
      handleFunction(req, res, fn, options.services).catch(() => {
        send(res, { ok: false, error: { code: 'INTERNAL', message: 'internal error' } });
      });
      return;
    }
    if (options.appDir && (req.method === 'GET' || req.method === 'HEAD')) return serveStatic(res, path, options.appDir);
    send(res, { ok: false, error: { code: 'NOT_FOUND', message: 'not found' } });
  });
}
