/** Tunables read from the environment (documented in the README under "Advanced settings"). */
export function httpSettings(env: NodeJS.ProcessEnv) {
  const number = (name: string, fallback: number) => {
    const value = Number(env[name]);
    return env[name] && Number.isFinite(value) && value > 0 ? value : fallback;
  };
  return {
    timeoutMs: number('WRITEBACK_HTTP_TIMEOUT_MS', 120_000),
    retryBaseMs: number('WRITEBACK_RETRY_BASE_MS', 1_000),
    emarsysMaxUploadBytes: number('WRITEBACK_EMARSYS_MAX_UPLOAD_BYTES', 20 * 1024 * 1024),
    // 50 MB per request at Dotdigital, and base64 adds a third: 35 MB of CSV stays under it.
    dotdigitalMaxFileBytes: number('WRITEBACK_DOTDIGITAL_MAX_FILE_BYTES', 35 * 1024 * 1024),
    dotdigitalImportTimeoutMs: number('WRITEBACK_DOTDIGITAL_IMPORT_TIMEOUT_MS', 60 * 60_000),
  };
}
