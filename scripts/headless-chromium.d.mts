import type { BrowserContext } from 'playwright-core';

export declare const CHROMIUM: string;
export declare const CHROMIUM_FLAGS: readonly string[];
export declare const MIME_TYPES: Readonly<Record<string, string>>;
export declare function launchChromium(profileDir: string, options?: { webgpu?: boolean }): Promise<BrowserContext>;
export declare function serveFiles(options: {
  pages?: Readonly<Record<string, readonly [string | Buffer | (() => string | Buffer), string]>>;
  mounts?: Readonly<Record<string, string>>;
}): Promise<{ base: string; close: () => Promise<void> }>;
