import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';

/**
 * The web console's static files. Only the names listed here are ever read:
 * the request path is looked up in this table and never joined onto a
 * directory, so no URL (`..`, `%2F`, absolute paths, symlink tricks) can
 * reach another file.
 */
const contentTypes = {
  html: 'text/html; charset=utf-8',
  css: 'text/css; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  svg: 'image/svg+xml',
} as const;

type AssetKind = keyof typeof contentTypes;

/** Every file of packages/node/static/console/ that the console serves, by the name used in its URL. */
export const consoleAssetNames: readonly string[] = [
  'index.html',
  'console.css',
  'favicon.svg',
  'main.js',
  'auth-panel.js',
  'api.js',
  'dom.js',
  'format.js',
  'ring-geometry.js',
  'ring-panel.js',
  'members-panel.js',
  'nodes-panel.js',
  'latency-window.js',
  'line-chart.js',
  'charts-panel.js',
  'hot-keys-panel.js',
  'kv-form.js',
];

const allowed = new Set(consoleAssetNames);

/** The files live beside dist/ and src/, so this resolves the same from either. */
export const consoleDir = new URL('../static/console/', import.meta.url);

export interface ConsoleAsset {
  readonly name: string;
  readonly contentType: string;
  readonly body: Buffer;
  /** strong validator: browsers revalidate (Cache-Control: no-cache) and get 304 while it is unchanged */
  readonly etag: string;
}

/** The content type of an allow-listed name, or undefined for any other name. */
export function consoleAssetType(name: string): string | undefined {
  if (!allowed.has(name)) return undefined;
  const ext = name.slice(name.lastIndexOf('.') + 1) as AssetKind;
  return contentTypes[ext];
}

/**
 * Reads allow-listed files once and keeps them: they are a few tens of KiB
 * and only change when the node is upgraded (which restarts it).
 */
export class ConsoleAssets {
  private readonly cache = new Map<string, Promise<ConsoleAsset>>();

  constructor(private readonly dir: URL = consoleDir) {}

  /** undefined when `name` is not a console file */
  get(name: string): Promise<ConsoleAsset> | undefined {
    const contentType = consoleAssetType(name);
    if (contentType === undefined) return undefined;
    let asset = this.cache.get(name);
    if (asset === undefined) {
      asset = readFile(new URL(name, this.dir)).then((body) => ({
        name,
        contentType,
        body,
        etag: `"${createHash('sha1').update(body).digest('base64url')}"`,
      }));
      // A failed read (file missing from a broken install) is retried next time, not cached.
      asset.catch(() => this.cache.delete(name));
      this.cache.set(name, asset);
    }
    return asset;
  }
}
