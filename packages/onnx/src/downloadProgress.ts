/**
 * Download progress of a model's files, in the spirit of transformers.js' `progress_callback`:
 * for each file that exists, one `initiate`, then `progress` as bytes arrive (`loaded` never goes
 * down), then one `done` whose `loaded` and `total` are the file's size. Files that are absent
 * (404: probed optional files) report nothing.
 */
export interface DownloadProgress {
  readonly status: 'initiate' | 'progress' | 'done';
  /** The file's path in the model ("config.json", "onnx/model.onnx"). */
  readonly file: string;
  /** The file's full URL. */
  readonly url: string;
  /** Bytes received so far. */
  readonly loaded: number;
  /**
   * The file's size: Content-Length when the server sends it (and no Content-Encoding), else
   * `undefined` until `done`.
   */
  readonly total: number | undefined;
  /** `loaded / total` in percent (0..100), `undefined` while `total` is unknown. */
  readonly progress: number | undefined;
  /** The bytes came from the cache (no network request). */
  readonly fromCache: boolean;
}

export type ProgressCallback = (event: DownloadProgress) => void;

/** A progress event, with `progress` computed. */
export function progressEvent(
  status: DownloadProgress['status'],
  file: string,
  url: string,
  loaded: number,
  total: number | undefined,
  fromCache: boolean,
): DownloadProgress {
  const progress = total === undefined ? undefined : total === 0 ? 100 : Math.min(100, (loaded / total) * 100);
  return { status, file, url, loaded, total, progress, fromCache };
}
